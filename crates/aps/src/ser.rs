//! Encrypted config files, `.ser` (CONFORMANCE E1, E2; vendor document 6).
//!
//! **Decision** (E1): AES-128-CBC, key = the 16 ASCII bytes of
//! `Decryption_Key`, IV = 16 zero bytes, nothing stored but the ciphertext,
//! PKCS#7 padding; the decryptor also accepts zero padding. The vendor's
//! listing (16114-byte `.txt` → 16128-byte `.ser`) fits both.
//!
//! Both directions work in place on the caller's buffer (no allocation).
//! A wrong key is caught twice (E2): the padding is almost never valid, and
//! when it is by chance, the plaintext is not text.
//!
//! Guarantees: no panic on any input; [`decrypt`] returns a prefix of the
//! buffer that is valid config text (tab, CR, LF or no control byte).

use aes::Aes128;
use cbc::cipher::block_padding::{NoPadding, Pkcs7};
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};

pub const KEY_LEN: usize = 16;
pub const BLOCK: usize = 16;
/// The built-in key (E1).
pub const DEFAULT_KEY: [u8; KEY_LEN] = *b"Th0mson2$8s8@9z!";

const IV: [u8; BLOCK] = [0; BLOCK];

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SerError {
    #[error("length {0} is not a non-zero multiple of 16")]
    NotBlockAligned(usize),
    #[error("bad padding (wrong key?)")]
    BadPadding,
    #[error("decrypted data is not text at byte {0} (wrong key?)")]
    NotText(usize),
    #[error("buffer of {have} bytes, {need} needed")]
    BufferTooSmall { have: usize, need: usize },
}

/// The ciphertext length for `plain_len` bytes of plaintext (PKCS#7 always
/// adds 1..=16 bytes).
pub fn padded_len(plain_len: usize) -> usize {
    (plain_len / BLOCK + 1) * BLOCK
}

/// Decrypts `buf` in place and returns the plaintext (a prefix of `buf`).
pub fn decrypt<'b>(key: &[u8; KEY_LEN], buf: &'b mut [u8]) -> Result<&'b [u8], SerError> {
    if buf.is_empty() || !buf.len().is_multiple_of(BLOCK) {
        return Err(SerError::NotBlockAligned(buf.len()));
    }
    let len = buf.len();
    cbc::Decryptor::<Aes128>::new(key.into(), &IV.into())
        .decrypt_padded_mut::<NoPadding>(buf)
        .map_err(|_| SerError::NotBlockAligned(len))?;
    let plain_len = unpad(buf)?;
    let plain = &buf[..plain_len];
    if let Some(i) = plain.iter().position(|&b| !is_text(b)) {
        return Err(SerError::NotText(i));
    }
    Ok(plain)
}

/// Encrypts the first `plain_len` bytes of `buf` in place with PKCS#7
/// padding; `buf` needs [`padded_len`]`(plain_len)` bytes. Returns the
/// ciphertext (a prefix of `buf`).
pub fn encrypt<'b>(key: &[u8; KEY_LEN], buf: &'b mut [u8], plain_len: usize) -> Result<&'b [u8], SerError> {
    let need = padded_len(plain_len);
    if buf.len() < need {
        return Err(SerError::BufferTooSmall { have: buf.len(), need });
    }
    let have = buf.len();
    cbc::Encryptor::<Aes128>::new(key.into(), &IV.into())
        .encrypt_padded_mut::<Pkcs7>(buf, plain_len)
        .map_err(|_| SerError::BufferTooSmall { have, need })
}

/// The plaintext length once padding is removed: PKCS#7 (`n` bytes of
/// value `n`, 1..=16) or zero padding (1..=16 trailing zeros).
fn unpad(plain: &[u8]) -> Result<usize, SerError> {
    let last = *plain.last().ok_or(SerError::BadPadding)?;
    let len = plain.len();
    if last == 0 {
        let zeros = plain.iter().rev().take(BLOCK).take_while(|&&b| b == 0).count();
        return Ok(len - zeros);
    }
    let n = usize::from(last);
    if n > BLOCK || n > len || !plain[len - n..].iter().all(|&b| b == last) {
        return Err(SerError::BadPadding);
    }
    Ok(len - n)
}

