//! `--net`: where the phone's cable goes, in its command-line forms
//! `lab`, `lab=DIR`, `tap:NAME` and `none`.
//!
//! Guarantee: `parse` accepts exactly those forms and `Display` writes them
//! back, so a spec round-trips through text.

use crate::SiteError;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// The far end of the phone's cable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetSpec {
    /// Unplugged from everything but the switch: frames go nowhere (still
    /// seen by `--pcap` and `--trace-frames`).
    None,
    /// The built-in lab serving `dir` (default: `assets/provisioning`).
    Lab { dir: Option<PathBuf> },
    /// A real network through an existing Linux TAP device (real time only).
    Tap { name: String },
}

/// Linux interface names hold at most 15 bytes (IFNAMSIZ - 1).
const IFNAME_MAX: usize = 15;

impl NetSpec {
    /// Whether this network only works on the host clock (`--clock real`).
    pub fn needs_real_clock(&self) -> bool {
        matches!(self, NetSpec::Tap { .. })
    }

    /// For clap's `value_parser`.
    pub fn parse_arg(s: &str) -> Result<NetSpec, String> {
        s.parse().map_err(|e: SiteError| e.to_string())
    }
}

impl FromStr for NetSpec {
    type Err = SiteError;

    fn from_str(s: &str) -> Result<NetSpec, SiteError> {
        match s {
            "none" => return Ok(NetSpec::None),
            "lab" => return Ok(NetSpec::Lab { dir: None }),
            _ => {}
        }
        if let Some(dir) = s.strip_prefix("lab=") {
            if dir.is_empty() {
                return Err(SiteError::BadNet(s.into()));
            }
            return Ok(NetSpec::Lab { dir: Some(PathBuf::from(dir)) });
        }
        if let Some(name) = s.strip_prefix("tap:") {
            let bad = name.is_empty() || name.len() > IFNAME_MAX || name.chars().any(|c| c == '/' || c == ':' || c == '\0' || c.is_whitespace());
            if bad {
                return Err(SiteError::BadTapName(name.into()));
            }
            return Ok(NetSpec::Tap { name: name.into() });
        }
        Err(SiteError::BadNet(s.into()))
    }
}

impl fmt::Display for NetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetSpec::None => f.write_str("none"),
            NetSpec::Lab { dir: None } => f.write_str("lab"),
            NetSpec::Lab { dir: Some(d) } => write!(f, "lab={}", d.display()),
            NetSpec::Tap { name } => write!(f, "tap:{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_forms_parse_and_print_back() {
        for (text, spec) in [
            ("none", NetSpec::None),
            ("lab", NetSpec::Lab { dir: None }),
            ("lab=/srv/prov tree", NetSpec::Lab { dir: Some("/srv/prov tree".into()) }),
            ("tap:tap0", NetSpec::Tap { name: "tap0".into() }),
        ] {
            assert_eq!(text.parse::<NetSpec>().unwrap(), spec);
            assert_eq!(spec.to_string(), text);
        }
        assert!(NetSpec::Tap { name: "t".into() }.needs_real_clock());
        assert!(!NetSpec::Lab { dir: None }.needs_real_clock());
    }

    #[test]
    fn bad_forms_are_clear_errors() {
        for bad in ["", "lab=", "Lab", "tap", "tap0", "lan", "tap:", "tap:a/b", "tap:a b", "tap:0123456789abcdef"] {
            let err = bad.parse::<NetSpec>().unwrap_err().to_string();
            assert!(err.contains(&format!("`{}`", bad.strip_prefix("tap:").unwrap_or(bad))), "{bad}: {err}");
        }
        assert_eq!(NetSpec::parse_arg("wifi").unwrap_err(), "`wifi` is not a network: use lab, lab=DIR, tap:NAME or none");
        assert!(NetSpec::parse_arg("tap:0123456789abcde").is_ok(), "15 bytes is the limit, not over it");
    }
}
