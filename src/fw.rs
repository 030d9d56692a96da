//! `st20xx fw pack` and `st20xx fw inspect`: firmware images (`.zz`) on the
//! command line, over `rom::pack` / `rom::inspect`.

use anyhow::{Context, Result, bail};
use board::image::{HEADER_LEN, Header, Kind, Version, crc32};
use board::model::Model;
use std::path::{Path, PathBuf};

/// Parses `2.75` or `2.75.1`.
pub fn parse_version(s: &str) -> Result<Version, String> {
    let parts: Vec<&str> = s.split('.').collect();
    let num = |p: &str| p.parse::<u8>().map_err(|_| format!("`{s}`: `{p}` is not a number 0-255"));
    match parts.as_slice() {
        [a, b] => Ok(Version { major: num(a)?, minor: num(b)?, patch: 0 }),
        [a, b, c] => Ok(Version { major: num(a)?, minor: num(b)?, patch: num(c)? }),
        _ => Err(format!("`{s}`: a version is MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. 2.75")),
    }
}

pub fn parse_kind(s: &str) -> Result<Kind, String> {
    [Kind::App, Kind::Dsp, Kind::Boot].into_iter().find(|k| k.name() == s).ok_or_else(|| format!("`{s}`: the kind is app, dsp or boot"))
}

pub fn parse_model(s: &str) -> Result<Model, String> {
    Model::parse(s).ok_or_else(|| format!("`{s}`: the model is ST2030S, ST2030M, ST2022S or ST2022M"))
}

/// Parses `YYMMDD` (a real calendar date).
pub fn parse_date(s: &str) -> Result<[u8; 6], String> {
    let b = s.as_bytes();
    let bad = || format!("`{s}`: a date is YYMMDD, e.g. 261127");
    if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let (m, d) = ((b[2] - b'0') * 10 + (b[3] - b'0'), (b[4] - b'0') * 10 + (b[5] - b'0'));
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    Ok([b[0], b[1], b[2], b[3], b[4], b[5]])
}

/// Today (UTC) as `YYMMDD`, or the day of `SOURCE_DATE_EPOCH` when set (reproducible builds).
pub fn today() -> [u8; 6] {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()));
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = format!("{:02}{m:02}{d:02}", y.rem_euclid(100));
    let b = s.as_bytes();
    [b[0], b[1], b[2], b[3], b[4], b[5]]
}

/// Days since 1970-01-01 → (year, month, day): Howard Hinnant's
/// `civil_from_days`, a few lines instead of a date crate.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Where `fw pack` takes the payload from.
pub enum Source {
    /// Another image: its payload under a new header.
    Image(PathBuf),
    /// A raw payload file.
    Payload(PathBuf),
}

/// `fw pack`: writes the image and returns a one-line description.
pub fn pack(kind: Kind, model: Model, version: Version, date: [u8; 6], source: &Source, out: &Path) -> Result<String> {
    let payload = match source {
        Source::Payload(p) => std::fs::read(p).with_context(|| format!("cannot read payload {}", p.display()))?,
        Source::Image(p) => {
            let img = std::fs::read(p).with_context(|| format!("cannot read image {}", p.display()))?;
            let (_, payload) = Header::check_image(&img).map_err(|e| anyhow::anyhow!("{}: not a valid image: {e:?}", p.display()))?;
            payload.to_vec()
        }
    };
    let image = rom::pack(kind, model, version, date, &payload);
    std::fs::write(out, &image).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(format!("wrote {} ({} {model} {}, {} bytes; vendor name {})", out.display(), kind.name(), version_text(version), image.len(), rom::file_name(model, version, date)))
}

fn version_text(v: Version) -> String {
    if v.patch == 0 { format!("{}.{}", v.major, v.minor) } else { format!("{}.{}.{}", v.major, v.minor, v.patch) }
}

/// `fw inspect`: the report, and whether the image is good.
pub fn inspect(image: &[u8]) -> (String, bool) {
    let h = match Header::decode(image) {
        Ok(h) => h,
        Err(e) => return (format!("not a firmware image: {}", header_error(e)), false),
    };
    let model = Model { hardware: h.hardware, protocol: h.protocol };
    let payload = image.get(HEADER_LEN..HEADER_LEN.saturating_add(h.payload_len as usize));
    let (crc, ok) = match payload {
        None => (format!("image truncated: {} payload bytes of {}", image.len().saturating_sub(HEADER_LEN), h.payload_len), false),
        Some(p) if crc32(p) == h.payload_crc => (format!("{:#010x} ok", h.payload_crc), true),
        Some(p) => (format!("bad: header says {:#010x}, payload has {:#010x}", h.payload_crc, crc32(p)), false),
    };
    let date: String = h.date.iter().map(|&b| b as char).collect();
    let text = format!(
        "kind     {}\nmodel    {model}\nversion  {}.{}.{} (the LCD shows {}.{})\ndate     {date}\nlength   {} bytes (+{HEADER_LEN} header)\ncrc      {crc}\n",
        h.kind.name(),
        h.version.major,
        h.version.minor,
        h.version.patch,
        h.version.major,
        h.version.minor,
        h.payload_len,
    );
    (text, ok)
}

