//! Key scripts: timed key presses, hook and power changes in one line, as
//! `st20xx run --keys` and a scenario step's `keys =` take them.
//!
//! ```text
//! script  := token*                      (separated by blanks)
//! token   := TIME                        the next action happens at TIME (from the script's start)
//!          | +TIME                       the next action happens TIME after the previous one began
//!          | KEY                         a press: down, then up 100 ms later
//!          | KEY:down | KEY:up           one half of a press
//!          | offhook | onhook            the hook switch
//!          | poweron | poweroff | powercut   power (off and cut are the same: the phone has no switch)
//! ```
//!
//! TIME is a duration (`2s`, `2.5s`, `500ms`, see `time`); KEY is a keypad
//! name (`0`-`9`, `*`, `#`, `menu`, `ok`, `up`, `vol_up`, … as in
//! `board::keys`). An action with no TIME before it begins 200 ms after the
//! previous one. Example: `2s menu 2.5s down ok 5s offhook 8s onhook`.
//!
//! Guarantees: the result is sorted by time (stable); time never goes back
//! (an earlier TIME is an error); every error names the bad token.

use crate::time;
use board::keys::Key;
use thiserror::Error;

/// How long a scripted key press holds the key down.
pub const PRESS_US: u64 = 100_000;
/// Where an untimed action begins, after the previous action.
pub const GAP_US: u64 = 200_000;

/// Something done to the phone from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    PowerOn,
    /// Power removed at once (what "power off" means for this phone).
    PowerCut,
    Key { key: Key, down: bool },
    Hook { off_hook: bool },
}

/// An input at a time (µs from the script's start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timed {
    pub at_us: u64,
    pub input: Input,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("key script token {index} `{token}`: {reason}")]
pub struct ScriptError {
    /// 1-based position of the token in the script.
    pub index: usize,
    pub token: String,
    pub reason: String,
}

/// Parses a key script.
pub fn parse(script: &str) -> Result<Vec<Timed>, ScriptError> {
    let mut out = Vec::new();
    // When the next action starts if no TIME comes first, and the last action's start.
    let mut next_us: u64 = 0;
    let mut last_us: u64 = 0;
    let mut pending_time: Option<(usize, String)> = None;
    for (i, tok) in script.split_whitespace().enumerate() {
        let err = |reason: String| ScriptError { index: i + 1, token: tok.to_string(), reason };
        if is_time(tok) {
            if let Some((_, prev)) = &pending_time {
                return Err(err(format!("two times in a row (after `{prev}`) with no action between")));
            }
            let (rel, text) = match tok.strip_prefix('+') {
                Some(t) => (true, t),
                None => (false, tok),
            };
            let d = time::parse(text).map_err(|e| err(e.to_string()))?;
            let at = if rel { last_us.checked_add(d).ok_or_else(|| err("time overflows".into()))? } else { d };
            if at < last_us {
                return Err(err(format!("goes back in time: the previous action began at {}", time::format(last_us))));
            }
            next_us = at;
            pending_time = Some((i + 1, tok.to_string()));
            continue;
        }
        let at = next_us;
        let mut push = |input| out.push(Timed { at_us: at, input });
        match tok.to_ascii_lowercase().as_str() {
            "offhook" => push(Input::Hook { off_hook: true }),
            "onhook" => push(Input::Hook { off_hook: false }),
            "poweron" => push(Input::PowerOn),
            "poweroff" | "powercut" => push(Input::PowerCut),
            _ => {
                let (name, half) = match tok.rsplit_once(':') {
                    Some((n, "down")) => (n, Some(true)),
                    Some((n, "up")) => (n, Some(false)),
                    Some((_, h)) => return Err(err(format!("`{h}` is not `down` or `up`"))),
                    None => (tok, None),
                };
                let key = Key::from_name(name).ok_or_else(|| err(unknown_key(name)))?;
                match half {
                    Some(down) => push(Input::Key { key, down }),
                    None => {
                        push(Input::Key { key, down: true });
                        out.push(Timed { at_us: at + PRESS_US, input: Input::Key { key, down: false } });
                    }
                }
            }
        }
        pending_time = None;
        last_us = at;
        next_us = at + GAP_US;
    }
    if let Some((index, token)) = pending_time {
        return Err(ScriptError { index, token, reason: "a time with no action after it".into() });
    }
    out.sort_by_key(|t| t.at_us);
    Ok(out)
}

