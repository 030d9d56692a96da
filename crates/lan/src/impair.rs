//! Seeded network impairments — loss, delay (fixed + jitter), duplication —
//! as a wrapper around any [`Port`], composing like smoltcp's `FaultInjector`
//! (`Impair<PcapTap<Lab, _>>`, `PcapTap<Impair<Endpoint>, _>`, …).
//!
//! Each direction has its own [`Impairment`]: `rx` acts on frames going into
//! the wrapped port, `tx` on frames coming out of it. Guarantees: the only
//! randomness is a ChaCha8 stream from the given seed, so the same seed and
//! the same calls give the same frames at the same times; a delayed frame is
//! never delivered before its due time; jitter may reorder frames, as a real
//! path with jitter does.

use crate::port::Port;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What happens to frames in one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Impairment {
    /// Probability (0..=1) that a frame is dropped.
    pub loss: f64,
    /// Probability (0..=1) that a frame is delivered twice.
    pub duplicate: f64,
    /// Fixed delay added to every frame, µs.
    pub delay_us: u64,
    /// Extra delay drawn uniformly from `0..=jitter_us`, µs.
    pub jitter_us: u64,
}

impl Impairment {
    /// Loss only, in both directions' usual sense.
    pub fn loss(p: f64) -> Self {
        Impairment { loss: p, ..Default::default() }
    }
}

/// Counters per direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImpairStats {
    pub passed: u64,
    pub lost: u64,
    pub duplicated: u64,
}

type Queue = BinaryHeap<Reverse<(u64, u64, Vec<u8>)>>;

/// A port whose traffic is impaired, seeded.
pub struct Impair<P> {
    inner: P,
    rx: Impairment,
    tx: Impairment,
    rng: ChaCha8Rng,
    seq: u64,
    rx_q: Queue,
    tx_q: Queue,
    pub rx_stats: ImpairStats,
    pub tx_stats: ImpairStats,
}

impl<P: Port> Impair<P> {
    pub fn new(inner: P, seed: u64, rx: Impairment, tx: Impairment) -> Self {
        Impair {
            inner,
            rx,
            tx,
            rng: ChaCha8Rng::seed_from_u64(seed),
            seq: 0,
            rx_q: Queue::new(),
            tx_q: Queue::new(),
            rx_stats: ImpairStats::default(),
            tx_stats: ImpairStats::default(),
        }
    }
    pub fn inner(&self) -> &P {
        &self.inner
    }
    pub fn inner_mut(&mut self) -> &mut P {
        &mut self.inner
    }

    /// Applies `imp` to a frame and queues its surviving copies.
    fn impair(rng: &mut ChaCha8Rng, seq: &mut u64, imp: &Impairment, stats: &mut ImpairStats, q: &mut Queue, now: u64, frame: &[u8]) {
        if imp.loss > 0.0 && rng.random::<f64>() < imp.loss {
            stats.lost += 1;
            return;
        }
        let copies = if imp.duplicate > 0.0 && rng.random::<f64>() < imp.duplicate {
            stats.duplicated += 1;
            2
        } else {
            1
        };
        stats.passed += 1;
        for _ in 0..copies {
            let jitter = if imp.jitter_us > 0 { rng.random_range(0..=imp.jitter_us) } else { 0 };
            *seq += 1;
            q.push(Reverse((now.saturating_add(imp.delay_us).saturating_add(jitter), *seq, frame.to_vec())));
        }
    }

    fn deliver_rx(&mut self, now: u64) {
        while let Some(Reverse((due, _, _))) = self.rx_q.peek() {
            if *due > now {
                break;
            }
            let Reverse((_, _, f)) = self.rx_q.pop().expect("peeked");
            self.inner.receive(now, &f);
        }
    }
}

impl<P: Port> Port for Impair<P> {
    fn receive(&mut self, now: u64, frame: &[u8]) {
        Self::impair(&mut self.rng, &mut self.seq, &self.rx, &mut self.rx_stats, &mut self.rx_q, now, frame);
        self.deliver_rx(now);
    }

    fn transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        self.deliver_rx(now);
        while let Some(f) = self.inner.transmit(now) {
            Self::impair(&mut self.rng, &mut self.seq, &self.tx, &mut self.tx_stats, &mut self.tx_q, now, &f);
        }
        match self.tx_q.peek() {
            Some(Reverse((due, _, _))) if *due <= now => self.tx_q.pop().map(|Reverse((_, _, f))| f),
            _ => None,
        }
    }

    fn poll_at(&self) -> Option<u64> {
        let q = |q: &Queue| q.peek().map(|Reverse((due, _, _))| *due);
        [self.inner.poll_at(), q(&self.rx_q), q(&self.tx_q)].into_iter().flatten().min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port::Endpoint;

    fn drain(p: &mut impl Port, now: u64) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| p.transmit(now)).collect()
    }

    #[test]
    fn loss_is_seeded_and_near_its_rate() {
        let run = |seed| {
            let mut p = Impair::new(Endpoint::new(), seed, Impairment::default(), Impairment::loss(0.2));
            for i in 0..4_000u32 {
                p.inner_mut().send(i.to_be_bytes().to_vec());
            }
            drain(&mut p, 0)
        };
        let a = run(7);
        assert_eq!(a, run(7), "same seed, same survivors");
        assert_ne!(a, run(8));
        assert!((3_050..3_350).contains(&a.len()), "{} of 4000 survived", a.len());
    }

    #[test]
    fn delay_and_jitter_hold_frames_until_due() {
        let imp = Impairment { delay_us: 1000, jitter_us: 500, ..Default::default() };
        let mut p = Impair::new(Endpoint::new(), 1, imp, Impairment::default());
        p.receive(10, &[1]);
        assert!(p.inner_mut().recv().is_none());
        let due = p.poll_at().unwrap();
        assert!((1010..=1510).contains(&due), "{due}");
        drain(&mut p, due - 1);
        assert!(p.inner_mut().recv().is_none(), "not before its time");
        drain(&mut p, due);
        assert_eq!(p.inner_mut().recv(), Some((due, vec![1])));
        assert_eq!(p.poll_at(), None);
    }

    #[test]
    fn duplication_delivers_twice() {
        let imp = Impairment { duplicate: 1.0, ..Default::default() };
        let mut p = Impair::new(Endpoint::new(), 3, Impairment::default(), imp);
        p.inner_mut().send(vec![5, 6]);
        assert_eq!(drain(&mut p, 0), vec![vec![5, 6], vec![5, 6]]);
        assert_eq!(p.tx_stats.duplicated, 1);
    }
}
