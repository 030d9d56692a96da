//! How long drawing the phone takes: `cargo bench -p window`.
//! Prints the mean time per call for each case (release build).

use std::hint::black_box;
use std::time::Instant;

use window::{Color, Led, LedMode, PhoneView, RenderOptions, render, write_png};

fn view() -> PhoneView {
    PhoneView {
        model: "ST2030S".into(),
        mac: "00:90:96:A1:B1:C1".into(),
        firmware: "2.74".into(),
        state: "provisioning".into(),
        lcd: std::array::from_fn(|r| format!("row {r} ÀÉÎõü 0123456789abc")),
        backlight: true,
        icons: vec!["network".into(), "message".into()],
        system_led: Led { color: Color::Amber, mode: LedMode::SlowBlink },
        side_panel: (0..100).map(|i| format!("{i:04} TFTP RRQ ST2030S.inf from 192.168.1.10")).collect(),
        ..Default::default()
    }
}

/// Runs `f` `iters` times after as many warm-up runs (the allocator settles
/// on reusing the big frame buffers instead of mapping fresh pages).
fn bench(name: &str, iters: u32, mut f: impl FnMut()) {
    for _ in 0..iters {
        f();
    }
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    let per = t.elapsed().as_secs_f64() / f64::from(iters);
    println!("{name:<36} {:>9.3} ms", per * 1000.0);
}

fn main() {
    let v = view();
    for (name, opts) in [
        ("render, scale 1", RenderOptions::default()),
        ("render, scale 1, side panel", RenderOptions { show_panel: true, ..Default::default() }),
        ("render, scale 1, help", RenderOptions { show_help: true, ..Default::default() }),
        ("render, scale 2, side panel", RenderOptions { scale: 2, show_panel: true, ..Default::default() }),
    ] {
        bench(name, 50, || {
            black_box(render(black_box(&v), &opts));
        });
    }
    let frame = render(&v, &RenderOptions::default());
    bench("Frame::scaled(3)", 50, || {
        black_box(frame.scaled(3));
    });
    bench("write_png, scale 1", 20, || {
        let mut out = Vec::new();
        write_png(&frame, &mut out).unwrap();
        black_box(out);
    });
}
