//! What a scenario run gives back, and its three renderings: a human summary,
//! JUnit XML (for CI dashboards) and JSON (for scripts).
//!
//! JUnit XML is written by hand: the format used here is five elements, and
//! the crates that write it pull in date, UUID and ANSI-stripping
//! dependencies we do not need. Guarantees: the XML is well-formed for any
//! text (escaped; characters XML 1.0 forbids become U+FFFD); the JSON keys
//! are stable (documented on `JsonReport`).

use crate::expect::Outcome;
use crate::time::stamp;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;
use trace::Record;

/// The result of running one scenario.
#[derive(Clone, Debug)]
pub struct Report {
    pub name: String,
    pub path: PathBuf,
    pub covers: Vec<String>,
    /// Why the run could not start or finish (no ROM, a bad flash file, a
    /// step that could not happen). A report with an error has failed.
    pub error: Option<String>,
    /// "no crash" first, then one per expectation in file order.
    pub outcomes: Vec<Outcome>,
    /// Emulated time at which the run stopped.
    pub end_us: u64,
    /// Host seconds the run took.
    pub host_secs: f64,
    /// The phone's whole trace.
    pub trace: Vec<Record>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.outcomes.iter().all(|o| o.passed)
    }

    pub fn failures(&self) -> usize {
        self.outcomes.iter().filter(|o| !o.passed).count()
    }

    /// A few lines for a terminal: the verdict, then each failure.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} {} ({}): {} expectation(s), {} emulated in {:.2}s\n",
            if self.passed() { "PASS" } else { "FAIL" },
            self.name,
            self.path.display(),
            self.outcomes.len(),
            stamp(self.end_us),
            self.host_secs
        );
        if let Some(e) = &self.error {
            let _ = writeln!(s, "  error: {e}");
        }
        for o in self.outcomes.iter().filter(|o| !o.passed) {
            let at = if o.line > 0 { format!("{}:{}: ", self.path.display(), o.line) } else { String::new() };
            let _ = writeln!(s, "  {at}{}: {}\n    {}", o.label, o.expected, o.detail);
        }
        s
    }
}

/// The JSON form: `{"passed": bool, "scenarios": [JsonScenario…]}`.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub passed: bool,
    pub scenarios: Vec<JsonScenario<'a>>,
}

#[derive(Serialize)]
pub struct JsonScenario<'a> {
    pub name: &'a str,
    pub file: String,
    pub covers: &'a [String],
    pub passed: bool,
    pub error: Option<&'a str>,
    pub emulated_us: u64,
    pub host_secs: f64,
    pub trace_records: usize,
    pub expectations: Vec<JsonOutcome<'a>>,
}

#[derive(Serialize)]
pub struct JsonOutcome<'a> {
    pub label: &'a str,
    pub line: usize,
    pub expected: &'a str,
    pub passed: bool,
    pub detail: &'a str,
}

