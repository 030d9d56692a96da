//! The ST20xx firmware image (see `lib.rs` for the screens, `ui::menu` for
//! the key sequences, `config` for the factory defaults).
//!
//! Start-up: the boot ROM starts us from the boot window with a fresh
//! stack; `rt` sets up RAM. We arm the watchdog (120 s), read our own image
//! header (model, protocol, version) and the board's MAC, show the boot
//! screen, load the config store (writing the factory defaults on a blank
//! one), then run the main loop:
//!
//! ```text
//! loop { kick watchdog; app.poll(now); sleep_until(min(app.poll_at(now), now + 60 s)) }
//! ```
//!
//! `App::poll` is where the network (`firmware::net::stack::Net` over the
//! `drivers::eth` NIC) joins the UI, each with its own `poll(now)` /
//! `poll_at()`; a received frame wakes the CPU (EVENT_NIC_RX).
//!
//! Console lines: `boot: ST2030S v2.74 slot A`, `reset: power-on`,
//! `config: 11 keys, generation 1` (and `config: factory defaults written`
//! on first boot, `config: ipp.RingVolume=6` when the menu saves),
//! `aps: 3 stored files[, resuming after a firmware upgrade]`, and the
//! network's (`dhcp: lease …`, `fetch: …`, `ntp: …`, `sip: …`).
//!
//! When a run starts: `aps::schedule` decides (T1 power-up within
//! `AutoprovisionTimeSpan`, T2 periodic with NTP time, T3 only while
//! on-hook and leased, T4 accepted NOTIFYs; see `firmware::trigger`). A run
//! starts with the INF search; its start is marked to the board (SYSCTL
//! RUN_MARK: the trace's `run` event) and logged `aps: run <reason>`. A
//! `reboot=true` NOTIFY sets the STATE partition's notify-reboot flag and
//! resets; the next boot clears it and its run is `notify_reboot`.
//!
//! Provisioning: once the INF search (`firmware::net::stack`) finds the
//! INF, `firmware::aps_runner` drives the run to its end. Each APS log line
//! goes to the console as `aps: <line>` (the vendor wording, e.g. `aps:
//! Begin Common Config download...`) and to the APS_LOG flash ring; each
//! fetch logs `fetch: <proto> <server> <name> <len> bytes crc32=<hex>`; an
//! apply logs `config: N keys applied, M skipped`; a reboot logs `aps:
//! rebooting` and resets the board (SYSCTL RESET, then `wfi`). While the run
//! lasts, keys are ignored and lines 3–4 read `Provisioning...` / `Please
//! Wait...` (LED red fast blink); a failure leaves the L2 screen until any
//! key or off-hook. `[autoprovision] AutoprovisionFlag=0` turns the search
//! off (`aps: disabled (AutoprovisionFlag=0)`).
//!
//! Key sequences: see `firmware::ui::menu` (`menu, 4` opens the APS log,
//! `up`/`down` scroll it).

#![no_std]
#![no_main]

mod drivers;
mod rt;

use board::image::{HEADER_LEN, Header};
use board::map::BOOT_WINDOW;
use board::periph::sysctl::{RESET_CAUSE_POWER_ON, RESET_CAUSE_SOFTWARE, RESET_CAUSE_WATCHDOG};
use drivers::flash::Flash;
use drivers::lcd::Lcd;
use drivers::eth::Eth;
use drivers::uart::log;
use drivers::{crc, keypad, led, rng, sysctl, timer};
use firmware::aps_runner::{ApsRunner, End, InfSource, Memory, Port, Request, Stores};
use firmware::config::Config;
use firmware::store::aps_log::ApsLog;
use firmware::net::clock::zone_offset_minutes;
use firmware::net::stack::{Ident, Net};
use firmware::net::storage::{Buffers, Storage, Tables};
use firmware::net::Console;
use firmware::identity::Identity;
use firmware::text::Frame;
use firmware::ui::{Action, LogTail, Ui, View};
use aps::schedule::{Go, Notified, Reason, Schedule, Wall};
use aps::time::Instant;