/// A TIME token: `+` first, or digits, dots and letters only with a digit or
/// `.` first and a letter somewhere (so `2` is a key and `0:down` a half press).
fn is_time(tok: &str) -> bool {
    tok.starts_with('+')
        || (tok.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && tok.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
            && tok.contains(|c: char| c.is_ascii_alphabetic()))
}

fn unknown_key(name: &str) -> String {
    let names: Vec<&str> = Key::ALL.iter().map(|k| k.name()).collect();
    format!("unknown key `{name}` (keys: {}; also offhook, onhook, poweron, poweroff)", names.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(at_us: u64, key: Key, down: bool) -> Timed {
        Timed { at_us, input: Input::Key { key, down } }
    }

    #[test]
    fn the_briefs_example() {
        let got = parse("2s menu 2.5s down 3s ok 5s offhook 8s onhook").unwrap();
        assert_eq!(
            got,
            vec![
                key(2_000_000, Key::Menu, true),
                key(2_100_000, Key::Menu, false),
                key(2_500_000, Key::Down, true),
                key(2_600_000, Key::Down, false),
                key(3_000_000, Key::Ok, true),
                key(3_100_000, Key::Ok, false),
                Timed { at_us: 5_000_000, input: Input::Hook { off_hook: true } },
                Timed { at_us: 8_000_000, input: Input::Hook { off_hook: false } },
            ]
        );
    }

    #[test]
    fn untimed_actions_follow_200ms_apart_and_relative_times_count_from_the_last() {
        let got = parse("1s 1 2 +1s # 0:down 0:up poweroff +500ms poweron").unwrap();
        let at: Vec<u64> = got.iter().map(|t| t.at_us).collect();
        assert_eq!(at, vec![1_000_000, 1_100_000, 1_200_000, 1_300_000, 2_200_000, 2_300_000, 2_400_000, 2_600_000, 2_800_000, 3_300_000]);
        assert_eq!(got[0].input, Input::Key { key: Key::D1, down: true });
        assert_eq!(got[6].input, Input::Key { key: Key::D0, down: true });
        assert_eq!(got[7].input, Input::Key { key: Key::D0, down: false });
        assert_eq!(got[8].input, Input::PowerCut);
        assert_eq!(got[9].input, Input::PowerOn);
    }

    #[test]
    fn empty_script_is_empty() {
        assert_eq!(parse("  "), Ok(vec![]));
    }

    #[test]
    fn errors_name_the_token() {
        let e = parse("2s menu 3s banana").unwrap_err();
        assert_eq!((e.index, e.token.as_str()), (4, "banana"));
        assert!(e.to_string().starts_with("key script token 4 `banana`: unknown key `banana`"), "{e}");

        let e = parse("3s ok 2s menu").unwrap_err();
        assert_eq!((e.index, e.token.as_str()), (3, "2s"));
        assert!(e.reason.contains("goes back in time"), "{e}");

        let e = parse("1s 2s ok").unwrap_err();
        assert_eq!(e.index, 2);

        let e = parse("ok 5s").unwrap_err();
        assert_eq!((e.index, e.reason.as_str()), (2, "a time with no action after it"));

        let e = parse("5x ok").unwrap_err();
        assert!(e.reason.contains("unknown unit"), "{e}");

        let e = parse("ok:sideways").unwrap_err();
        assert!(e.reason.contains("`sideways`"), "{e}");
    }
}
