//! `st20xx lint DIR`: checks a provisioning tree with the firmware's own
//! parsers and checks (`aps`), and reports what a phone would reject.
//!
//! - Every `*.inf`: `aps::inf` (syntax, unusable values I4/I6, ignored lines
//!   I5, keys the model's protocol does not use), and every name it gives
//!   must be in the tree: over HTTP relative to the INF (resolved with the
//!   phone's `aps::url`), over TFTP relative to the root; either will do.
//! - Each named file is checked as the phone checks that kind: images
//!   (header, CRC, kind, and the model of the INF's name: `ST2030S.inf`,
//!   `ST2030S_<MAC>.inf`), telcfg magic header, RTTTL melodies, deck-file
//!   XML, common configs (decrypted when `.ser`).
//! - Every `<MODEL>_<MAC>.txt|.ser` is a MAC config (needs `config_sn`).
//! - Every config gets the `aps::settings` rule of each key it sets.
//! - Other `.txt` / `.ser` / `.zz` files no INF names are checked loosely
//!   (warnings only).
//!
//! Findings are errors (the phone would reject the file or value) or
//! warnings (ignored, unchecked, or suspicious); `file:line: message`, the
//! line left out when the finding is about a whole file.
//!
//! Guarantees: reads only; never panics on any file content; the findings
//! are sorted by file then line, so output is stable.

use anyhow::{Context, Result};
use aps::config::{Config, ConfigErrorReason};
use aps::inf::{IgnoredWhy, Inf, InfErrorReason, Key, Value};
use aps::run::{FileKind, content, plan, xml};
use aps::ser::KEY_LEN;
use aps::settings::Known;
use aps::url::{self, Url};
use board::image::{HEADER_LEN, Header, Kind};
use board::map::{FLASH_PAGE, SLOT_LEN};
use board::model::{Hardware, Model};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct LintArgs {
    /// The provisioning tree (what the TFTP/HTTP server serves).
    dir: PathBuf,
    /// The key that decrypts the .ser files (default: the phone's built-in key).
    #[arg(long, value_parser = crate::ser::parse_key, allow_hyphen_values = true)]
    key: Option<[u8; KEY_LEN]>,
    /// Print the findings as a JSON array instead of lines.
    #[arg(long)]
    json: bool,
}

