//! Which scenarios cover which CONFORMANCE.md requirement, as a table for a
//! terminal: every ID with its title and covering scenarios, then the
//! uncovered IDs.

use crate::conformance::REQUIREMENTS;
use std::fmt::Write as _;

/// The coverage table of `(scenario name, covered IDs)` pairs.
pub fn table<'a>(scenarios: impl IntoIterator<Item = (&'a str, &'a [String])>) -> String {
    let scenarios: Vec<(&str, &[String])> = scenarios.into_iter().collect();
    let mut out = String::new();
    let mut uncovered = Vec::new();
    for r in REQUIREMENTS {
        let by: Vec<&str> = scenarios.iter().filter(|(_, ids)| ids.iter().any(|i| i == r.id)).map(|(n, _)| *n).collect();
        if by.is_empty() {
            uncovered.push(r.id);
        }
        let _ = writeln!(out, "{:<4} {:<58} {}", r.id, r.title, if by.is_empty() { "-".to_string() } else { by.join(", ") });
    }
    let covered = REQUIREMENTS.len() - uncovered.len();
    let _ = writeln!(out, "\ncovered {covered} of {} requirements", REQUIREMENTS.len());
    if !uncovered.is_empty() {
        let _ = writeln!(out, "uncovered: {}", uncovered.join(" "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_coverers_then_the_uncovered() {
        let a = vec!["R1".to_string(), "D1".to_string()];
        let b = vec!["R1".to_string()];
        let t = table([("cut", a.as_slice()), ("boot", b.as_slice())]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], format!("{:<4} {:<58} cut", "D1", "DHCP option 60 in the string-TLV form"));
        assert!(lines[1].starts_with("D2 ") && lines[1].ends_with(" -"), "{}", lines[1]);
        let r1 = lines.iter().find(|l| l.starts_with("R1 ")).unwrap();
        assert!(r1.ends_with(" cut, boot"), "{r1}");
        assert!(t.contains("\ncovered 2 of 47 requirements\n"), "{t}");
        let last = lines.last().unwrap();
        assert!(last.starts_with("uncovered: D2 D3 ") && !last.contains("R1") && !last.contains("D1 "), "{last}");
    }
}