/// The application state lives in `.bss`, not in `rust_main`'s frame: the
/// config map alone is 24 KiB, and `.bss` shows its size at link time.
static mut APP: core::mem::MaybeUninit<App> = core::mem::MaybeUninit::uninit();
/// Every socket buffer (see `firmware::net::storage`).
static mut NET_BUFFERS: Buffers = Buffers::new();
static mut NET_TABLES: Tables = Tables::new();
/// The RAM of the provisioning run (one run at a time).
static mut RUN_MEMORY: Memory = Memory::new();
/// The provisioning flash stores (in `.bss`, not built on the stack).
static mut STORES: Stores = Stores::new();

const ZONE_KEY: &[u8] = b"ntp.NtpZoneNum";

/// Network console lines go to the UART.
struct Uart;

impl Console for Uart {
    fn line(&mut self, args: core::fmt::Arguments) {
        drivers::uart::write_line(args);
    }
}

/// Long enough that an idle phone wakes about once a minute (its clock), not
/// every few seconds: days of idle time stay cheap to emulate.
const WATCHDOG_US: u32 = 120_000_000;
/// Never sleep longer than half the watchdog period.
const MAX_SLEEP_US: u64 = WATCHDOG_US as u64 / 2;

struct App {
    id: Identity,
    config: Config,
    flash: Flash,
    ui: Ui,
    lcd: Lcd,
    frame: Frame,
    aps_log: LogTail,
    led: Option<u32>,
    eth: Eth,
    /// The link state the network last heard of.
    link_up: bool,
    net: Option<Net>,
    stores: &'static mut Stores,
    runner: Option<ApsRunner<'static>>,
    off_hook: bool,
    /// When runs start (made once the config is loaded).
    schedule: Option<Schedule>,
    /// The schedule has the NTP time.
    clocked: bool,
}

/// What the provisioning run reaches: the network, the screen, the console.
struct RunPort<'x> {
    net: &'x mut Net,
    ui: &'x mut Ui,
}

impl Port for RunPort<'_> {
    fn fetch(&mut self, now: u64, req: Request) {
        self.net.start_run_fetch(now, req.proto, req.host, req.port, req.name);
    }

    fn line(&mut self, args: core::fmt::Arguments) {
        drivers::uart::write_line(args);
    }

    fn screen(&mut self, screen: &aps::run::Screen) {
        match *screen {
            aps::run::Screen::Provisioning => self.ui.set_provisioning(true),
            aps::run::Screen::Error { message, .. } => {
                self.ui.set_provisioning(false);
                self.ui.show_error(message);
            }
            aps::run::Screen::Normal => self.ui.set_provisioning(false),
        }
    }
}

impl App {
    fn new(id: Identity, now: u64) -> App {
        // SAFETY: `App::new` runs once; the only reference ever made to STORES.
        let stores = unsafe { &mut *(&raw mut STORES) };
        App {
            id,
            config: Config::new(),
            flash: Flash,
            ui: Ui::new(now),
            lcd: Lcd::new(),
            frame: Frame::blank(),
            aps_log: LogTail::default(),
            led: None,
            eth: Eth::new(),
            link_up: true,
            net: None,
            stores,
            runner: None,
            off_hook: false,
            schedule: None,
            clocked: false,
        }
    }

