//! Peripheral blocks: base addresses, register offsets (relative to the
//! block) and bit fields. Every register is 32 bits wide and accessed as a
//! whole word unless its doc says otherwise.
//!
//! Events that wake a sleeping CPU (see `sysctl`): a received frame, a key or
//! hook change, a finished flash operation, the sleep deadline.

use crate::map::{PERIPH, PERIPH_BLOCK};

const fn block(n: u32) -> u32 {
    PERIPH.base + n * PERIPH_BLOCK
}

/// System control: identity, reset, sleep, watchdog, boot window.
pub mod sysctl {
    pub const BASE: u32 = super::block(0);
    pub mod reg {
        /// RO: `model::Hardware` as u8 in bits 0..8, hardware revision in bits 8..16.
        pub const MODEL: u32 = 0x00;
        /// RO: MAC bytes 0..4 from OTP, byte 0 in bits 0..8.
        pub const MAC_LO: u32 = 0x04;
        /// RO: MAC bytes 4..6 in bits 0..16.
        pub const MAC_HI: u32 = 0x08;
        /// RO: why the CPU last started (`RESET_CAUSE_*`).
        pub const RESET_CAUSE: u32 = 0x0C;
        /// WO: write `RESET_KEY` for a software reset (takes effect at the next sleep or stop).
        pub const RESET: u32 = 0x10;
        /// RW: the wake-up deadline in timer µs, low and high words. `wfi`
        /// sleeps until this deadline or a wake event, whichever comes first.
        /// `u64::MAX` sleeps until an event. Writing HI after LO arms it.
        pub const SLEEP_LO: u32 = 0x14;
        pub const SLEEP_HI: u32 = 0x18;
        /// RW: watchdog timeout in µs; 0 disables (the reset value).
        pub const WDT_TIMEOUT: u32 = 0x1C;
        /// WO: write `WDT_KICK_KEY` to restart the watchdog period.
        pub const WDT_KICK: u32 = 0x20;
        /// RW: which firmware slot (0 = A, 1 = B) appears in the boot window.
        /// A write takes effect at the next `wfi` (the boot ROM writes it,
        /// sleeps with a deadline of 0, then jumps).
        pub const BOOT_SLOT: u32 = 0x24;
        /// RO: pending wake events (`EVENT_*`), cleared on read.
        pub const EVENTS: u32 = 0x28;
        /// RW: the moment (timer µs) the provisioning run now starting was
        /// due, low and high words; written before `RUN_MARK`.
        pub const RUN_DUE_LO: u32 = 0x2C;
        pub const RUN_DUE_HI: u32 = 0x30;
        /// WO: a provisioning run starts now, for this reason (`RUN_*`);
        /// the emulator records it (trace `run` event). Other values are ignored.
        pub const RUN_MARK: u32 = 0x34;
    }
    pub const RUN_POWER_UP: u32 = 1;
    pub const RUN_PERIODIC: u32 = 2;
    pub const RUN_NOTIFY: u32 = 3;
    pub const RUN_NOTIFY_REBOOT: u32 = 4;
    pub const RESET_CAUSE_POWER_ON: u32 = 0;
    pub const RESET_CAUSE_SOFTWARE: u32 = 1;
    pub const RESET_CAUSE_WATCHDOG: u32 = 2;
    pub const RESET_KEY: u32 = 0x5AFE_0001;
    pub const WDT_KICK_KEY: u32 = 0x0000_C1C5;
    pub const EVENT_NIC_RX: u32 = 1 << 0;
    pub const EVENT_KEY: u32 = 1 << 1;
    pub const EVENT_FLASH_DONE: u32 = 1 << 2;
    pub const EVENT_DEADLINE: u32 = 1 << 3;
    /// The Ethernet link went up or down (ETH STATUS has the new state).
    pub const EVENT_LINK: u32 = 1 << 4;
}

/// 64-bit microsecond timer, counting from power-on (no wall clock).
pub mod timer {
    pub const BASE: u32 = super::block(1);
    pub mod reg {
        /// RO: low word of now (µs). Reading it latches the high word.
        pub const NOW_LO: u32 = 0x00;
        /// RO: the high word latched by the last `NOW_LO` read.
        pub const NOW_HI: u32 = 0x04;
    }
}

/// Random number generator (seeded by the emulator: deterministic under `--seed`).
pub mod rng {
    pub const BASE: u32 = super::block(2);
    pub mod reg {
        /// RO: the next 32 random bits.
        pub const VALUE: u32 = 0x00;
    }
}

