//! `st20xx ser encrypt|decrypt KEY IN OUT`: the project's counterpart of the
//! vendor's `aes_cbc_128 <key> <input> <output>` (CONFORMANCE E1), over the
//! firmware's own `aps::ser`.
//!
//! A file goes to a file (or into OUT when OUT is an existing directory). A
//! directory goes to a directory: every `.txt` under IN (recursively) is
//! encrypted to the same relative path with `.ser`, or every `.ser`
//! decrypted to `.txt`; other files are left alone.
//!
//! Guarantees: the key is exactly 16 bytes (clear error otherwise); a file
//! that does not decrypt is named in the error and no output is written for
//! it; an input is never overwritten by its own output.

use anyhow::{Context, Result, anyhow, bail};
use aps::ser::{self, KEY_LEN};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum SerCommand {
    /// Encrypt a file, or every .txt under a directory into .ser files.
    Encrypt(SerArgs),
    /// Decrypt a file, or every .ser under a directory into .txt files.
    Decrypt(SerArgs),
}

#[derive(clap::Args)]
pub struct SerArgs {
    /// The 16-character key (the phone's `Decryption_Key`; its default is `Th0mson2$8s8@9z!`).
    #[arg(value_parser = parse_key, allow_hyphen_values = true)]
    key: [u8; KEY_LEN],
    /// A file or a directory.
    input: PathBuf,
    /// A file, or a directory (created when missing).
    output: PathBuf,
}

pub fn dispatch(cmd: SerCommand) -> Result<ExitCode> {
    let (dir, a) = match cmd {
        SerCommand::Encrypt(a) => (Direction::Encrypt, a),
        SerCommand::Decrypt(a) => (Direction::Decrypt, a),
    };
    let report: String = run(dir, &a.key, &a.input, &a.output)?.into_iter().map(|l| l + "\n").collect();
    print(&report)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly
/// instead of panicking as `print!` does.
pub fn print(text: &str) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("cannot write to stdout"),
        _ => Ok(()),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Encrypt,
    Decrypt,
}

impl Direction {
    /// The extension read and the one written.
    fn extensions(self) -> (&'static str, &'static str) {
        match self {
            Direction::Encrypt => ("txt", "ser"),
            Direction::Decrypt => ("ser", "txt"),
        }
    }
}

/// The `KEY` argument: 16 characters, each one byte (ASCII or ISO-8859-1,
/// as the phone's keypad and config files hold it).
pub fn parse_key(s: &str) -> Result<[u8; KEY_LEN], String> {
    let bytes: Option<Vec<u8>> = s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
    let bytes = bytes.ok_or_else(|| format!("the key `{s}` has a character outside ISO-8859-1"))?;
    bytes.try_into().map_err(|b: Vec<u8>| format!("the key must be exactly {KEY_LEN} characters, `{s}` has {}", b.len()))
}

/// The ciphertext of `plain` (PKCS#7 padding, zero IV).
pub fn encrypt_bytes(key: &[u8; KEY_LEN], plain: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; ser::padded_len(plain.len())];
    buf[..plain.len()].copy_from_slice(plain);
    // Cannot fail: the buffer has exactly `padded_len` bytes.
    let n = ser::encrypt(key, &mut buf, plain.len()).map(<[u8]>::len).unwrap_or(0);
    buf.truncate(n);
    buf
}

/// The plaintext of `cipher`, or why it is not one (wrong key, not a `.ser`).
pub fn decrypt_bytes(key: &[u8; KEY_LEN], cipher: &[u8]) -> Result<Vec<u8>, ser::SerError> {
    let mut buf = cipher.to_vec();
    let n = ser::decrypt(key, &mut buf)?.len();
    buf.truncate(n);
    Ok(buf)
}

