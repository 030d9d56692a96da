//! The network options of `st20xx run`, as a clap `Args` struct the CLI
//! flattens: the lab's DHCP settings and TOML file, loss, pcap and frame
//! tracing.
//!
//! Guarantees: every value is checked when parsed (clap reports it with the
//! flag's name) and again by [`LabOptions::lab_config`], so a hand-built
//! `LabOptions` cannot slip a bad value through; lab-only options given for
//! a network without the lab are an error, not silently ignored.

use crate::{NetSpec, SiteError};
use lan::lab::{LabConfig, parse_option_arg};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Clone, Debug, Default, PartialEq)]
pub struct LabOptions {
    /// A DHCP option the lab sends, CODE=VALUE (repeatable), e.g. 66=10.0.0.1,
    /// 43=http://prov.lab/ST2030S.inf, 150=10.0.0.2, 191=0x0064.
    #[arg(long = "dhcp-option", value_name = "CODE=VALUE", value_parser = dhcp_option)]
    pub dhcp_options: Vec<String>,
    /// The BOOTP `file` field of the lab's DHCP replies.
    #[arg(long = "dhcp-file", value_name = "NAME")]
    pub dhcp_file: Option<String>,
    /// The BOOTP `siaddr` ("next server") of the lab's DHCP replies.
    #[arg(long = "dhcp-siaddr", value_name = "IP")]
    pub dhcp_siaddr: Option<Ipv4Addr>,
    /// The lab's TOML configuration (the options above override it).
    #[arg(long = "lab", value_name = "FILE")]
    pub lab_file: Option<PathBuf>,
    /// Write every frame on the phone's cable to this pcap file.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Put every frame on the phone's cable in the trace (`frame` events).
    #[arg(long = "trace-frames")]
    pub trace_frames: bool,
    /// Drop this fraction (0..=1) of the frames on the phone's cable, each
    /// way, from a stream seeded by the run's `--seed`.
    #[arg(long, value_name = "P", value_parser = probability)]
    pub loss: Option<f64>,
    /// The seed of the loss stream. Not a flag of its own: `st20xx run`
    /// already has `--seed` (one seed for the whole run), and the CLI copies
    /// it here.
    #[arg(skip)]
    pub seed: u64,
}

/// clap value parser for `--dhcp-option`: checks the form and the value.
pub fn dhcp_option(s: &str) -> Result<String, String> {
    parse_option_arg(s).map(|_| s.to_string()).map_err(|e| e.to_string())
}

/// clap value parser for `--loss`.
pub fn probability(s: &str) -> Result<f64, String> {
    let p: f64 = s.trim().parse().map_err(|_| format!("`{s}` is not a number"))?;
    check_loss(p).map_err(|e| e.to_string())
}

fn check_loss(p: f64) -> Result<f64, SiteError> {
    if (0.0..=1.0).contains(&p) { Ok(p) } else { Err(SiteError::BadLoss(p)) }
}

impl LabOptions {
    /// The loss probability, checked (0 when not given).
    pub fn loss(&self) -> Result<f64, SiteError> {
        check_loss(self.loss.unwrap_or(0.0))
    }

    /// Whether any option that only the built-in lab understands was given.
    fn lab_only_option(&self) -> Option<&'static str> {
        if !self.dhcp_options.is_empty() {
            Some("--dhcp-option")
        } else if self.dhcp_file.is_some() {
            Some("--dhcp-file")
        } else if self.dhcp_siaddr.is_some() {
            Some("--dhcp-siaddr")
        } else if self.lab_file.is_some() {
            Some("--lab")
        } else {
            None
        }
    }

    /// Fails when lab-only options are given for a network without the lab.
    pub fn check_for(&self, net: &NetSpec) -> Result<(), SiteError> {
        match (net, self.lab_only_option()) {
            (NetSpec::Lab { .. }, _) | (_, None) => Ok(()),
            (_, Some(option)) => Err(SiteError::LabOnly { option, net: net.to_string() }),
        }
    }

    /// The lab's configuration: the `--lab` file (or the defaults), then
    /// the DHCP options on top, validated.
    pub fn lab_config(&self) -> Result<LabConfig, SiteError> {
        self.lab_config_from(self.lab_file.as_deref())
    }

    /// The configuration of a lab serving `dir`: as `lab_config`, except that
    /// without `--lab` the directory's own `lab.toml` (when it has one) is the
    /// lab file, so a provisioning tree can carry the DHCP setup it needs.
    pub fn lab_config_in(&self, dir: &Path) -> Result<LabConfig, SiteError> {
        let own = dir.join(DIR_LAB_FILE);
        self.lab_config_from(self.lab_file.as_deref().or_else(|| own.is_file().then_some(own.as_path())))
    }

    fn lab_config_from(&self, file: Option<&Path>) -> Result<LabConfig, SiteError> {
        let mut cfg = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| SiteError::LabFile { path: path.to_path_buf(), source })?;
                LabConfig::from_toml(&text).map_err(|source| SiteError::LabConfig { path: Some(path.to_path_buf()), source })?
            }
            None => LabConfig::default(),
        };
        let cli = |source| SiteError::LabConfig { path: None, source };
        for opt in &self.dhcp_options {
            cfg.set_dhcp_arg(opt).map_err(cli)?;
        }
        if let Some(file) = &self.dhcp_file {
            cfg.dhcp.file = Some(file.clone());
        }
        if let Some(ip) = self.dhcp_siaddr {
            cfg.dhcp.siaddr = Some(ip);
        }
        if !(1..=4094).contains(&cfg.vlan) {
            return Err(SiteError::BadVlan(cfg.vlan));
        }
        cfg.validate().map_err(cli)?;
        Ok(cfg)
    }
}

