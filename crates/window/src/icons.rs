//! The LCD's segment icons, drawn as 16 × 11 dot bitmaps in the order of
//! `board::periph::lcd::ICON_NAMES`.
//!
//! Guarantees: every board icon name has a bitmap of exactly `W` × `H` dots
//! (checked by a test); unknown names have none.

pub const W: usize = 16;
pub const H: usize = 11;

const NETWORK: [&str; H] = [
    "......####......",
    "......#..#......",
    "......####......",
    ".......##.......",
    "..############..",
    "..#....##....#..",
    "..#....##....#..",
    "####..####..####",
    "#..#..#..#..#..#",
    "####..####..####",
    "................",
];

const MESSAGE: [&str; H] = [
    "################",
    "##............##",
    "#.#..........#.#",
    "#..#........#..#",
    "#...#......#...#",
    "#....#....#....#",
    "#.....#..#.....#",
    "#......##......#",
    "#..............#",
    "################",
    "................",
];

const MUTE: [&str; H] = [
    "#.....####......",
    ".#...#....#.....",
    "..#..#....#.....",
    "...#.#....#.....",
    "....##....#.....",
    "..#..##...#.#...",
    "..#..#.#..#.#...",
    "...#..###.##....",
    ".....###.#......",
    ".......#..#.....",
    ".....#####.#....",
];

const SPEAKER: [&str; H] = [
    "......#.........",
    ".....##...#.....",
    "....#.#....#....",
    "####..#..#..#...",
    "#.....#...#.#...",
    "#.....#...#.#...",
    "#.....#...#.#...",
    "####..#..#..#...",
    "....#.#....#....",
    ".....##...#.....",
    "......#.........",
];

const HEADSET: [&str; H] = [
    "....######......",
    "...#......#.....",
    "..#........#....",
    ".#..........#...",
    ".#..........#...",
    "###........###..",
    "###........###..",
    "###........###..",
    "###........##...",
    "...........#....",
    "......#####.....",
];

const FORWARD: [&str; H] = [
    "........#.......",
    "........##......",
    "........#.#.....",
    "#########..#....",
    "#...........#...",
    "#............#..",
    "#...........#...",
    "#########..#....",
    "........#.#.....",
    "........##......",
    "........#.......",
];

const LOCK: [&str; H] = [
    ".....####.......",
    "....#....#......",
    "...#......#.....",
    "...#......#.....",
    "..##########....",
    "..#........#....",
    "..#...##...#....",
    "..#...##...#....",
    "..#....#...#....",
    "..#........#....",
    "..##########....",
];

/// The dot rows of icon `name`, `'#'` for a dot.
pub fn bitmap(name: &str) -> Option<&'static [&'static str; H]> {
    Some(match name {
        "network" => &NETWORK,
        "message" => &MESSAGE,
        "mute" => &MUTE,
        "speaker" => &SPEAKER,
        "headset" => &HEADSET,
        "forward" => &FORWARD,
        "lock" => &LOCK,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use board::periph::lcd::ICON_NAMES;

    #[test]
    fn every_board_icon_has_a_full_bitmap() {
        for (_, name) in ICON_NAMES {
            let b = bitmap(name).unwrap_or_else(|| panic!("no bitmap for {name}"));
            assert!(b.iter().all(|r| r.len() == W && r.chars().all(|c| c == '#' || c == '.')), "{name}");
            assert!(b.iter().any(|r| r.contains('#')), "{name} is blank");
        }
        assert!(bitmap("fax").is_none());
        // No two icons look alike.
        for (i, (_, a)) in ICON_NAMES.iter().enumerate() {
            for (_, b) in &ICON_NAMES[i + 1..] {
                assert_ne!(bitmap(a), bitmap(b));
            }
        }
    }
}