/// Flash controller: erase a sector or program up to one page from SRAM.
/// One operation at a time; it is busy for `ERASE_US` / `PROGRAM_US` and its
/// effect lands in flash when it completes. A power cut while busy leaves the
/// sector or page torn.
pub mod flashctl {
    pub const BASE: u32 = super::block(3);
    pub mod reg {
        /// RW: target flash address (absolute; sector-aligned for erase).
        pub const ADDR: u32 = 0x00;
        /// RW: SRAM address of the data to program.
        pub const SRC: u32 = 0x04;
        /// RW: bytes to program, 1..=FLASH_PAGE, not crossing a page boundary.
        pub const LEN: u32 = 0x08;
        /// WO: `CMD_ERASE_SECTOR` or `CMD_PROGRAM` starts an operation.
        pub const CMD: u32 = 0x0C;
        /// RO: `STATUS_*` bits.
        pub const STATUS: u32 = 0x10;
    }
    pub const CMD_ERASE_SECTOR: u32 = 1;
    pub const CMD_PROGRAM: u32 = 2;
    pub const STATUS_BUSY: u32 = 1 << 0;
    /// The last command was refused (bad address, length, alignment, or busy).
    pub const STATUS_ERROR: u32 = 1 << 1;
    /// Busy time of one sector erase and one page program, in µs.
    pub const ERASE_US: u64 = 50_000;
    pub const PROGRAM_US: u64 = 400;
}

/// Text LCD: 6 rows × 24 columns of ISO-8859-1 characters, icons, backlight.
/// The firmware writes character RAM, then `COMMIT`; the screen shows what
/// was committed.
pub mod lcd {
    pub const BASE: u32 = super::block(4);
    pub const ROWS: usize = 6;
    pub const COLS: usize = 24;
    pub mod reg {
        /// RW: `CTRL_*` bits.
        pub const CTRL: u32 = 0x00;
        /// RW: icon bits (`ICON_*`).
        pub const ICONS: u32 = 0x04;
        /// WO: any write publishes the character RAM and icons.
        pub const COMMIT: u32 = 0x08;
        /// RW: character RAM, row-major, one byte per cell (byte or word access).
        pub const CHARS: u32 = 0x100;
    }
    pub const CTRL_BACKLIGHT: u32 = 1 << 0;
    pub const ICON_NETWORK: u32 = 1 << 0;
    pub const ICON_MESSAGE: u32 = 1 << 1;
    pub const ICON_MUTE: u32 = 1 << 2;
    pub const ICON_SPEAKER: u32 = 1 << 3;
    pub const ICON_HEADSET: u32 = 1 << 4;
    pub const ICON_FORWARD: u32 = 1 << 5;
    pub const ICON_LOCK: u32 = 1 << 6;
    pub const ICON_NAMES: [(u32, &str); 7] = [
        (ICON_NETWORK, "network"),
        (ICON_MESSAGE, "message"),
        (ICON_MUTE, "mute"),
        (ICON_SPEAKER, "speaker"),
        (ICON_HEADSET, "headset"),
        (ICON_FORWARD, "forward"),
        (ICON_LOCK, "lock"),
    ];
}

/// LED controller: the system LED (colour + steady/slow/fast blink done in
/// hardware) and the line-key LEDs. Each register: mode in bits 0..2, colour
/// in bits 4..7.
pub mod led {
    pub const BASE: u32 = super::block(5);
    pub const LINE_LEDS: usize = 6;
    pub mod reg {
        pub const SYSTEM: u32 = 0x00;
        /// Line-key LED n at `LINE0 + 4 * n`, n < LINE_LEDS.
        pub const LINE0: u32 = 0x10;
    }
    pub const MODE_MASK: u32 = 0b11;
    pub const MODE_OFF: u32 = 0;
    pub const MODE_ON: u32 = 1;
    pub const MODE_SLOW_BLINK: u32 = 2;
    pub const MODE_FAST_BLINK: u32 = 3;
    pub const COLOR_SHIFT: u32 = 4;
    pub const COLOR_MASK: u32 = 0b111 << COLOR_SHIFT;
    pub const COLOR_RED: u32 = 1;
    pub const COLOR_GREEN: u32 = 2;
    pub const COLOR_AMBER: u32 = 3;
    /// Blink periods (full on+off cycle) in ms.
    pub const SLOW_BLINK_MS: u32 = 1000;
    pub const FAST_BLINK_MS: u32 = 250;

    pub const fn value(mode: u32, color: u32) -> u32 {
        (mode & MODE_MASK) | ((color << COLOR_SHIFT) & COLOR_MASK)
    }
    pub fn mode_name(v: u32) -> &'static str {
        match v & MODE_MASK {
            MODE_OFF => "off",
            MODE_ON => "on",
            MODE_SLOW_BLINK => "slow_blink",
            _ => "fast_blink",
        }
    }
    pub fn color_name(v: u32) -> &'static str {
        match (v & COLOR_MASK) >> COLOR_SHIFT {
            COLOR_RED => "red",
            COLOR_GREEN => "green",
            COLOR_AMBER => "amber",
            _ => "none",
        }
    }
}

