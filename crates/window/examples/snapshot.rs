//! Renders a sample phone to PNG files, for looking at the faceplate without
//! a display: `cargo run -p window --example snapshot -- OUT_DIR [SCALE]`.

use window::{Color, Led, LedMode, PhoneView, RenderOptions, render, save_png};

fn sample() -> PhoneView {
    PhoneView {
        model: "ST2030S".into(),
        mac: "00:90:96:A1:B1:C1".into(),
        firmware: "2.74".into(),
        state: "provisioning".into(),
        lcd: [
            "Thomson ST2030S   v2.74".into(),
            "".into(),
            "   Téléchargement...".into(),
            "  ST2030S.inf  (TFTP)".into(),
            "".into(),
            "Menu   Dir   Redial  Fwd".into(),
        ],
        backlight: true,
        icons: vec!["network".into(), "message".into(), "lock".into()],
        system_led: Led { color: Color::Amber, mode: LedMode::SlowBlink },
        line_leds: [
            Led { color: Color::Green, mode: LedMode::On },
            Led { color: Color::Red, mode: LedMode::FastBlink },
            Led::default(),
            Led::default(),
            Led::default(),
            Led { color: Color::Amber, mode: LedMode::On },
        ],
        off_hook: false,
        side_panel: vec![
            "0.000 APS start, model ST2030S hw5".into(),
            "0.412 DHCP DISCOVER vendor-class ST2030S".into(),
            "0.418 DHCP OFFER 192.168.1.50 opt66=192.168.1.10".into(),
            "0.431 TFTP RRQ ST2030S.inf".into(),
            "0.502 TFTP 412 bytes, INF ok".into(),
            "0.517 HTTP GET /cfg/000990A1B1C1.txt 200".into(),
        ],
        now_us: 0,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "/tmp".into()));
    let scale: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1);
    let mut view = sample();
    let opts = RenderOptions { scale, show_panel: true, ..Default::default() };
    save_png(&render(&view, &opts), dir.join("phone.png"))?;
    view.backlight = false;
    view.off_hook = true;
    view.now_us = 600_000;
    view.icons.clear();
    save_png(&render(&view, &RenderOptions { scale, pressed: vec![board::keys::Key::D5], ..Default::default() }), dir.join("phone-dim.png"))?;
    save_png(&render(&sample(), &RenderOptions { scale, show_help: true, ..Default::default() }), dir.join("phone-help.png"))?;
    println!("wrote phone.png, phone-dim.png, phone-help.png in {}", dir.display());
    Ok(())
}