fn is_text(b: u8) -> bool {
    matches!(b, b'\r' | b'\n') || !crate::ini::is_control(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `printf '[sys]\nconfig_sn=1\n' | openssl enc -aes-128-cbc
    ///  -K 5468306d736f6e322438733840397a21 -iv 0…0` (PKCS#7), checked
    /// against Python `cryptography` too.
    const PKCS7_CIPHER: [u8; 32] = [
        0x15, 0x21, 0x60, 0x03, 0xf8, 0xe9, 0x3c, 0xd6, 0xba, 0xb3, 0xcd, 0x95, 0x5a, 0x0f, 0x03, 0x9b, 0x45, 0x88, 0xf3, 0xa9, 0x5b,
        0xfd, 0xeb, 0x0c, 0x25, 0xd2, 0x07, 0x15, 0x73, 0xc1, 0xcd, 0x94,
    ];
    const PKCS7_PLAIN: &[u8] = b"[sys]\nconfig_sn=1\n";

    /// `[sip]\nDisplayName1=Alice\n` + 7 zero bytes, key `1234567890123456`
    /// (the vendor listing's key), `openssl enc -nopad`.
    const ZERO_CIPHER: [u8; 32] = [
        0x10, 0xb6, 0xf2, 0xd6, 0xe7, 0xbf, 0xa0, 0xfa, 0x03, 0xce, 0xa5, 0xae, 0x50, 0x85, 0x1f, 0x9a, 0x63, 0x19, 0x54, 0x8d, 0x65,
        0x86, 0x4e, 0x6b, 0x4d, 0x9c, 0xab, 0xfe, 0xab, 0xe0, 0xab, 0x20,
    ];

    #[test]
    fn decrypts_openssl_pkcs7_vector() {
        let mut buf = PKCS7_CIPHER;
        assert_eq!(decrypt(&DEFAULT_KEY, &mut buf), Ok(PKCS7_PLAIN));
    }

    #[test]
    fn encrypts_to_openssl_vector() {
        let mut buf = [0u8; 32];
        buf[..PKCS7_PLAIN.len()].copy_from_slice(PKCS7_PLAIN);
        assert_eq!(encrypt(&DEFAULT_KEY, &mut buf, PKCS7_PLAIN.len()), Ok(&PKCS7_CIPHER[..]));
    }

    #[test]
    fn decrypts_zero_padded_vector() {
        let mut buf = ZERO_CIPHER;
        assert_eq!(decrypt(b"1234567890123456", &mut buf), Ok(&b"[sip]\nDisplayName1=Alice\n"[..]));
    }

    #[test]
    fn wrong_key_is_a_typed_error() {
        let mut buf = PKCS7_CIPHER;
        let e = decrypt(b"1234567890123456", &mut buf).unwrap_err();
        assert!(matches!(e, SerError::BadPadding | SerError::NotText(_)), "{e:?}");
    }

    #[test]
    fn vendor_listing_sizes() {
        assert_eq!(padded_len(16114), 16128);
        assert_eq!(padded_len(0), 16);
        assert_eq!(padded_len(16), 32);
    }

    #[test]
    fn round_trip_every_length_up_to_three_blocks() {
        let text: Vec<u8> = b"[autoprovision]\r\nDecryption_Key=Th0mson2$8s8@9z!\r\n".iter().copied().cycle().take(48).collect();
        for n in 0..=text.len() {
            let mut buf = vec![0u8; padded_len(n)];
            buf[..n].copy_from_slice(&text[..n]);
            let c = encrypt(b"abcdefghijklmnop", &mut buf, n).unwrap().len();
            assert_eq!(c, padded_len(n));
            assert_eq!(decrypt(b"abcdefghijklmnop", &mut buf), Ok(&text[..n]));
        }
    }

    #[test]
    fn bad_lengths_and_buffers() {
        assert_eq!(decrypt(&DEFAULT_KEY, &mut []), Err(SerError::NotBlockAligned(0)));
        assert_eq!(decrypt(&DEFAULT_KEY, &mut [0u8; 17]), Err(SerError::NotBlockAligned(17)));
        assert_eq!(encrypt(&DEFAULT_KEY, &mut [0u8; 16], 16), Err(SerError::BufferTooSmall { have: 16, need: 32 }));
    }

    #[test]
    fn unpad_rules() {
        assert_eq!(unpad(b"abc\x01"), Ok(3));
        assert_eq!(unpad(b"a\x03\x03\x03"), Ok(1));
        assert_eq!(unpad(b"a\x02\x03\x03"), Err(SerError::BadPadding));
        assert_eq!(unpad(&[b'a', 17, 17]), Err(SerError::BadPadding));
        assert_eq!(unpad(b"ab\0\0"), Ok(2));
        assert_eq!(unpad(&[0u8; 32]), Ok(16));
    }

    #[test]
    fn binary_plaintext_is_not_text() {
        let mut buf = [0u8; 32];
        buf[..5].copy_from_slice(b"a\x00bcd");
        encrypt(&DEFAULT_KEY, &mut buf, 5).unwrap();
        assert_eq!(decrypt(&DEFAULT_KEY, &mut buf[..16]), Err(SerError::NotText(1)));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(mut bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256), key in proptest::array::uniform16(proptest::num::u8::ANY)) {
            let _ = decrypt(&key, &mut bytes);
        }
    }
}