    /// Starts the network (after `load_config`: the DHCP options depend on it).
    /// Not inlined, for the same reason as `init_app`.
    #[inline(never)]
    fn start_net(&mut self, now: u64) {
        let id = &self.id;
        let mut fw: firmware::text::Line<8> = firmware::text::Line::new();
        let _ = core::fmt::write(&mut fw, format_args!("{}", id.short_version()));
        let fw = core::str::from_utf8(fw.as_bytes()).unwrap_or("?");
        let ua = netclient::http::user_agent(id.model.hardware.name(), sysctl::revision(), fw, &id.mac).unwrap_or_default();
        // SAFETY: called once; the only references ever made to these statics.
        let (buffers, tables): (*mut Buffers, *mut Tables) = (&raw mut NET_BUFFERS, &raw mut NET_TABLES);
        let storage = unsafe { Storage { buffers: &mut *buffers, tables: &mut *tables } };
        let ident = Ident { model: id.model, mac: id.mac, user_agent: &ua };
        log!("dhcp: vendor class {} {}", id.model.hardware.name(), id.model.protocol.name());
        // Built in place: a `Net` on the stack would overflow it.
        let net = self.net.insert(Net::new(storage, &mut self.eth, ident, &self.config, now, rng::next_u32(), crc::update));
        net.boot_vlan(&mut self.eth, &self.config, self.stores.state.dhcp_vlan(), &mut Uart);
    }

    fn zone(&self) -> i32 {
        let z = self.config.get(ZONE_KEY).and_then(|v| aps::settings::parse_number(v, 0, 255).ok()).map(|z| z as u8);
        zone_offset_minutes(z)
    }

    fn load_config(&mut self) {
        match self.config.load(&mut self.flash) {
            Ok(true) => log!("config: factory defaults written"),
            Ok(false) => {}
            Err(e) => log!("config: cannot write factory defaults: {}", e),
        }
        let s = self.config.store();
        log!("config: {} keys, generation {}", s.len(), s.generation().unwrap_or(0));
        self.stores.load(&self.flash);
        log!("aps: {} stored files{}", self.stores.files.count(), if self.stores.state.resume() { ", resuming after a firmware upgrade" } else { "" });
    }

    /// Arms this boot's run (T1), after `load_config`.
    fn start_schedule(&mut self, boot: u64) {
        let first = if self.stores.state.notify_reboot() {
            // Cleared before anything else: the flag never reboots twice.
            if let Err(e) = self.stores.state.set_notify_reboot(&mut self.flash, false) {
                log!("aps: cannot clear the NOTIFY reboot flag: {}", e);
            }
            Reason::NotifyReboot
        } else {
            Reason::PowerUp
        };
        let timing = firmware::trigger::timing_of(&self.config);
        let s = Schedule::new(Instant::from_micros(boot), timing, rng::next_u32(), first, self.stores.state.resume());
        if let Some((_, due)) = s.pending() {
            log!("aps: {} run due at {} ms (span {} min, every {} days at {:02}:{:02})", first.name(), due.micros() / 1000, timing.span_minutes, timing.days, timing.start_minute / 60, timing.start_minute % 60);
        }
        self.schedule = Some(s);
    }

    /// Feeds the schedule (NOTIFY, NTP) and starts what it says is due.
    fn trigger(&mut self, now: u64) {
        let zone = self.zone();
        let (Some(net), Some(sched)) = (&mut self.net, &mut self.schedule) else { return };
        let at = Instant::from_micros(now);
        if let Some(reboot) = net.take_notify() {
            match sched.notify(at, reboot) {
                Notified::Scheduled(due) => log!("aps: notify run due at {} ms", due.micros() / 1000),
                Notified::Reboot => log!("aps: NOTIFY asks for a reboot"),
                Notified::Busy => log!("aps: NOTIFY ignored: a run is pending or running"),
                Notified::Held { until } => log!("aps: NOTIFY ignored: held until {} ms", until.micros() / 1000),
            }
        }
        if !self.clocked
            && let Some(c) = net.clock()
        {
            self.clocked = true;
            sched.clock(Wall { unix_secs: c.unix_secs(now), at, offset_minutes: zone });
            if let Some(p) = sched.next_periodic() {
                log!("aps: periodic run due at {} ms", p.micros() / 1000);
            }
        }
        let ready = !self.off_hook && net.leased();
        match sched.poll(at, ready) {
            None => {}
            Some(Go::Reboot) => {
                if let Err(e) = self.stores.state.set_notify_reboot(&mut self.flash, true) {
                    log!("aps: cannot store the NOTIFY reboot flag: {}", e);
                }
                log!("aps: rebooting (NOTIFY reboot=true)");
                sysctl::reset();
                loop {
                    sysctl::sleep_until(0);
                }
            }
            Some(Go::Run { reason, due }) => {
                if net.start_search(now, &self.config, &mut Uart) {
                    sysctl::run_mark(firmware::trigger::run_code(reason), due.micros());
                    log!("aps: run {} (due at {} ms)", reason.name(), due.micros() / 1000);
                } else {
                    sched.run_ended();
                }
            }
        }
    }