/// All reports as one JSON document (pretty-printed).
pub fn json(reports: &[Report]) -> String {
    let doc = JsonReport {
        passed: reports.iter().all(Report::passed),
        scenarios: reports
            .iter()
            .map(|r| JsonScenario {
                name: &r.name,
                file: r.path.display().to_string(),
                covers: &r.covers,
                passed: r.passed(),
                error: r.error.as_deref(),
                emulated_us: r.end_us,
                host_secs: r.host_secs,
                trace_records: r.trace.len(),
                expectations: r.outcomes.iter().map(|o| JsonOutcome { label: &o.label, line: o.line, expected: &o.expected, passed: o.passed, detail: &o.detail }).collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).expect("reports always serialize")
}

/// All reports as JUnit XML: one `testsuite` per scenario, one `testcase`
/// per expectation (plus `run` when the run itself failed).
pub fn junit(reports: &[Report]) -> String {
    let tests: usize = reports.iter().map(|r| r.outcomes.len() + usize::from(r.error.is_some())).sum();
    let failures: usize = reports.iter().map(Report::failures).sum();
    let errors = reports.iter().filter(|r| r.error.is_some()).count();
    let time: f64 = reports.iter().map(|r| r.host_secs).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(x, "<testsuites name=\"st20xx scenarios\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time:.3}\">");
    for r in reports {
        let file = esc(&r.path.display().to_string());
        let name = esc(&r.name);
        let _ = writeln!(
            x,
            "  <testsuite name=\"{name}\" file=\"{file}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">",
            r.outcomes.len() + usize::from(r.error.is_some()),
            r.failures(),
            usize::from(r.error.is_some()),
            r.host_secs
        );
        let _ = writeln!(x, "    <properties><property name=\"covers\" value=\"{}\"/><property name=\"emulated_us\" value=\"{}\"/></properties>", esc(&r.covers.join(" ")), r.end_us);
        if let Some(e) = &r.error {
            let _ = writeln!(x, "    <testcase name=\"run\" classname=\"{name}\" file=\"{file}\" time=\"0\"><error message=\"{}\"/></testcase>", esc(e));
        }
        for o in &r.outcomes {
            let case = esc(&format!("{}: {}", o.label, o.expected));
            let _ = write!(x, "    <testcase name=\"{case}\" classname=\"{name}\" file=\"{file}\" line=\"{}\" time=\"0\"", o.line);
            if o.passed {
                x.push_str("/>\n");
            } else {
                let _ = writeln!(x, "><failure message=\"{}\">{}</failure></testcase>", esc(&o.detail), esc(&o.detail));
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// Escapes text for XML attributes and content.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(label: &str, passed: bool, detail: &str) -> Outcome {
        Outcome { label: label.into(), line: 7, expected: "LCD line 3 shows \"Idle\"".into(), passed, detail: detail.into() }
    }

    fn reports() -> Vec<Report> {
        vec![
            Report {
                name: "boot".into(),
                path: "scenarios/boot.toml".into(),
                covers: vec!["R1".into(), "L1".into()],
                error: None,
                outcomes: vec![outcome("no crash", true, ""), outcome("lcd #1", false, "no match; it showed: [0.100s \"<A&B>\u{1}\"]")],
                end_us: 11_000_000,
                host_secs: 0.25,
                trace: vec![],
            },
            Report { name: "nothing".into(), path: "x.toml".into(), covers: vec![], error: Some("roms/: no manifest".into()), outcomes: vec![], end_us: 0, host_secs: 0.0, trace: vec![] },
        ]
    }

    #[test]
    fn junit_bytes() {
        let want = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="st20xx scenarios" tests="3" failures="1" errors="1" time="0.250">
  <testsuite name="boot" file="scenarios/boot.toml" tests="2" failures="1" errors="0" time="0.250">
    <properties><property name="covers" value="R1 L1"/><property name="emulated_us" value="11000000"/></properties>
    <testcase name="no crash: LCD line 3 shows &quot;Idle&quot;" classname="boot" file="scenarios/boot.toml" line="7" time="0"/>
    <testcase name="lcd #1: LCD line 3 shows &quot;Idle&quot;" classname="boot" file="scenarios/boot.toml" line="7" time="0"><failure message="no match; it showed: [0.100s &quot;&lt;A&amp;B&gt;\u{FFFD}&quot;]">no match; it showed: [0.100s &quot;&lt;A&amp;B&gt;\u{FFFD}&quot;]</failure></testcase>
  </testsuite>
  <testsuite name="nothing" file="x.toml" tests="1" failures="0" errors="1" time="0.000">
    <properties><property name="covers" value=""/><property name="emulated_us" value="0"/></properties>
    <testcase name="run" classname="nothing" file="x.toml" time="0"><error message="roms/: no manifest"/></testcase>
  </testsuite>
</testsuites>
"#
        .replace("\\u{FFFD}", "\u{FFFD}");
        assert_eq!(junit(&reports()), want);
    }

    #[test]
    fn json_shape() {
        let v: serde_json::Value = serde_json::from_str(&json(&reports())).unwrap();
        assert_eq!(v["passed"], false);
        assert_eq!(v["scenarios"][0]["name"], "boot");
        assert_eq!(v["scenarios"][0]["covers"][1], "L1");
        assert_eq!(v["scenarios"][0]["emulated_us"], 11_000_000);
        assert_eq!(v["scenarios"][0]["expectations"][1]["passed"], false);
        assert_eq!(v["scenarios"][0]["expectations"][1]["line"], 7);
        assert_eq!(v["scenarios"][1]["error"], "roms/: no manifest");
        assert_eq!(v["scenarios"][1]["passed"], false);
    }

    #[test]
    fn summary_names_file_line_and_detail() {
        let r = &reports()[0];
        assert!(!r.passed());
        let s = r.summary();
        assert!(s.starts_with("FAIL boot (scenarios/boot.toml): 2 expectation(s), 11.000s emulated in 0.25s\n"), "{s}");
        assert!(s.contains("  scenarios/boot.toml:7: lcd #1: LCD line 3 shows \"Idle\"\n    no match"), "{s}");
        assert!(reports()[1].summary().contains("  error: roms/: no manifest"));
    }
}