/// Prints the findings; fails (exit 1) when the phone would reject anything.
pub fn dispatch(a: LintArgs) -> Result<ExitCode> {
    if !a.dir.is_dir() {
        anyhow::bail!("{} is not a directory", a.dir.display());
    }
    let findings = lint(&a.dir, &a.key.unwrap_or(aps::ser::DEFAULT_KEY))?;
    let out = if a.json {
        format!("{}\n", to_json(&findings))
    } else {
        findings.iter().map(|f| f.render(&a.dir) + "\n").collect()
    };
    crate::ser::print(&out)?;
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    eprintln!("{}: {errors} errors, {} warnings", a.dir.display(), findings.len() - errors);
    Ok(if errors == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One thing found: the file (relative to the tree, `/`-separated), the
/// 1-based line when it is about one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    pub line: Option<u32>,
    pub severity: Severity,
    pub message: String,
}

impl Finding {
    /// `file:line: error: message` with `file` under `root` as given.
    pub fn render(&self, root: &Path) -> String {
        let file = root.join(&self.file);
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match self.line {
            Some(l) => format!("{}:{l}: {sev}: {}", file.display(), self.message),
            None => format!("{}: {sev}: {}", file.display(), self.message),
        }
    }
}

/// Lints the tree at `root`; `key` decrypts the `.ser` files.
pub fn lint(root: &Path, key: &[u8; KEY_LEN]) -> Result<Vec<Finding>> {
    let files: BTreeSet<String> = crate::ser::files_under(root)?.iter().map(|p| slash(p)).collect();
    let mut l = Linter { root, key, files, findings: Vec::new(), referenced: HashSet::new(), checked: HashSet::new() };
    let infs: Vec<String> = l.files.iter().filter(|f| ext_is(f, "inf")).cloned().collect();
    for inf in &infs {
        l.inf(inf)?;
    }
    let rest: Vec<String> = l.files.iter().filter(|f| !l.referenced.contains(*f)).cloned().collect();
    for f in &rest {
        if let Some((_, upper)) = mac_config_name(f) {
            l.mac_config(f, upper)?;
        } else if ext_is(f, "txt") || ext_is(f, "ser") {
            l.loose_config(f)?;
        } else if ext_is(f, "zz") {
            let bytes = l.read(f)?;
            if let Err(e) = Header::check_image(&bytes) {
                l.warn(f, None, format!("not a valid firmware image ({e:?}); no INF names it"));
            }
        }
    }
    let mut findings = l.findings;
    findings.sort_by(|a, b| (&a.file, a.line, a.severity).cmp(&(&b.file, b.line, b.severity)));
    findings.dedup();
    Ok(findings)
}

/// The findings as a JSON array of `{file, line, severity, message}`.
/// Hand-rolled: four flat fields do not justify a serde dependency in the
/// root package.
pub fn to_json(findings: &[Finding]) -> String {
    let items: Vec<String> = findings
        .iter()
        .map(|f| {
            let line = f.line.map_or("null".into(), |l| l.to_string());
            let sev = if f.severity == Severity::Error { "error" } else { "warning" };
            format!("{{\"file\":{},\"line\":{line},\"severity\":\"{sev}\",\"message\":{}}}", json_str(&f.file), json_str(&f.message))
        })
        .collect();
    format!("[{}]", items.join(",\n "))
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn slash(p: &Path) -> String {
    p.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

fn ext_is(f: &str, ext: &str) -> bool {
    f.rsplit_once('.').is_some_and(|(_, e)| e.eq_ignore_ascii_case(ext))
}

fn base_name(f: &str) -> &str {
    f.rsplit('/').next().unwrap_or(f)
}

/// ISO-8859-1 bytes as text.
fn text(b: &[u8]) -> String {
    crate::flash_inspect::latin1(b)
}

/// The model an INF is for, from its name (`ST2030S.inf`, `ST2030S_….inf`).
fn inf_model(f: &str) -> Option<Model> {
    Model::parse(base_name(f).get(..7)?).filter(|_| matches!(base_name(f).as_bytes().get(7), Some(b'.' | b'_')))
}

/// `<MODEL>_<12 hex>.txt|.ser`: the model and whether the hex is upper case.
fn mac_config_name(f: &str) -> Option<(Model, bool)> {
    let name = base_name(f);
    let (stem, ext) = name.rsplit_once('.')?;
    if !(ext.eq_ignore_ascii_case("txt") || ext.eq_ignore_ascii_case("ser")) {
        return None;
    }
    let (model, mac) = stem.split_once('_')?;
    let model = Model::parse(model)?;
    (mac.len() == 12 && mac.bytes().all(|b| b.is_ascii_hexdigit())).then(|| (model, !mac.bytes().any(|b| b.is_ascii_lowercase())))
}

/// The 1-based line of byte offset `at`.
fn line_of(text: &[u8], at: usize) -> u32 {
    let at = at.min(text.len());
    u32::try_from(text[..at].iter().filter(|&&b| b == b'\n').count() + 1).unwrap_or(u32::MAX)
}

/// Removes `.` and `..` from a `/`-separated relative path; `None` above the root.
fn normalize(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

/// Undoes `%XX` escapes of a URL path (HTTP servers do the same).
fn percent_decode(p: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (p[i], p.get(i + 1).copied().and_then(hex), p.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Where an INF value points in the tree.
enum Target {
    Found(String),
    Missing { tried: Vec<String> },
    /// An absolute URL or a drive path: not in the tree's reach.
    Outside,
}

struct Linter<'a> {
    root: &'a Path,
    key: &'a [u8; KEY_LEN],
    files: BTreeSet<String>,
    findings: Vec<Finding>,
    referenced: HashSet<String>,
    /// (file, kind, hardware) already checked.
    checked: HashSet<(String, FileKind, Option<Hardware>)>,
}

impl Linter<'_> {
    fn push(&mut self, severity: Severity, file: &str, line: Option<u32>, message: String) {
        self.findings.push(Finding { file: file.to_string(), line, severity, message });
    }
    fn error(&mut self, file: &str, line: Option<u32>, message: String) {
        self.push(Severity::Error, file, line, message);
    }
    fn warn(&mut self, file: &str, line: Option<u32>, message: String) {
        self.push(Severity::Warning, file, line, message);
    }

    fn read(&self, f: &str) -> Result<Vec<u8>> {
        let p: PathBuf = self.root.join(f);
        std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))
    }

    fn inf(&mut self, f: &str) -> Result<()> {
        let bytes = self.read(f)?;
        let model = inf_model(f);
        let inf = match Inf::parse(&bytes) {
            Ok(i) => i,
            Err(e) => {
                let why = match e.reason {
                    InfErrorReason::Syntax(s) => s.to_string(),
                    r => r.to_string(),
                };
                self.error(f, Some(e.line), format!("{why} (the phone cannot read this INF: `Gen File Not Found`)"));
                return Ok(());
            }
        };
        for ig in inf.ignored() {
            let name = text(ig.name);
            let msg = match ig.why {
                IgnoredWhy::UnknownSection => format!("unknown section [{name}] (the phone ignores it)"),
                IgnoredWhy::UnknownKey => format!("unknown key `{name}` (the phone ignores it)"),
                IgnoredWhy::BadProvisionMode => "provision_mode is neither auto_provisioning nor customization (the phone ignores it)".into(),
            };
            self.warn(f, Some(ig.line), msg);
        }
        let hidden = inf.ignored_total() as usize - inf.ignored().len();
        if hidden > 0 {
            self.warn(f, None, format!("{hidden} more ignored lines"));
        }
        for (name, field) in inf.fields() {
            let kind = if name == "deckfile" { Some(FileKind::DeckFile) } else { Key::from_name(name.as_bytes()).and_then(FileKind::from_key) };
            if let (Some(m), Some(k)) = (model, kind)
                && !plan::uses(m.protocol, k)
            {
                self.warn(f, Some(field.line), format!("`{name}` is not used by {m} ({} phones ignore it)", m.protocol.name()));
                continue;
            }
            let value = match field.value {
                Value::Usable(v) => v,
                Value::Unusable(why) => {
                    let stop = kind.map_or("Wrong Com Config", |k| k.wrong().text());
                    self.error(f, Some(field.line), format!("`{name}`: {why} (the phone stops with `{stop}`)"));
                    continue;
                }
            };
            match kind {
                None => self.config_dir(f, field.line, value),
                Some(k) => match self.resolve(f, value) {
                    Target::Outside => self.warn(f, Some(field.line), format!("`{name}`: `{}` is outside the tree (not checked)", text(value))),
                    Target::Missing { tried } => {
                        let hint = if ext_is(&text(value), "zz") { "; firmware images are built by `cargo xtask roms` or `st20xx fw pack`" } else { "" };
                        let case = self.case_twin(&tried).map_or(String::new(), |t| format!("; `{t}` differs only in letter case"));
                        self.error(f, Some(field.line), format!("`{name}`: `{}` is not in the tree (the phone shows `{}`{hint}{case})", text(value), k.not_found().text()));
                    }
                    Target::Found(path) => self.named_file(f, field.line, name, k, model, &path)?,
                },
            }
        }
        Ok(())
    }

    /// The HTTP place (relative to the INF) and the TFTP place (relative to
    /// the root) of a value.
    fn resolve(&self, inf: &str, value: &[u8]) -> Target {
        if url::has_scheme(value) || value.get(1) == Some(&b':') {
            return Target::Outside;
        }
        let mut tried = Vec::new();
        let base = format!("http://lint.invalid/{inf}");
        if let Ok(base) = Url::parse(base.as_bytes())
            && let Ok(r) = base.join(value)
        {
            let path = text(&percent_decode(r.path()));
            let path = path.split('?').next().unwrap_or_default().trim_start_matches('/').to_string();
            tried.push(path);
        }
        if let Some(p) = normalize(&text(value).replace('\\', "/")) {
            tried.push(p);
        }
        tried.dedup();
        match tried.iter().find(|p| self.files.contains(*p)) {
            Some(p) => Target::Found(p.clone()),
            None => Target::Missing { tried },
        }
    }

    fn case_twin(&self, tried: &[String]) -> Option<String> {
        tried.iter().find_map(|t| self.files.iter().find(|f| f.eq_ignore_ascii_case(t)).cloned())
    }

    /// `config=`: the HTTP directory of the MAC configs.
    fn config_dir(&mut self, f: &str, line: u32, value: &[u8]) {
        if url::has_scheme(value) {
            self.warn(f, Some(line), format!("`config`: `{}` is outside the tree (not checked)", text(value)));
            return;
        }
        let dir = match self.resolve(f, value) {
            Target::Found(p) => p,
            Target::Missing { tried } => tried.into_iter().next().unwrap_or_default(),
            Target::Outside => return,
        };
        let prefix = if dir.is_empty() { String::new() } else { format!("{}/", dir.trim_end_matches('/')) };
        if !self.files.iter().any(|p| p.starts_with(&prefix)) {
            self.warn(f, Some(line), format!("`config`: directory `{}` is not in the tree (MAC configs will not be found over HTTP)", text(value)));
        }
    }

    /// A file an INF names, checked as the phone checks its kind.
    fn named_file(&mut self, inf: &str, line: u32, key: &str, kind: FileKind, model: Option<Model>, path: &str) -> Result<()> {
        self.referenced.insert(path.to_string());
        if let Some(img) = kind.image() {
            return self.image(inf, line, key, img, model, path);
        }
        if !self.checked.insert((path.to_string(), kind, model.map(|m| m.hardware))) {
            return Ok(());
        }
        let bytes = self.read(path)?;
        match kind {
            FileKind::Melodies | FileKind::SystemMelodies | FileKind::CallWaitingTone | FileKind::BeepTone => {
                if let Err(e) = content::check_melody(&bytes) {
                    let line = match e {
                        content::MelodyError::Empty => None,
                        content::MelodyError::NotText(l)
                        | content::MelodyError::Sections(l)
                        | content::MelodyError::Default(l)
                        | content::MelodyError::Note(l) => Some(l),
                    };
                    let why = e.to_string();
                    let why = why.split_once(": ").filter(|_| line.is_some()).map_or(why.as_str(), |(_, w)| w).to_string();
                    if kind == FileKind::BeepTone {
                        self.warn(path, line, format!("not RTTTL: {why} (the phone stores the beep tone unchecked)"));
                    } else {
                        self.error(path, line, format!("not RTTTL: {why} (the phone shows `{}`)", kind.corrupted().text()));
                    }
                }
            }
            FileKind::Telcfg => {
                let hws = model.map_or(vec![Hardware::St2030, Hardware::St2022], |m| vec![m.hardware]);
                if !hws.iter().any(|&h| content::check_telcfg(h, &bytes).is_ok()) {
                    let want: Vec<String> = hws.iter().map(|&h| format!("{} for {}", text(content::telcfg_magic(h)), h.name())).collect();
                    self.error(path, Some(1), format!("the first line must start with {} (the phone shows `Wrong Tel Config`)", want.join(" or ")));
                }
            }
            FileKind::DeckFile => {
                if let Err(e) = xml::check(&bytes) {
                    let doc = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
                    self.error(path, Some(line_of(doc, e.at)), format!("XML not well-formed: {:?} (the phone shows `XML Syntax Error`)", e.kind));
                }
            }
            FileKind::CommonConfig => self.config(path, &bytes, false, Severity::Error),
            _ => {
                if bytes.is_empty() {
                    self.warn(path, None, "empty file".into());
                }
            }
        }
        Ok(())
    }

    fn image(&mut self, inf: &str, line: u32, key: &str, want: Kind, model: Option<Model>, path: &str) -> Result<()> {
        let bytes = self.read(path)?;
        let h = match Header::check_image(&bytes) {
            Ok((h, _)) => h,
            Err(e) => {
                if self.checked.insert((path.to_string(), FileKind::App, None)) {
                    self.error(path, None, format!("not a valid firmware image: {e:?} (the phone shows `Corrupted Firmware`)"));
                }
                return Ok(());
            }
        };
        let got = Model { hardware: h.hardware, protocol: h.protocol };
        if h.kind != want {
            self.error(inf, Some(line), format!("`{key}`: `{path}` is a {} image, not {} (the phone shows `Wrong Firmware`)", h.kind.name(), want.name()));
        } else if let Some(m) = model.filter(|&m| m != got) {
            self.error(inf, Some(line), format!("`{key}`: `{path}` is an {got} image, this INF is for {m} (the phone shows `Wrong Firmware`)"));
        }
        let max = SLOT_LEN - HEADER_LEN as u32 - FLASH_PAGE;
        if want == Kind::App && h.payload_len > max {
            self.error(path, None, format!("payload of {} bytes does not fit a firmware slot ({max} at most)", h.payload_len));
        }
        Ok(())
    }

    fn mac_config(&mut self, f: &str, upper: bool) -> Result<()> {
        if !upper {
            self.warn(f, None, format!("the phone asks for the MAC in upper case (`{}`)", base_name(f).to_ascii_uppercase().replace(".TXT", ".txt").replace(".SER", ".ser")));
        }
        let bytes = self.read(f)?;
        self.config(f, &bytes, true, Severity::Error);
        Ok(())
    }

    /// A `.txt` / `.ser` no INF names and not a MAC config: a config, maybe.
    fn loose_config(&mut self, f: &str) -> Result<()> {
        let bytes = self.read(f)?;
        self.config(f, &bytes, false, Severity::Warning);
        Ok(())
    }

    /// A common or MAC config: decrypted when `.ser`, parsed, every known
    /// key's value checked.
    fn config(&mut self, f: &str, bytes: &[u8], mac: bool, severity: Severity) {
        let loose = if severity == Severity::Warning { " (no INF names this file)" } else { "" };
        let plain = if ext_is(f, "ser") {
            match crate::ser::decrypt_bytes(self.key, bytes) {
                Ok(p) => p,
                Err(e) => {
                    self.push(severity, f, None, format!("cannot decrypt with key `{}`: {e} (the phone shows `Corrupted Config`; give the key with --key){loose}", text(self.key)));
                    return;
                }
            }
        } else {
            bytes.to_vec()
        };
        let parsed = if mac { Config::parse_mac(&plain) } else { Config::parse(&plain) };
        let c = match parsed {
            Ok(c) => c,
            Err(e) => {
                let why = match e.reason {
                    ConfigErrorReason::Syntax(s) => s.to_string(),
                    r => r.to_string(),
                };
                let line = (e.line > 0).then_some(e.line);
                self.push(severity, f, line, format!("{why} (the phone shows `Corrupted Config` and applies nothing){loose}"));
                return;
            }
        };
        for e in c.entries() {
            let Some(k) = Known::find(e.section, e.key) else { continue };
            if e.value.is_empty() {
                continue;
            }
            if let Err(why) = k.check(e.value) {
                self.push(severity, f, Some(e.line), format!("[{}] {}={}: {why} (the phone ignores this value){loose}", k.section(), k.key(), text(e.value)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(inf_model("ST2030S.inf"), Model::parse("ST2030S"));
        assert_eq!(inf_model("sub/st2022m_009096A1B1C1.inf"), Model::parse("ST2022M"));
        assert_eq!(inf_model("ST2030SX.inf"), None);
        assert_eq!(inf_model("boot.inf"), None);
        assert_eq!(mac_config_name("ST2030S_009096A1B1C1.txt"), Some((Model::parse("ST2030S").unwrap(), true)));
        assert_eq!(mac_config_name("x/ST2022M_009096a1b1c1.ser"), Some((Model::parse("ST2022M").unwrap(), false)));
        assert_eq!(mac_config_name("ST2030S_009096A1B1C.txt"), None);
        assert_eq!(mac_config_name("ComConf2030S.txt"), None);
    }

    #[test]
    fn paths_and_lines() {
        assert_eq!(normalize("./a//b/../c.txt"), Some("a/c.txt".into()));
        assert_eq!(normalize("../x"), None);
        assert_eq!(percent_decode(b"/a%20b%zz"), b"/a b%zz");
        assert_eq!(line_of(b"a\nb\nc", 0), 1);
        assert_eq!(line_of(b"a\nb\nc", 4), 3);
        assert_eq!(line_of(b"a\n", 99), 2);
    }

    #[test]
    fn json() {
        let f = Finding { file: "a \"b\".inf".into(), line: Some(3), severity: Severity::Error, message: "x\\y\n\u{1}".into() };
        assert_eq!(to_json(&[f]), r#"[{"file":"a \"b\".inf","line":3,"severity":"error","message":"x\\y\n\u0001"}]"#);
        assert_eq!(to_json(&[]), "[]");
    }

    #[test]
    fn render() {
        let f = Finding { file: "ST2030S.inf".into(), line: None, severity: Severity::Warning, message: "m".into() };
        assert_eq!(f.render(Path::new("tree")), "tree/ST2030S.inf: warning: m");
    }
}
