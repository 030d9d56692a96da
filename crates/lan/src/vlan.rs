//! 802.1Q tag reading, adding and stripping on whole Ethernet frames.
//!
//! Guarantee: every function checks lengths first and never panics; a frame
//! too short to hold what it claims is reported as `None`.

/// The 802.1Q TPID.
pub const TPID: u16 = 0x8100;
/// Destination + source MAC.
const ADDRS: usize = 12;

/// The tag control information (PCP, DEI, VID) of a tagged frame, `None` if
/// untagged. `Err(())` when the frame is too short to be Ethernet at all.
pub fn tci(frame: &[u8]) -> Result<Option<u16>, ()> {
    if frame.len() < 14 {
        return Err(());
    }
    if u16::from_be_bytes([frame[12], frame[13]]) != TPID {
        return Ok(None);
    }
    if frame.len() < 18 {
        return Err(());
    }
    Ok(Some(u16::from_be_bytes([frame[14], frame[15]])))
}

pub fn vid(tci: u16) -> u16 {
    tci & 0x0FFF
}

/// The frame without its tag (the frame itself when untagged).
pub fn strip(frame: &[u8]) -> Vec<u8> {
    match tci(frame) {
        Ok(Some(_)) => [&frame[..ADDRS], &frame[ADDRS + 4..]].concat(),
        _ => frame.to_vec(),
    }
}

/// The frame carrying exactly the tag `tci` (an existing tag is replaced).
pub fn tag(frame: &[u8], tci: u16) -> Vec<u8> {
    let inner = strip(frame);
    let mut out = Vec::with_capacity(inner.len() + 4);
    out.extend_from_slice(&inner[..ADDRS.min(inner.len())]);
    out.extend_from_slice(&TPID.to_be_bytes());
    out.extend_from_slice(&tci.to_be_bytes());
    out.extend_from_slice(inner.get(ADDRS..).unwrap_or(&[]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // ARP-ish untagged frame: dst, src, ethertype 0x0806, 2 payload bytes.
    const UNTAGGED: [u8; 16] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06, 0xaa, 0xbb,
    ];
    // The same frame tagged PCP 5, VID 100 (TCI 0xA064).
    const TAGGED: [u8; 20] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x81, 0x00, 0xa0, 0x64, 0x08, 0x06, 0xaa, 0xbb,
    ];

    #[test]
    fn tag_strip_roundtrip_on_real_bytes() {
        assert_eq!(tci(&UNTAGGED), Ok(None));
        assert_eq!(tci(&TAGGED), Ok(Some(0xA064)));
        assert_eq!(vid(0xA064), 100);
        assert_eq!(tag(&UNTAGGED, 0xA064), TAGGED);
        assert_eq!(strip(&TAGGED), UNTAGGED);
        assert_eq!(strip(&UNTAGGED), UNTAGGED);
        // Re-tagging replaces the tag.
        assert_eq!(tci(&tag(&TAGGED, 0x00C8)), Ok(Some(200)));
    }

    #[test]
    fn short_frames_are_errors_not_panics() {
        assert_eq!(tci(&[0; 13]), Err(()));
        assert_eq!(tci(&TAGGED[..16]), Err(()));
        assert_eq!(strip(&TAGGED[..16]), TAGGED[..16].to_vec());
        assert_eq!(tag(&[1, 2, 3], 5).len(), 7);
    }
}