/// Keypad: a FIFO of key events and the hook switch.
pub mod keypad {
    pub const BASE: u32 = super::block(6);
    pub const FIFO_DEPTH: usize = 32;
    pub mod reg {
        /// RO: `STATUS_*` bits.
        pub const STATUS: u32 = 0x00;
        /// RO: pops one event: key code (`keys::Key`) in bits 0..8,
        /// `EVENT_DOWN` when pressed; `EVENT_EMPTY` when the FIFO is empty.
        pub const POP: u32 = 0x04;
    }
    pub const STATUS_PENDING: u32 = 1 << 0;
    pub const STATUS_OFF_HOOK: u32 = 1 << 1;
    pub const EVENT_DOWN: u32 = 1 << 8;
    pub const EVENT_EMPTY: u32 = 0xFFFF_FFFF;
}

/// Ethernet MAC with TX and RX descriptor rings in SRAM (see `nic`).
pub mod eth {
    pub const BASE: u32 = super::block(7);
    pub mod reg {
        /// RW: `CTRL_*` bits.
        pub const CTRL: u32 = 0x00;
        /// RW: SRAM address and entry count of the TX ring.
        pub const TX_RING: u32 = 0x04;
        pub const TX_LEN: u32 = 0x08;
        /// WO: any write makes the MAC send every descriptor it owns, in order.
        pub const TX_DOORBELL: u32 = 0x0C;
        /// RW: SRAM address and entry count of the RX ring.
        pub const RX_RING: u32 = 0x10;
        pub const RX_LEN: u32 = 0x14;
        /// WO: any write tells the MAC that descriptors were handed back.
        pub const RX_DOORBELL: u32 = 0x18;
        /// RO: `STATUS_*` bits.
        pub const STATUS: u32 = 0x1C;
        /// RO: frames dropped because no RX descriptor was free.
        pub const RX_DROPPED: u32 = 0x20;
    }
    pub const CTRL_ENABLE: u32 = 1 << 0;
    pub const STATUS_LINK_UP: u32 = 1 << 0;
    pub const MAX_RINGS: u32 = 64;
}

/// Console UART: the APS log and debug lines. Lines end with `\n`.
pub mod uart {
    pub const BASE: u32 = super::block(8);
    pub mod reg {
        /// WO: one byte.
        pub const DATA: u32 = 0x00;
        /// RW: SRAM address of a buffer to send.
        pub const BUF: u32 = 0x04;
        /// WO: writing n sends n bytes from `BUF`.
        pub const SEND: u32 = 0x08;
    }
    pub const MAX_SEND: u32 = 4096;
}

/// CRC-32 engine: hashes a range of SRAM or flash in place, as
/// `image::crc32_update` does (IEEE 802.3 / zlib), in one operation that
/// completes at once (no emulated time passes).
///
/// A long input is fed in chunks: `STATE` carries the running state from
/// one operation to the next. Write `STATE_INIT` to start a new CRC, then
/// `SRC`, `LEN` and `CTRL_START` per chunk; `RESULT` is the finished CRC.
pub mod crc {
    pub const BASE: u32 = super::block(9);
    pub mod reg {
        /// RW: guest address of the first byte.
        pub const SRC: u32 = 0x00;
        /// RW: bytes to hash. 0 is a valid, empty operation.
        pub const LEN: u32 = 0x04;
        /// RW: the running state (zlib's, before the final inversion).
        /// An operation replaces it with the state after its bytes. Reset
        /// value `STATE_INIT`.
        pub const STATE: u32 = 0x08;
        /// WO: `CTRL_START` runs one operation; other values are ignored.
        pub const CTRL: u32 = 0x0C;
        /// RO: `!STATE`, the CRC-32 of everything fed since `STATE` was
        /// last `STATE_INIT`.
        pub const RESULT: u32 = 0x10;
        /// RO: `STATUS_*` bits of the last operation.
        pub const STATUS: u32 = 0x14;
    }
    pub const CTRL_START: u32 = 1;
    /// The last operation was refused because `[SRC, SRC + LEN)` does not
    /// lie wholly inside SRAM or wholly inside flash (the boot ROM, the boot
    /// window and the peripherals are not readable by the engine); `STATE`
    /// was left unchanged. Cleared by the next operation that succeeds.
    pub const STATUS_ERROR: u32 = 1 << 0;
    /// The state a new CRC starts from.
    pub const STATE_INIT: u32 = 0xFFFF_FFFF;
}

/// Every peripheral block, for the emulator's bus and the address tests.
pub const BLOCKS: [(&str, u32); 10] = [
    ("sysctl", sysctl::BASE),
    ("timer", timer::BASE),
    ("rng", rng::BASE),
    ("flashctl", flashctl::BASE),
    ("lcd", lcd::BASE),
    ("led", led::BASE),
    ("keypad", keypad::BASE),
    ("eth", eth::BASE),
    ("uart", uart::BASE),
    ("crc", crc::BASE),
];
