//! What a swarm is made of: how many phones, which models in which mix,
//! their MACs (with `--shard I/N` taking a disjoint slice), when each one is
//! powered on (the ramp), the clock, the seed, the run's length and each
//! phone's goal (`--until`).
//!
//! Guarantees: [`SwarmConfig::phones`] is a pure function of the config, so
//! every shard of a sharded run agrees on which phone is which: phone `k`
//! (global index) always has MAC `mac_base + k`, the same model and the same
//! seed, whatever the shard. Parsers return [`SwarmError`]s naming the input.

use crate::SwarmError;
use board::model::Model;
use machine::ClockMode;

/// The models of a swarm with their weights (`ST2030S=70,ST2022S=30`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mix(pub Vec<(Model, u32)>);

impl Mix {
    /// One model only.
    pub fn single(model: Model) -> Mix {
        Mix(vec![(model, 1)])
    }

    /// Parses `MODEL=WEIGHT,…` (weights are whole numbers, at least one > 0).
    pub fn parse(s: &str) -> Result<Mix, SwarmError> {
        let bad = |why: &str| SwarmError::BadMix { text: s.into(), why: why.into() };
        let mut out: Vec<(Model, u32)> = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part.split_once('=').ok_or_else(|| bad(&format!("`{part}` is not MODEL=WEIGHT")))?;
            let model = Model::parse(name.trim()).ok_or_else(|| bad(&format!("unknown model `{}`", name.trim())))?;
            let weight: u32 = weight.trim().parse().map_err(|_| bad(&format!("`{}` is not a whole number", weight.trim())))?;
            if out.iter().any(|(m, _)| *m == model) {
                return Err(bad(&format!("{model} is given twice")));
            }
            out.push((model, weight));
        }
        if out.iter().map(|(_, w)| u64::from(*w)).sum::<u64>() == 0 {
            return Err(bad("no model has a weight above 0"));
        }
        Ok(Mix(out))
    }

    fn total(&self) -> u64 {
        self.0.iter().map(|(_, w)| u64::from(*w)).sum()
    }

    /// The model of phone `k`: the mix repeats every `total weight` phones,
    /// each model taking its weight's run of consecutive phones, so any
    /// `total weight` consecutive phones hold the mix exactly.
    pub fn model_of(&self, k: u64) -> Model {
        let mut r = k % self.total();
        for (m, w) in &self.0 {
            if r < u64::from(*w) {
                return *m;
            }
            r -= u64::from(*w);
        }
        unreachable!("r < total weight")
    }
}

impl std::fmt::Display for Mix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(m, w)| format!("{m}={w}")).collect();
        f.write_str(&parts.join(","))
    }
}

/// `--shard I/N`: this process runs the `I`-th of `N` equal slices (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub of: u32,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, of: 1 };

    pub fn parse(s: &str) -> Result<Shard, SwarmError> {
        let bad = || SwarmError::BadShard(s.into());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, of): (u32, u32) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if of == 0 || index >= of {
            return Err(bad());
        }
        Ok(Shard { index, of })
    }

    /// The global phone indices `[start, end)` of this shard out of `count`.
    pub fn range(self, count: u64) -> (u64, u64) {
        let cut = |i: u64| i * count / u64::from(self.of);
        (cut(u64::from(self.index)), cut(u64::from(self.index) + 1))
    }
}

/// Parses a MAC: six hex bytes separated by `:` or `-`, or 12 hex digits.
pub fn parse_mac(s: &str) -> Result<[u8; 6], SwarmError> {
    let digits: String = s.chars().filter(|c| *c != ':' && *c != '-').collect();
    if digits.len() != 12 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(SwarmError::BadMac(s.into()));
    }
    let mut mac = [0u8; 6];
    for (i, b) in mac.iter_mut().enumerate() {
        *b = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).map_err(|_| SwarmError::BadMac(s.into()))?;
    }
    Ok(mac)
}

