//! The factory flash image: what a new phone's NOR holds.

use crate::RomError;
use board::image::Header;
use board::map::{FLASH, SLOT_A};
use board::slot::{COMMIT_OFFSET, Commit};

/// 8 MiB of flash: slot A holds `app_image` and a commit record with seq 1;
/// everything else is erased (`0xFF`). The config store is blank, so the
/// firmware writes its factory defaults at first boot.
///
/// Panics when `app_image` is not a valid image that fits a slot (images
/// from `pack` or `Roms::firmware` always are); use `try_factory_flash` for
/// images from outside.
pub fn factory_flash(app_image: &[u8]) -> Vec<u8> {
    try_factory_flash(app_image).unwrap_or_else(|e| panic!("factory_flash: {e}"))
}

/// `factory_flash`, refusing a bad or oversized image with an error.
pub fn try_factory_flash(app_image: &[u8]) -> Result<Vec<u8>, RomError> {
    let (header, payload) = Header::check_image(app_image)?;
    let len = board::image::HEADER_LEN + payload.len();
    if len > COMMIT_OFFSET as usize {
        return Err(RomError::TooLarge { len, max: COMMIT_OFFSET as usize });
    }
    let mut flash = vec![0xFF; FLASH.len as usize];
    let slot = (SLOT_A.base - FLASH.base) as usize;
    flash[slot..slot + len].copy_from_slice(&app_image[..len]);
    let commit = Commit { seq: 1, image_crc: header.payload_crc }.encode();
    let at = slot + COMMIT_OFFSET as usize;
    flash[at..at + commit.len()].copy_from_slice(&commit);
    Ok(flash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kind, Model, Version, pack};

    #[test]
    fn slot_a_image_and_commit() {
        let img = pack(Kind::App, Model::ALL[0], Version { major: 2, minor: 74, patch: 0 }, *b"261127", b"\xAA\xBB");
        let f = factory_flash(&img);
        assert_eq!(f.len(), 8 << 20);
        assert_eq!(&f[..258], &img[..]);
        assert_eq!(f[258], 0xFF);
        let c = &f[0xF_FF00..0xF_FF10];
        assert_eq!(&c[0..12], &[b'S', b'L', b'O', b'T', 1, 0, 0, 0, 0x98, 0x2C, 0x82, 0x49]); // crc32(AA BB)
        assert_eq!(Commit::decode(c), Some(Commit { seq: 1, image_crc: 0x4982_2C98 }));
        assert!(f[0xF_FF10..].iter().all(|&b| b == 0xFF));
        assert!(f[258..0xF_FF00].iter().all(|&b| b == 0xFF));
    }

    #[test]
    fn refuses_bad_and_oversized_images() {
        assert!(try_factory_flash(b"junk").is_err());
        let big = pack(Kind::App, Model::ALL[0], Version { major: 1, minor: 0, patch: 0 }, *b"261127", &vec![0; COMMIT_OFFSET as usize]);
        assert!(matches!(try_factory_flash(&big), Err(RomError::TooLarge { .. })));
    }
}
