//! Durations as people write them (`10s`, `500ms`, `1.5s`, `2m`, `1h`, `3d`,
//! `1m30s`, `250us`), parsed to whole emulated microseconds, and printed back.
//!
//! Hand-rolled rather than `humantime`: humantime refuses fractions (`1.5s`)
//! and returns `std::time::Duration`, while the trace counts `u64` µs.
//! Guarantees: `parse` never panics, rejects overflow, empty input, a missing
//! unit and precision finer than one microsecond, and `format(parse(x))`
//! parses back to the same value.

use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DurationError {
    #[error("empty duration")]
    Empty,
    #[error("`{0}`: expected a number, then a unit (us, ms, s, m, h, d), e.g. `1.5s`")]
    Syntax(String),
    #[error("`{0}`: unknown unit `{1}` (use us, ms, s, m, h or d)")]
    Unit(String, String),
    #[error("`{0}`: finer than a microsecond")]
    Precision(String),
    #[error("`{0}`: too long")]
    Overflow(String),
}

const UNITS: [(&str, u64); 6] = [("us", 1), ("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000), ("h", 3_600_000_000), ("d", 86_400_000_000)];

/// Parses a duration into microseconds. Several parts add up: `1m30s`.
pub fn parse(text: &str) -> Result<u64, DurationError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    let syntax = || DurationError::Syntax(text.to_string());
    let overflow = || DurationError::Overflow(text.to_string());
    let mut rest = s;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let unit_len = rest[num_len..].find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len() - num_len);
        let (num, unit) = (&rest[..num_len], &rest[num_len..num_len + unit_len]);
        if num.is_empty() || unit.is_empty() {
            return Err(syntax());
        }
        let scale = UNITS.iter().find(|(u, _)| *u == unit).map(|(_, k)| *k).ok_or_else(|| DurationError::Unit(text.to_string(), unit.to_string()))?;
        let (int, frac) = match num.split_once('.') {
            Some((i, f)) if !(f.contains('.') || (i.is_empty() && f.is_empty())) => (i, f),
            Some(_) => return Err(syntax()),
            None => (num, ""),
        };
        let int: u64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| overflow())? };
        let mut part = int.checked_mul(scale).ok_or_else(overflow)?;
        // The fraction times the scale must come out whole.
        let mut denom: u64 = 1;
        let mut frac_val: u64 = 0;
        for d in frac.bytes() {
            denom = denom.checked_mul(10).ok_or_else(|| DurationError::Precision(text.to_string()))?;
            frac_val = frac_val * 10 + u64::from(d - b'0');
        }
        let scaled = (frac_val as u128) * (scale as u128);
        if !scaled.is_multiple_of(denom as u128) {
            return Err(DurationError::Precision(text.to_string()));
        }
        part = part.checked_add((scaled / denom as u128) as u64).ok_or_else(overflow)?;
        total = total.checked_add(part).ok_or_else(overflow)?;
        rest = &rest[num_len + unit_len..];
    }
    Ok(total)
}

/// Formats microseconds in the shortest exact form: `0s`, `1.5s`, `250us`,
/// `2m`, `1d`, `90ms`.
pub fn format(us: u64) -> String {
    if us == 0 {
        return "0s".into();
    }
    if us.is_multiple_of(1_000_000) {
        let (unit, scale) = UNITS[2..].iter().rev().find(|(_, k)| us.is_multiple_of(*k)).expect("seconds divide");
        return format!("{}{unit}", us / scale);
    }
    if us >= 1_000_000 {
        let s = format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
        return format!("{}s", s.trim_end_matches('0'));
    }
    if us.is_multiple_of(1_000) { format!("{}ms", us / 1_000) } else { format!("{us}us") }
}

/// Formats a trace time for messages: seconds with millisecond precision
/// (`12.345s`).
pub fn stamp(us: u64) -> String {
    format!("{}.{:03}s", us / 1_000_000, (us % 1_000_000) / 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_fractions() {
        assert_eq!(parse("10s"), Ok(10_000_000));
        assert_eq!(parse("500ms"), Ok(500_000));
        assert_eq!(parse("2m"), Ok(120_000_000));
        assert_eq!(parse("1h"), Ok(3_600_000_000));
        assert_eq!(parse("3d"), Ok(259_200_000_000));
        assert_eq!(parse("1.5s"), Ok(1_500_000));
        assert_eq!(parse(".5s"), Ok(500_000));
        assert_eq!(parse("250us"), Ok(250));
        assert_eq!(parse("1m30s"), Ok(90_000_000));
        assert_eq!(parse(" 0s "), Ok(0));
    }

    #[test]
    fn bad_input_is_named() {
        assert_eq!(parse(""), Err(DurationError::Empty));
        assert_eq!(parse("10"), Err(DurationError::Syntax("10".into())));
        assert_eq!(parse("s"), Err(DurationError::Syntax("s".into())));
        assert_eq!(parse("1..5s"), Err(DurationError::Syntax("1..5s".into())));
        assert_eq!(parse("."), Err(DurationError::Syntax(".".into())));
        assert_eq!(parse("5 s"), Err(DurationError::Syntax("5 s".into())));
        assert_eq!(parse("5x"), Err(DurationError::Unit("5x".into(), "x".into())));
        assert_eq!(parse("1.5us"), Err(DurationError::Precision("1.5us".into())));
        assert_eq!(parse("0.00000000000000000000001s"), Err(DurationError::Precision("0.00000000000000000000001s".into())));
        assert_eq!(parse("99999999999999999999d"), Err(DurationError::Overflow("99999999999999999999d".into())));
        assert_eq!(parse("9999999999999d"), Err(DurationError::Overflow("9999999999999d".into())));
    }

    #[test]
    fn format_round_trips() {
        for (us, text) in [(0, "0s"), (1_500_000, "1.5s"), (250, "250us"), (120_000_000, "2m"), (86_400_000_000, "1d"), (90_000, "90ms"), (1_000_001, "1.000001s")] {
            assert_eq!(format(us), text);
            assert_eq!(parse(text), Ok(us));
        }
        assert_eq!(stamp(12_345_678), "12.345s");
    }
}
