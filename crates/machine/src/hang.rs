//! The hang guard: stops a CPU that runs too long (wall clock) in one slice.
//!
//! Unicorn's own `emu_start` timeout starts a new host thread for every call,
//! and a phone calls `emu_start` once per wake-up: a day of idle in virtual
//! time cost thousands of thread creations. Instead, one monitor thread per
//! process watches every slice in progress and calls `uc_emu_stop` on a CPU
//! whose slice outlived its budget.
//!
//! Guarantees: `uc_emu_stop` is only called while the slice is registered
//! (under the registry lock, which `Slice::drop` also takes), so it never
//! reaches an engine that finished or was freed; `uc_emu_start` clears a stop
//! request that arrives between the end of a slice and its deregistration.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};
use unicorn_engine::uc_engine;

/// How often the monitor looks (the budget is met to within this).
const TICK: Duration = Duration::from_millis(20);

struct Entry {
    engine: usize,
    deadline: Instant,
    fired: bool,
}

static SLICES: Mutex<BTreeMap<u64, Entry>> = Mutex::new(BTreeMap::new());
static NEXT: AtomicU64 = AtomicU64::new(0);
static MONITOR: Once = Once::new();

fn slices() -> MutexGuard<'static, BTreeMap<u64, Entry>> {
    SLICES.lock().unwrap_or_else(|e| e.into_inner())
}

fn monitor() {
    loop {
        std::thread::sleep(TICK);
        let now = Instant::now();
        for e in slices().values_mut().filter(|e| !e.fired && e.deadline <= now) {
            e.fired = true;
            // SAFETY: the engine is alive while its slice is registered, and
            // uc_emu_stop may be called from another thread (it is how
            // unicorn's own timeout works).
            unsafe { unicorn_engine::uc_emu_stop(e.engine as *mut uc_engine) };
        }
    }
}

/// One guarded slice; deregisters on drop.
pub(crate) struct Slice {
    id: u64,
}

impl Slice {
    /// Starts guarding a slice of `engine` that may run for `budget`.
    pub(crate) fn start(engine: *mut uc_engine, budget: Duration) -> Slice {
        MONITOR.call_once(|| {
            std::thread::Builder::new().name("st20xx-hang-guard".into()).spawn(monitor).expect("the hang-guard thread starts");
        });
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        slices().insert(id, Entry { engine: engine as usize, deadline: Instant::now() + budget, fired: false });
        Slice { id }
    }

    /// Ends the slice; true when the guard stopped it.
    pub(crate) fn finish(self) -> bool {
        let fired = slices().remove(&self.id).is_some_and(|e| e.fired);
        std::mem::forget(self);
        fired
    }
}

impl Drop for Slice {
    fn drop(&mut self) {
        slices().remove(&self.id);
    }
}