    /// The run in progress has ended.
    fn end_run(&mut self) {
        if let Some(s) = &mut self.schedule {
            s.run_ended();
        }
    }

    /// Starts the provisioning run over the INF the search found.
    fn start_run(&mut self) {
        if self.runner.is_some() {
            return;
        }
        let Some(net) = &mut self.net else { return };
        let Some((found, inf)) = net.take_inf() else { return };
        let Some(inf) = inf else {
            log!("aps: INF larger than {} bytes", firmware::net::stack::KEEP);
            self.ui.show_error(aps::lcd::Message::GenFileNotFound);
            self.end_run();
            return;
        };
        let src = InfSource { http: found.http, host: &found.host, port: found.port, name: &found.name };
        let phone = aps::run::Phone { model: self.id.model, mac: aps::names::Mac(self.id.mac), running: self.id.version, key: self.config.aes_key() };
        // SAFETY: `runner` is None (checked above), so the reference the
        // last runner held is gone: this is the only one to RUN_MEMORY.
        let mem: &'static mut Memory = unsafe { &mut *(&raw mut RUN_MEMORY) };
        self.runner = ApsRunner::new(mem, &src, inf, phone, &self.stores, self.id.slot);
        if self.runner.is_none() {
            log!("aps: cannot use the INF's origin");
            self.end_run();
        }
    }

    fn poll(&mut self, now: u64) {
        while let Some(key) = keypad::next_press() {
            match self.ui.key(now, key, self.config.ring_volume()) {
                Some(Action::SaveRingVolume(v)) => {
                    let r = self.config.set_ring_volume(&mut self.flash, v);
                    match r {
                        Ok(()) => log!("config: ipp.RingVolume={}", v),
                        Err(e) => log!("config: saving ipp.RingVolume failed: {}", e),
                    }
                    self.ui.action_done(r.is_ok());
                }
                Some(Action::LoadApsLog) => {
                    self.aps_log = LogTail::from_text(ApsLog::bytes(&self.flash));
                    self.ui.log_loaded(self.aps_log.len());
                }
                None => {}
            }
        }
        let hook = keypad::off_hook();
        if hook && !self.off_hook {
            self.ui.clear_error();
        }
        self.off_hook = hook;
        if let Some(net) = &mut self.net {
            let up = self.eth.link_up();
            if up != self.link_up {
                self.link_up = up;
                net.link_changed(up, &mut Uart);
            }
            let mut sink = self.runner.as_mut().filter(|r| r.fetching()).map(|r| r.sink(&mut self.flash));
            net.poll(now, &mut self.eth, &self.config, &mut Uart, sink.as_mut());
            drop(sink);
            if let Some(v) = net.take_vlan_store() {
                match self.stores.state.set_dhcp_vlan(&mut self.flash, v) {
                    Ok(()) => log!("vlan: stored voice {} data {}", v.voice, v.data),
                    Err(e) => log!("vlan: storing the DHCP VLAN set failed: {}", e),
                }
            }
            if let Some(m) = net.take_failure() {
                self.ui.show_error(m);
                self.end_run();
            }
        }
        self.trigger(now);
        self.start_run();
        self.poll_run(now);
        self.ui.poll(now);
        self.render(now);
    }