fn header_error(e: board::image::ImageError) -> &'static str {
    use board::image::ImageError::*;
    match e {
        Truncated => "shorter than a header",
        BadMagic => "no STZZ magic",
        BadHeaderVersion => "unknown header version",
        BadHeaderCrc => "header CRC does not match",
        BadField => "a header field has an invalid value",
        BadPayloadCrc => "payload CRC does not match",
    }
}

/// Fails with the report when the image is bad.
pub fn inspect_file(path: &Path) -> Result<String> {
    let image = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (text, ok) = inspect(&image);
    if !ok {
        bail!("{}: {}", path.display(), text.trim_end().replace('\n', "; "));
    }
    Ok(format!("file     {}\n{text}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_kinds_dates() {
        assert_eq!(parse_version("2.75"), Ok(Version { major: 2, minor: 75, patch: 0 }));
        assert_eq!(parse_version("2.75.3"), Ok(Version { major: 2, minor: 75, patch: 3 }));
        assert!(parse_version("2").unwrap_err().contains("MAJOR.MINOR"));
        assert!(parse_version("2.x").unwrap_err().contains("`x`"));
        assert!(parse_version("2.300").is_err());
        assert_eq!(parse_kind("dsp"), Ok(Kind::Dsp));
        assert!(parse_kind("fw").is_err());
        assert_eq!(parse_date("261127"), Ok(*b"261127"));
        assert!(parse_date("261327").is_err());
        assert!(parse_date("26112").is_err());
        assert!(parse_date("26112a").is_err());
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn inspect_good_and_bad() {
        let model = Model::parse("ST2030S").unwrap();
        let img = rom::pack(Kind::App, model, Version { major: 2, minor: 74, patch: 0 }, *b"101223", b"\x01\x02\x03");
        let (text, ok) = inspect(&img);
        assert!(ok);
        assert_eq!(text, "kind     app\nmodel    ST2030S\nversion  2.74.0 (the LCD shows 2.74)\ndate     101223\nlength   3 bytes (+256 header)\ncrc      0x55bc801d ok\n");
        let mut bad = img.clone();
        bad[258] ^= 1;
        let (text, ok) = inspect(&bad);
        assert!(!ok);
        assert!(text.contains("crc      bad: header says 0x55bc801d, payload has "), "{text}");
        let (text, ok) = inspect(&img[..257]);
        assert!(!ok && text.contains("image truncated: 1 payload bytes of 3"), "{text}");
        assert_eq!(inspect(b"hello"), ("not a firmware image: shorter than a header".to_string(), false));
        let mut hdr = img.clone();
        hdr[8] = 3;
        assert_eq!(inspect(&hdr).0, "not a firmware image: header CRC does not match");
    }

    #[test]
    fn pack_from_an_image_keeps_the_payload() {
        let dir = std::env::temp_dir().join(format!("st20xx-fw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let model = Model::parse("ST2030S").unwrap();
        let old = rom::pack(Kind::App, model, Version { major: 2, minor: 74, patch: 0 }, *b"101223", b"payload!");
        std::fs::write(dir.join("old.zz"), &old).unwrap();
        let v = Version { major: 2, minor: 75, patch: 0 };
        let msg = pack(Kind::App, model, v, *b"261127", &Source::Image(dir.join("old.zz")), &dir.join("new.zz")).unwrap();
        assert!(msg.contains("vendor name v2030SG.261127.2.75.zz"), "{msg}");
        let new = std::fs::read(dir.join("new.zz")).unwrap();
        assert_eq!(&new[HEADER_LEN..], b"payload!");
        assert_eq!(rom::inspect(&new).unwrap().version, v);
        std::fs::write(dir.join("junk.zz"), b"junk").unwrap();
        assert!(pack(Kind::App, model, v, *b"261127", &Source::Image(dir.join("junk.zz")), &dir.join("x.zz")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
