//! The report as a picture (`plotters`): phones that reached their goal
//! (provisioned, or leased with `--until lease`) over emulated time on top, p50/p90/p99 latency per phase below (log scale). SVG or PNG
//! by the file's extension.
//!
//! Text needs a TrueType font: the first of a few usual system paths, or
//! the file named by `$ST20XX_PLOT_FONT`. Guarantee: every failure (no
//! font, unknown extension, unwritable file) is an error, never a panic.

use crate::{Report, SwarmError};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

const FONTS: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

/// Registers a font for "sans-serif" once; the error says where it looked.
fn font() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        let env = std::env::var("ST20XX_PLOT_FONT").ok();
        let paths: Vec<&str> = env.as_deref().into_iter().chain(FONTS).collect();
        for p in &paths {
            if let Ok(bytes) = std::fs::read(p) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return Ok(());
                }
            }
        }
        Err(format!("no TrueType font found (looked at {}; set ST20XX_PLOT_FONT)", paths.join(", ")))
    })
    .clone()
}

/// Draws `report` to `path` (`.svg` or `.png`).
pub fn draw(report: &Report, path: &Path) -> Result<(), SwarmError> {
    let err = |reason: String| SwarmError::Plot { path: path.to_path_buf(), reason };
    font().map_err(err)?;
    let size = (1000, 900);
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("svg") => {
            let root = SVGBackend::new(path, size).into_drawing_area();
            paint(report, &root).map_err(err)?;
            root.present().map_err(|e| err(e.to_string()))
        }
        Some("png") => {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            paint(report, &root).map_err(err)?;
            root.present().map_err(|e| err(e.to_string()))
        }
        _ => Err(err("the plot file must end in .svg or .png".into())),
    }
}

fn paint<DB: DrawingBackend>(report: &Report, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (top, bottom) = root.split_vertically(430);

    let (goal, reached, over_time) = match report.until {
        crate::Goal::Provisioned => ("provisioned", report.provisioned, &report.provisioned_over_time),
        crate::Goal::Lease => ("leased", report.leased, &report.leased_over_time),
    };
    let points: Vec<(f64, f64)> = std::iter::once((0.0, 0.0)).chain(over_time.iter().map(|&(t, n)| (t as f64 / 1e6, n as f64))).collect();
    let t_max = (report.run.end_us as f64 / 1e6).max(points.last().map_or(0.0, |p| p.0)).max(1e-3);
    let mut chart = ChartBuilder::on(&top)
        .caption(format!("{} phones: {reached} {goal}, {} failed, {} unfinished", report.phones, report.failed, report.unfinished), ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_max, 0.0..(report.phones.max(1) as f64))
        .map_err(e)?;
    chart.configure_mesh().x_desc("emulated time (s)").y_desc(goal).draw().map_err(e)?;
    chart.draw_series(LineSeries::new(points, &BLUE)).map_err(e)?;

    let phases: Vec<(&String, &crate::PhaseStats)> = report.phases.iter().filter(|(_, p)| p.count > 0).collect();
    let top_us = phases.iter().map(|(_, p)| p.max_us).max().unwrap_or(1).max(1) as f64 / 1000.0;
    let n = phases.len().max(1);
    let mut chart = ChartBuilder::on(&bottom)
        .caption("latency per phase (ms): p50 / p90 / p99", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(90)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..n as f64, (0.001f64..top_us * 2.0).log_scale())
        .map_err(e)?;
    let names: Vec<String> = phases.iter().map(|(k, _)| k.to_string()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| names.get(x.floor() as usize).filter(|_| (x - x.floor() - 0.5).abs() < 1e-6 || x.fract() == 0.0).cloned().unwrap_or_default())
        .y_desc("ms")
        .draw()
        .map_err(e)?;
    let colours = [GREEN, BLUE, RED];
    for (k, label) in ["p50", "p90", "p99"].into_iter().enumerate() {
        let c = colours[k];
        let bars = phases.iter().enumerate().map(move |(i, (_, p))| {
            let v = [p.p50_us, p.p90_us, p.p99_us][k].max(1) as f64 / 1000.0;
            let x0 = i as f64 + 0.15 + 0.23 * k as f64;
            Rectangle::new([(x0, 0.001), (x0 + 0.2, v)], c.filled())
        });
        chart.draw_series(bars).map_err(e)?.label(label).legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled()));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(e)?;
    Ok(())
}