/// `mac + k`, carrying across bytes; `None` when it would wrap past ff:ff:ff:ff:ff:ff.
pub fn mac_add(mac: [u8; 6], k: u64) -> Option<[u8; 6]> {
    let mut v = [0u8; 8];
    v[2..].copy_from_slice(&mac);
    let sum = u64::from_be_bytes(v).checked_add(k).filter(|s| *s < 1 << 48)?;
    let b = sum.to_be_bytes();
    Some([b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// `--until`: where a phone's run ends. A phone that reached its goal is
/// done: with [`Goal::Lease`] it is powered off and no longer scheduled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// The first `dhcp: lease …` console line (a DHCP load test).
    Lease,
    /// `Auto provisioning done` (the whole provisioning run).
    #[default]
    Provisioned,
}

impl Goal {
    pub const ALL: [Goal; 2] = [Goal::Lease, Goal::Provisioned];

    pub fn parse(s: &str) -> Result<Goal, SwarmError> {
        Goal::ALL.into_iter().find(|g| g.name() == s.trim()).ok_or_else(|| SwarmError::BadGoal(s.into()))
    }

    /// The goal as `--until` and the report spell it.
    pub fn name(self) -> &'static str {
        match self {
            Goal::Lease => "lease",
            Goal::Provisioned => "provisioned",
        }
    }
}

impl std::fmt::Display for Goal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One phone of the swarm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneSpec {
    /// Index in the whole (unsharded) swarm.
    pub index: u64,
    pub mac: [u8; 6],
    pub model: Model,
    /// The phone's RNG seed: the swarm's seed mixed with its index.
    pub seed: u64,
    /// Emulated µs at which it is powered on.
    pub power_on_us: u64,
    /// Emulated µs at which its cable is plugged in (`None`: plugged from the start).
    pub link_up_us: Option<u64>,
}

/// A whole swarm run.
#[derive(Clone, Debug)]
pub struct SwarmConfig {
    /// Phones in the whole swarm (all shards together).
    pub count: u64,
    pub mix: Mix,
    pub mac_base: [u8; 6],
    /// Phones powered on per second (`None`: all at time 0).
    pub ramp_per_s: Option<f64>,
    /// Emulated µs after which the run stops, decided or not.
    pub duration_us: u64,
    pub clock: ClockMode,
    pub seed: u64,
    pub shard: Shard,
    /// The fixed one-way link latency, µs (the lookahead window of the scheduler).
    pub latency_us: u64,
    /// Worker threads (0: one per core).
    pub workers: usize,
    /// Keep every record for a trace (costs memory; only with `--trace`).
    pub keep_trace: bool,
    /// At most this many phones per built-in lab (`None`: [`crate::engine::LAB_CLIENTS`]; never more than its DHCP pool).
    pub phones_per_lab: Option<usize>,
    /// The translation buffer of each worker's cores, bytes (`machine::MachineOptions::code_buffer`).
    pub code_buffer: u32,
    /// From this emulated µs on, the built-in lab's HTTP server is gone: every
    /// TCP segment to or from port 80 is dropped (`None`: never).
    pub http_stop_us: Option<u64>,
    /// Where each phone's run ends.
    pub until: Goal,
    /// Cables out at power-on, plugged in from this emulated µs on (`None`:
    /// plugged from the start). Phones boot meanwhile and wait for the link,
    /// as after a site power failure when the switches come back last.
    pub link_up_us: Option<u64>,
    /// Cables plugged in per second from `link_up_us` on (`None`: all at once).
    pub link_ramp_per_s: Option<f64>,
}

impl SwarmConfig {
    /// A swarm of `count` phones of `model` with the defaults: MACs from
    /// 00:90:96:00:00:00, no ramp, 10 minutes, virtual clock, seed 0, each
    /// phone until it is provisioned.
    pub fn new(count: u64, model: Model) -> SwarmConfig {
        SwarmConfig {
            count,
            mix: Mix::single(model),
            mac_base: [0x00, 0x90, 0x96, 0, 0, 0],
            ramp_per_s: None,
            duration_us: 600_000_000,
            clock: ClockMode::Virtual,
            seed: 0,
            shard: Shard::WHOLE,
            latency_us: 50,
            workers: 0,
            keep_trace: false,
            phones_per_lab: None,
            code_buffer: machine::MachineOptions::default().code_buffer,
            http_stop_us: None,
            until: Goal::Provisioned,
            link_up_us: None,
            link_ramp_per_s: None,
        }
    }

    /// The phones of this shard, in index order. Phone `k` of the shard is
    /// powered on at `k / ramp` seconds (its position in the shard, so each
    /// shard ramps at the given rate). With `link_up_us`, its cable goes in
    /// at `link_up_us + k / link_ramp` seconds.
    pub fn phones(&self) -> Result<Vec<PhoneSpec>, SwarmError> {
        for r in [self.ramp_per_s, self.link_ramp_per_s].into_iter().flatten() {
            if !(r.is_finite() && r > 0.0) {
                return Err(SwarmError::BadRamp(r));
            }
        }
        let (start, end) = self.shard.range(self.count);
        let last = end.saturating_sub(1);
        if self.count > 0 && mac_add(self.mac_base, last).is_none() {
            return Err(SwarmError::MacRange { base: trace::phone_id(self.mac_base), count: self.count });
        }
        Ok((start..end)
            .map(|k| {
                let local = k - start;
                let at = |ramp: Option<f64>| ramp.map_or(0, |r| (local as f64 * 1e6 / r).round() as u64);
                let power_on_us = at(self.ramp_per_s);
                let link_up_us = self.link_up_us.map(|t| t + at(self.link_ramp_per_s));
                let (mac, model, seed) = (mac_add(self.mac_base, k).expect("range checked"), self.mix.model_of(k), mix64(self.seed ^ mix64(k)));
                PhoneSpec { index: k, mac, model, seed, power_on_us, link_up_us }
            })
            .collect())
    }
}

/// SplitMix64's finaliser: spreads a seed and an index into a phone seed.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Model {
        Model::parse(s).unwrap()
    }

    #[test]
    fn mix_parses_and_repeats_exactly() {
        let mix = Mix::parse("ST2030S=70, ST2022S=30").unwrap();
        assert_eq!(mix.0, vec![(m("ST2030S"), 70), (m("ST2022S"), 30)]);
        assert_eq!(mix.to_string(), "ST2030S=70,ST2022S=30");
        let n = (0..1000).filter(|&k| mix.model_of(k) == m("ST2022S")).count();
        assert_eq!(n, 300);
        assert_eq!(mix.model_of(69), m("ST2030S"));
        assert_eq!(mix.model_of(70), m("ST2022S"));
        for (bad, why) in [("ST2030S", "MODEL=WEIGHT"), ("ST9999S=1", "unknown model"), ("ST2030S=x", "whole number"), ("ST2030S=0", "above 0"), ("ST2030S=1,ST2030S=2", "twice")] {
            let e = Mix::parse(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn shards_are_disjoint_and_cover_the_swarm() {
        assert_eq!(Shard::parse("1/3").unwrap(), Shard { index: 1, of: 3 });
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let ranges: Vec<_> = (0..3).map(|i| Shard { index: i, of: 3 }.range(10)).collect();
        assert_eq!(ranges, [(0, 3), (3, 6), (6, 10)]);
    }

    #[test]
    fn goals_parse_by_name() {
        assert_eq!(Goal::parse("lease").unwrap(), Goal::Lease);
        assert_eq!(Goal::parse("provisioned").unwrap(), Goal::Provisioned);
        assert_eq!(Goal::default(), Goal::Provisioned);
        let e = Goal::parse("inf").unwrap_err().to_string();
        assert!(e.contains("`inf`") && e.contains("lease") && e.contains("provisioned"), "{e}");
    }

    #[test]
    fn macs_count_up_with_carry_and_refuse_to_wrap() {
        assert_eq!(parse_mac("00:90:96:00:00:ff").unwrap(), [0, 0x90, 0x96, 0, 0, 0xff]);
        assert_eq!(parse_mac("009096-0000FF").unwrap(), [0, 0x90, 0x96, 0, 0, 0xff]);
        assert!(parse_mac("00:90:96:00:00").is_err());
        assert!(parse_mac("00:90:96:00:00:zz").is_err());
        assert_eq!(mac_add([0, 0x90, 0x96, 0, 0, 0xff], 1), Some([0, 0x90, 0x96, 0, 1, 0]));
        assert_eq!(mac_add([0xff; 6], 1), None);
    }

    #[test]
    fn a_shard_gets_the_same_phones_as_the_whole_swarm() {
        let mut cfg = SwarmConfig::new(10, m("ST2030S"));
        cfg.mix = Mix::parse("ST2030S=1,ST2022S=1").unwrap();
        cfg.ramp_per_s = Some(100.0);
        let whole = cfg.phones().unwrap();
        cfg.shard = Shard { index: 1, of: 2 };
        let half = cfg.phones().unwrap();
        assert_eq!(half.len(), 5);
        for p in &half {
            let w = &whole[p.index as usize];
            assert_eq!((p.mac, p.model, p.seed), (w.mac, w.model, w.seed));
        }
        assert_eq!(half[0].mac, [0, 0x90, 0x96, 0, 0, 5]);
        assert_eq!(half[1].power_on_us, 10_000, "the ramp counts within the shard");
        cfg.ramp_per_s = Some(0.0);
        assert!(cfg.phones().is_err());
        cfg.ramp_per_s = None;
        cfg.mac_base = [0xff, 0xff, 0xff, 0xff, 0xff, 0xfa];
        assert!(matches!(cfg.phones(), Err(SwarmError::MacRange { .. })));
    }
}