/// The lab file a served directory may carry (used when `--lab` is not given).
pub const DIR_LAB_FILE: &str = "lab.toml";

/// The directory the lab serves: `dir` as given, else `assets/provisioning`
/// under `repo_root`; it must exist and be a directory.
pub fn lab_dir(dir: Option<&Path>, repo_root: &Path) -> Result<PathBuf, SiteError> {
    let path = dir.map_or_else(|| repo_root.join("assets/provisioning"), Path::to_path_buf);
    match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => Ok(path),
        Ok(_) => Err(SiteError::LabDir { path, reason: "not a directory".into() }),
        Err(e) => Err(SiteError::LabDir { path, reason: e.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// A command shaped like `st20xx run`: its own `--seed`, these flattened.
    #[derive(clap::Parser, Debug)]
    struct Run {
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        net: LabOptions,
    }

    fn parse(args: &[&str]) -> Result<Run, clap::Error> {
        Run::try_parse_from(std::iter::once("run").chain(args.iter().copied()))
    }

    #[test]
    fn flattens_beside_a_seed_flag_and_collects_every_option() {
        <Run as clap::CommandFactory>::command().debug_assert();
        let r = parse(&[
            "--seed", "9", "--dhcp-option", "66=10.0.0.1", "--dhcp-option", "67=hello.txt", "--dhcp-file", "boot.inf", "--dhcp-siaddr", "10.0.0.2",
            "--pcap", "x.pcap", "--trace-frames", "--loss", "0.25",
        ])
        .unwrap();
        assert_eq!(r.seed, 9);
        assert_eq!(r.net.dhcp_options, ["66=10.0.0.1", "67=hello.txt"]);
        assert_eq!((r.net.dhcp_file.as_deref(), r.net.dhcp_siaddr), (Some("boot.inf"), Some(Ipv4Addr::new(10, 0, 0, 2))));
        assert_eq!((r.net.pcap.as_deref(), r.net.trace_frames, r.net.loss), (Some(Path::new("x.pcap")), true, Some(0.25)));
        let cfg = r.net.lab_config().unwrap();
        let plan = cfg.validate().unwrap();
        assert_eq!(plan.defaults.options[&66], b"10.0.0.1");
        assert_eq!(plan.defaults.options[&67], b"hello.txt");
        assert_eq!(plan.defaults.file.as_deref(), Some(&b"boot.inf"[..]));
        assert_eq!(plan.defaults.siaddr, Some(Ipv4Addr::new(10, 0, 0, 2)));
    }

    #[test]
    fn bad_values_name_the_flag_and_the_reason() {
        let err = |args: &[&str]| parse(args).unwrap_err().to_string();
        let e = err(&["--dhcp-option", "150=prov.lab"]);
        assert!(e.contains("--dhcp-option") && e.contains("not a dotted IPv4 address"), "{e}");
        let e = err(&["--dhcp-option", "66"]);
        assert!(e.contains("is not CODE=VALUE"), "{e}");
        let e = err(&["--dhcp-option", "300=x"]);
        assert!(e.contains("1..=254"), "{e}");
        let e = err(&["--loss", "1.5"]);
        assert!(e.contains("--loss") && e.contains("0..=1"), "{e}");
        let e = err(&["--loss", "lots"]);
        assert!(e.contains("`lots` is not a number"), "{e}");
        let e = err(&["--dhcp-siaddr", "prov.lab"]);
        assert!(e.contains("--dhcp-siaddr"), "{e}");
        let long = "f".repeat(129);
        let e = parse(&["--dhcp-file", &long]).unwrap().net.lab_config().unwrap_err().to_string();
        assert!(e.contains("129 bytes"), "{e}");
        let hand_built = LabOptions { loss: Some(-0.1), ..Default::default() };
        assert_eq!(hand_built.loss().unwrap_err().to_string(), "loss must be a probability 0..=1, not -0.1");
    }

    #[test]
    fn lab_only_options_need_the_lab() {
        let o = parse(&["--dhcp-option", "66=10.0.0.1"]).unwrap().net;
        o.check_for(&NetSpec::Lab { dir: None }).unwrap();
        let e = o.check_for(&NetSpec::Tap { name: "tap0".into() }).unwrap_err().to_string();
        assert_eq!(e, "--dhcp-option configures the built-in lab, but the network is `tap:tap0` (use --net lab)");
        parse(&["--pcap", "a.pcap", "--loss", "0.1"]).unwrap().net.check_for(&NetSpec::None).unwrap();
    }

    #[test]
    fn a_served_directory_s_own_lab_file_is_used_unless_lab_is_given() {
        let dir = std::env::temp_dir().join(format!("site-dir-lab-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plain = LabOptions::default();
        assert!(plain.lab_config_in(&dir).unwrap().validate().unwrap().defaults.options.is_empty());
        std::fs::write(dir.join(DIR_LAB_FILE), "[dhcp]\noptions = { 66 = \"10.0.0.9\" }\n").unwrap();
        let cfg = plain.lab_config_in(&dir).unwrap();
        assert_eq!(cfg.validate().unwrap().defaults.options[&66].as_slice(), b"10.0.0.9");
        let cli = LabOptions { dhcp_options: vec!["66=10.0.0.1".into()], ..Default::default() };
        assert_eq!(cli.lab_config_in(&dir).unwrap().validate().unwrap().defaults.options[&66].as_slice(), b"10.0.0.1");
        let other = dir.join("other.toml");
        std::fs::write(&other, "vlan = 7\n").unwrap();
        let explicit = LabOptions { lab_file: Some(other), ..Default::default() };
        let cfg = explicit.lab_config_in(&dir).unwrap();
        assert_eq!(cfg.vlan, 7);
        assert!(cfg.validate().unwrap().defaults.options.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn lab_file_is_read_and_the_command_line_wins() {
        let dir = std::env::temp_dir().join(format!("site-opts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("lab.toml");
        std::fs::write(&file, "vlan = 100\n[dhcp]\noptions = { 66 = \"10.0.0.9\", 150 = \"10.0.0.2\" }\n").unwrap();
        let o = LabOptions { lab_file: Some(file.clone()), dhcp_options: vec!["66=10.0.0.1".into()], ..Default::default() };
        let cfg = o.lab_config().unwrap();
        assert_eq!(cfg.vlan, 100);
        let plan = cfg.validate().unwrap();
        assert_eq!((plan.defaults.options[&66].as_slice(), plan.defaults.options[&150].as_slice()), (&b"10.0.0.1"[..], &[10, 0, 0, 2][..]));

        std::fs::write(&file, "[dhcp]\nbogus = 1\n").unwrap();
        let e = o.lab_config().unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}: lab config:", file.display())) && e.contains("bogus"), "{e}");
        std::fs::write(&file, "vlan = 4095\n").unwrap();
        assert_eq!(o.lab_config().unwrap_err().to_string(), "the lab's VLAN must be 1..=4094, not 4095");
        let missing = LabOptions { lab_file: Some(dir.join("nope.toml")), ..Default::default() };
        assert!(missing.lab_config().unwrap_err().to_string().starts_with("cannot read the lab file"));

        assert_eq!(lab_dir(None, &dir).unwrap_err().to_string(), format!("the lab directory {}: No such file or directory (os error 2)", dir.join("assets/provisioning").display()));
        assert!(lab_dir(Some(&file), &dir).unwrap_err().to_string().ends_with("not a directory"));
        assert_eq!(lab_dir(Some(&dir), Path::new("/nowhere")).unwrap(), dir);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_readme_lab_file_example_is_valid() {
        let readme = include_str!("../README.md");
        let start = readme.find("```toml\n").expect("a toml block") + "```toml\n".len();
        let text = &readme[start..start + readme[start..].find("```").unwrap()];
        let cfg = LabConfig::from_toml(text).unwrap();
        assert_eq!(cfg.dhcp.classes.len(), 2);
        assert_eq!(cfg.http.status["/ST2030S.inf"], 500);
        let defaults = LabConfig::default();
        assert_eq!((cfg.vlan, cfg.addresses.clone(), cfg.sntp.clone(), cfg.tftp.clone()), (defaults.vlan, defaults.addresses, defaults.sntp, defaults.tftp));
    }
}
