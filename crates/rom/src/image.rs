//! Packing and inspecting `.zz` images, and their vendor-style file names.

use crate::RomError;
use board::image::{Header, Kind, Version, crc32};
use board::model::Model;

/// A whole image: the 256-byte header, then `payload`.
pub fn pack(kind: Kind, model: Model, version: Version, date: [u8; 6], payload: &[u8]) -> Vec<u8> {
    let header = Header {
        kind,
        hardware: model.hardware,
        protocol: model.protocol,
        version,
        date,
        payload_len: payload.len() as u32,
        payload_crc: crc32(payload),
    };
    let mut out = header.encode().to_vec();
    out.extend_from_slice(payload);
    out
}

/// The header of a whole image, after checking the header and payload CRCs.
/// Bytes after the payload are allowed (an image read back from a slot).
pub fn inspect(image: &[u8]) -> Result<Header, RomError> {
    Ok(Header::check_image(image)?.0)
}

/// The vendor's file name: `v<digits><S|M>G.<YYMMDD>.<major>.<minor>[.<patch>].zz`,
/// the patch only when it is not 0 (e.g. `v2030SG.101223.2.74.zz`).
pub fn file_name(model: Model, version: Version, date: [u8; 6]) -> String {
    let date: String = date.iter().map(|&b| b as char).collect();
    let patch = if version.patch == 0 { String::new() } else { format!(".{}", version.patch) };
    format!(
        "v{}{}G.{}.{}.{}{}.zz",
        model.hardware.digits(),
        model.protocol.letter() as char,
        date,
        version.major,
        version.minor,
        patch
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use board::image::ImageError;
    use board::model::{Hardware, Protocol};

    const V274: Version = Version { major: 2, minor: 74, patch: 0 };

    #[test]
    fn pack_bytes_and_inspect() {
        let model = Model { hardware: Hardware::St2022, protocol: Protocol::Mgcp };
        let img = pack(Kind::App, model, V274, *b"101223", b"\x01\x02\x03");
        assert_eq!(img.len(), 256 + 3);
        assert_eq!(&img[0..12], &[b'S', b'T', b'Z', b'Z', 1, 0, 1, b'M', 2, 74, 0, 0]);
        assert_eq!(&img[12..18], b"101223");
        assert_eq!(&img[20..28], &[3, 0, 0, 0, 0x1D, 0x80, 0xBC, 0x55]); // len 3, crc32(01 02 03)
        assert_eq!(&img[256..], b"\x01\x02\x03");
        let h = inspect(&img).unwrap();
        assert_eq!((h.hardware, h.protocol, h.version, h.payload_len), (Hardware::St2022, Protocol::Mgcp, V274, 3));
        let mut bad = img.clone();
        bad[257] ^= 0xFF;
        assert!(matches!(inspect(&bad), Err(RomError::Image(ImageError::BadPayloadCrc))));
        assert!(matches!(inspect(&img[..100]), Err(RomError::Image(ImageError::Truncated))));
        let mut padded = img.clone();
        padded.extend_from_slice(&[0xFF; 16]);
        assert!(inspect(&padded).is_ok());
    }

    #[test]
    fn vendor_file_names() {
        let s = Model::parse("ST2030S").unwrap();
        assert_eq!(file_name(s, V274, *b"101223"), "v2030SG.101223.2.74.zz");
        let m = Model::parse("ST2022M").unwrap();
        assert_eq!(file_name(m, Version { major: 3, minor: 1, patch: 2 }, *b"261127"), "v2022MG.261127.3.1.2.zz");
    }
}