/// Runs the command; returns one report line per file written.
pub fn run(dir: Direction, key: &[u8; KEY_LEN], input: &Path, output: &Path) -> Result<Vec<String>> {
    let meta = std::fs::metadata(input).with_context(|| format!("cannot read {}", input.display()))?;
    if !meta.is_dir() {
        let out = if output.is_dir() { output.join(renamed(input, dir)) } else { output.to_path_buf() };
        return Ok(vec![one(dir, key, input, &out)?]);
    }
    if output.exists() && !output.is_dir() {
        bail!("{} is a directory but {} is not", input.display(), output.display());
    }
    let (from_ext, _) = dir.extensions();
    let mut report = Vec::new();
    let mut failed = Vec::new();
    for rel in files_under(input)? {
        if !has_extension(&rel, from_ext) {
            continue;
        }
        let out = output.join(rel.with_file_name(renamed(&rel, dir)));
        match one(dir, key, &input.join(&rel), &out) {
            Ok(line) => report.push(line),
            Err(e) => failed.push(format!("{e:#}")),
        }
    }
    if !failed.is_empty() {
        bail!("{} of {} files failed:\n{}", failed.len(), failed.len() + report.len(), failed.join("\n"));
    }
    if report.is_empty() {
        bail!("no .{from_ext} file under {}", input.display());
    }
    Ok(report)
}

fn one(dir: Direction, key: &[u8; KEY_LEN], input: &Path, out: &Path) -> Result<String> {
    if same_file(input, out) {
        bail!("{}: the output would overwrite the input", input.display());
    }
    let data = std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;
    let result = match dir {
        Direction::Encrypt => encrypt_bytes(key, &data),
        Direction::Decrypt => decrypt_bytes(key, &data).map_err(|e| anyhow!("{}: cannot decrypt: {e}", input.display()))?,
    };
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(out, &result).with_context(|| format!("cannot write {}", out.display()))?;
    let verb = if dir == Direction::Encrypt { "encrypted" } else { "decrypted" };
    Ok(format!("{verb} {} -> {} ({} -> {} bytes)", input.display(), out.display(), data.len(), result.len()))
}

/// `name.txt` -> `name.ser` (or back); a name without the expected
/// extension keeps it and gains the new one.
fn renamed(path: &Path, dir: Direction) -> PathBuf {
    let (from, to) = dir.extensions();
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = if has_extension(path, from) { &name[..name.len() - from.len() - 1] } else { &name[..] };
    PathBuf::from(format!("{stem}.{to}"))
}

pub fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Every regular file under `dir`, as paths relative to it, sorted
/// (symbolic links to files are followed, to directories not).
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let here = dir.join(&rel);
        for entry in std::fs::read_dir(&here).with_context(|| format!("cannot list {}", here.display()))? {
            let entry = entry.with_context(|| format!("cannot list {}", here.display()))?;
            let kind = entry.file_type()?;
            let path = rel.join(entry.file_name());
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() || (kind.is_symlink() && dir.join(&path).is_file()) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `printf '[sys]\nconfig_sn=1\n' | openssl enc -aes-128-cbc -K
    /// 5468306d736f6e322438733840397a21 -iv 0` (the vector of `aps::ser`).
    const CIPHER: [u8; 32] = [
        0x15, 0x21, 0x60, 0x03, 0xf8, 0xe9, 0x3c, 0xd6, 0xba, 0xb3, 0xcd, 0x95, 0x5a, 0x0f, 0x03, 0x9b, 0x45, 0x88, 0xf3, 0xa9, 0x5b,
        0xfd, 0xeb, 0x0c, 0x25, 0xd2, 0x07, 0x15, 0x73, 0xc1, 0xcd, 0x94,
    ];

    #[test]
    fn keys() {
        assert_eq!(parse_key("Th0mson2$8s8@9z!"), Ok(ser::DEFAULT_KEY));
        assert_eq!(parse_key("é234567890123456").map(|k| k[0]), Ok(0xE9));
        assert_eq!(parse_key("short").unwrap_err(), "the key must be exactly 16 characters, `short` has 5");
        assert!(parse_key("€234567890123456").unwrap_err().contains("outside ISO-8859-1"));
    }

    #[test]
    fn bytes_match_the_openssl_vector() {
        assert_eq!(encrypt_bytes(&ser::DEFAULT_KEY, b"[sys]\nconfig_sn=1\n"), CIPHER);
        assert_eq!(decrypt_bytes(&ser::DEFAULT_KEY, &CIPHER).unwrap(), b"[sys]\nconfig_sn=1\n");
        assert!(decrypt_bytes(b"1234567890123456", &CIPHER).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(renamed(Path::new("a/ComConf.TXT"), Direction::Encrypt), PathBuf::from("ComConf.ser"));
        assert_eq!(renamed(Path::new("x.ser"), Direction::Decrypt), PathBuf::from("x.txt"));
        assert_eq!(renamed(Path::new("noext"), Direction::Encrypt), PathBuf::from("noext.ser"));
    }
}