    fn poll_run(&mut self, now: u64) {
        let (Some(runner), Some(net)) = (&mut self.runner, &mut self.net) else { return };
        if let Some((outcome, server_error)) = net.take_run_fetch() {
            runner.fetched(now, outcome, server_error);
        }
        let mut port = RunPort { net, ui: &mut self.ui };
        match runner.poll(now, &mut self.flash, self.stores, &mut self.config, &mut port) {
            None => {}
            Some(End::Reboot(_)) => {
                log!("aps: rebooting");
                sysctl::reset();
                loop {
                    sysctl::sleep_until(0);
                }
            }
            Some(End::Done { .. } | End::Failed) => {
                self.runner = None;
                self.end_run();
            }
        }
    }

    fn poll_at(&mut self, now: u64) -> u64 {
        let ui = self.ui.poll_at(now);
        // The run has no timer: it moves on when a fetch ends (a poll of the net).
        let ui = if self.runner.as_ref().is_some_and(|r| !r.fetching()) { now } else { ui };
        let Some(net) = &mut self.net else { return ui };
        let ready = !self.off_hook && net.leased();
        let ui = self.schedule.as_ref().and_then(|s| s.poll_at(ready)).map_or(ui, |t| ui.min(t.micros()));
        let minute = net.clock().map_or(u64::MAX, |c| c.next_minute_us(now));
        ui.min(net.poll_at(now)).min(minute)
    }

    fn render(&mut self, now: u64) {
        let net = self.net.as_ref();
        let ip = net.and_then(|n| n.ip()).map_or([0; 4], |c| c.address().octets());
        let time = net.and_then(|n| n.clock()).map(|c| c.local(now, self.zone()));
        let view = View { id: &self.id, config: &self.config, ip, aps_log: &self.aps_log, time };
        self.ui.render(&view, &mut self.frame);
        self.lcd.show(&self.frame);
        self.lcd.set_backlight(self.ui.backlight(now));
        let l = self.ui.led();
        if self.led != Some(l) {
            led::set_system(l);
            self.led = Some(l);
        }
    }
}

/// Our own image header, at the start of the boot window (the boot ROM
/// checked it before starting us).
fn own_header() -> Header {
    // SAFETY: the boot window is mapped, read-only, and at least one header long.
    let b = unsafe { core::slice::from_raw_parts(BOOT_WINDOW.base as *const u8, HEADER_LEN) };
    match Header::decode(b) {
        Ok(h) => h,
        Err(e) => panic!("own image header: {:?}", e),
    }
}

fn reset_cause_name(c: u32) -> &'static str {
    match c {
        RESET_CAUSE_POWER_ON => "power-on",
        RESET_CAUSE_SOFTWARE => "software",
        RESET_CAUSE_WATCHDOG => "watchdog",
        _ => "unknown",
    }
}

/// Builds the application state in APP. Not inlined: the temporary it may
/// build on the stack (as large as `App`) must not stay in `rust_main`'s
/// frame, which lives for ever.
#[inline(never)]
fn init_app(id: Identity, now: u64) -> &'static mut App {
    // SAFETY: called once from `rust_main`, which never returns, so this is
    // the only reference to APP ever made.
    unsafe {
        let p = (&raw mut APP).cast::<App>();
        p.write(App::new(id, now));
        &mut *p
    }
}

#[unsafe(no_mangle)]
extern "C" fn rust_main() -> ! {
    sysctl::watchdog_enable(WATCHDOG_US);
    let now = timer::now();
    let id = Identity::new(&own_header(), sysctl::mac(), sysctl::boot_slot());
    log!("boot: {} v{} slot {}", id.model, id.short_version(), id.slot_letter());
    log!("reset: {}", reset_cause_name(sysctl::reset_cause()));
    if id.model.hardware as u8 != sysctl::hardware() {
        log!("boot: warning: this image is for an {}, the board is not", id.model.hardware.name());
    }
    let app = init_app(id, now);
    app.render(now);
    app.load_config();
    app.start_schedule(now);
    app.start_net(timer::now());
    loop {
        let now = timer::now();
        sysctl::watchdog_kick();
        app.poll(now);
        sysctl::sleep_until(app.poll_at(now).min(now + MAX_SLEEP_US));
    }
}
