//! The p95-latency-against-clients chart, as a small hand-written SVG.
//!
//! One line per target kind over the broadcast steps, both axes logarithmic (client counts
//! span decades, and so do latencies from the raw-TCP floor to a saturated server), with the
//! ramp's p95 limit drawn across. Steps that lost messages are drawn as hollow red rings: their
//! latency covers only what arrived. Written by `broadcast --svg` and by `plot`.

use crate::{
    cli::{PlotArgs, TargetKind},
    report::{Mode, StepReport},
};
use anyhow::{Context, Result, bail};
use std::{fmt::Write as _, path::Path};

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 460.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;

/// `plot`: reads JSON lines, writes the chart.
pub fn run(args: &PlotArgs) -> Result<()> {
    let mut steps = Vec::new();
    for path in &args.input {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        for line in text.lines().filter(|l| l.trim_start().starts_with('{')) {
            if let Ok(step) = serde_json::from_str::<StepReport>(line) {
                steps.push(step);
            }
        }
    }
    write_svg(&args.output, &steps, 250.0)
}

/// Writes the chart of `steps`' broadcast results to `path`.
pub fn write_svg(path: &Path, steps: &[StepReport], limit_ms: f64) -> Result<()> {
    let svg = render(steps, limit_ms)?;
    std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))
}

/// One kind's points: (clients, p95 ms, lossless).
type Series = Vec<(f64, f64, bool)>;

fn series(steps: &[StepReport], kind: TargetKind) -> Series {
    let mut points: Series = steps
        .iter()
        .filter(|s| s.mode == Mode::Broadcast && s.target == Some(kind))
        .filter_map(|s| {
            s.latency_ms
                .map(|l| (s.clients as f64, l.p95.max(0.01), s.passed))
        })
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    points
}

/// The SVG text.
fn render(steps: &[StepReport], limit_ms: f64) -> Result<String> {
    let kinds = [
        (TargetKind::Chinwag, "#1f6fb4"),
        (TargetKind::BareRelay, "#e07b00"),
        (TargetKind::RawTcp, "#2a9d3a"),
        (TargetKind::ActixRelay, "#9b3fb5"),
    ];
    let all: Vec<(TargetKind, &str, Series)> = kinds
        .iter()
        .map(|&(kind, color)| (kind, color, series(steps, kind)))
        .filter(|(_, _, points)| !points.is_empty())
        .collect();
    let points = all.iter().flat_map(|(_, _, p)| p.iter());
    let (mut x_min, mut x_max, mut y_min, mut y_max) = (f64::MAX, f64::MIN, f64::MAX, limit_ms);
    for &(x, y, _) in points {
        x_min = x_min.min(x);
        x_max = x_max.max(x);
        y_min = y_min.min(y);
        y_max = y_max.max(y);
    }
    for step in steps.iter().filter(|s| s.mode == Mode::Broadcast) {
        x_max = x_max.max(step.clients as f64);
    }
    if all.is_empty() {
        bail!("no broadcast steps with latency to plot");
    }
    let x_range = (nice_floor(x_min), nice_ceil(x_max.max(x_min * 10.0)));
    let y_range = (nice_floor(y_min), nice_ceil(y_max * 1.2));
    let px = |x: f64| LEFT + scale(x, x_range) * (WIDTH - LEFT - RIGHT);
    let py = |y: f64| HEIGHT - BOTTOM - scale(y, y_range) * (HEIGHT - TOP - BOTTOM);

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="20" font-size="15" text-anchor="middle">p95 delivery latency against clients in one room</text>"#,
        (LEFT + WIDTH - RIGHT) / 2.0
    );
    let _ = writeln!(
        svg,
        r##"<text x="{:.1}" y="38" fill="#555" font-size="11" text-anchor="middle">{}</text>"##,
        (LEFT + WIDTH - RIGHT) / 2.0,
        subtitle(steps)
    );
    axes(&mut svg, x_range, y_range, &px, &py);
    let limit_y = py(limit_ms);
    let _ = writeln!(
        svg,
        r##"<line x1="{LEFT}" y1="{limit_y:.1}" x2="{:.1}" y2="{limit_y:.1}" stroke="#c0392b" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" fill="#c0392b">p95 limit {limit_ms} ms</text>"##,
        WIDTH - RIGHT,
        LEFT + 8.0,
        limit_y - 6.0
    );
    failed_marks(&mut svg, steps, &px);
    for (index, (kind, color, points)) in all.iter().enumerate() {
        let path: Vec<String> = points
            .iter()
            .map(|&(x, y, _)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
        for &(x, y, lossless) in points {
            let (fill, stroke) = if lossless {
                (*color, *color)
            } else {
                ("none", "#c0392b")
            };
            let _ = writeln!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{fill}" stroke="{stroke}" stroke-width="1.5"><title>{}: {} clients, p95 {y:.2} ms{}</title></circle>"#,
                px(x),
                py(y),
                kind.name(),
                x,
                if lossless { "" } else { " (lost messages)" }
            );
        }
        let ly = TOP + 20.0 + 20.0 * index as f64;
        let lx = WIDTH - RIGHT + 16.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{color}" stroke-width="2"/><text x="{}" y="{}">{}</text>"#,
            lx + 22.0,
            lx + 28.0,
            ly + 4.0,
            kind.name()
        );
    }
    let mut notes: Vec<String> = ["● no loss", "○ red: messages lost", "× step could not run"]
        .map(String::from)
        .to_vec();
    notes.extend(ratio_notes(steps));
    for (i, note) in notes.iter().enumerate() {
        let note = escape(note);
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" fill="#555" font-size="11">{note}</text>"##,
            WIDTH - RIGHT + 16.0,
            TOP + 100.0 + 16.0 * i as f64
        );
    }
    let _ = writeln!(svg, "</svg>");
    Ok(svg)
}

/// A red × on the top edge at each broadcast step that produced no latency (it could not
/// run: its connections failed), so a failure is not silently missing from the chart.
fn failed_marks(svg: &mut String, steps: &[StepReport], px: &dyn Fn(f64) -> f64) {
    for step in steps
        .iter()
        .filter(|s| s.mode == Mode::Broadcast && s.latency_ms.is_none())
    {
        let (x, y) = (px(step.clients as f64), TOP + 10.0);
        let _ = writeln!(
            svg,
            r##"<path d="M{:.1},{:.1} l10,10 m0,-10 l-10,10" stroke="#c0392b" stroke-width="2.5"><title>{}: {} clients could not run: {}</title></path><text x="{:.1}" y="{:.1}" fill="#c0392b" text-anchor="end" font-size="11">{} {}: failed</text>"##,
            x - 5.0,
            y - 5.0,
            step.target_name(),
            step.clients,
            escape(step.error_samples.first().map_or("", String::as_str)),
            x - 9.0,
            y + 4.0,
            step.target_name(),
            step.clients
        );
    }
}

/// "chinwag ÷ actix-relay" lines for the legend: the range of Chinwag's p95 and CPU per frame
/// over each baseline's, across the broadcast steps both ran at the same size.
fn ratio_notes(steps: &[StepReport]) -> Vec<String> {
    type Pick = fn(&crate::report::Ratios) -> Option<&crate::report::RatioSet>;
    let baselines: [(&str, Pick); 3] = [
        ("actix-relay", |r| r.vs_actix_relay.as_ref()),
        ("bare-relay", |r| r.vs_bare_relay.as_ref()),
        ("raw-tcp", |r| r.vs_raw_tcp.as_ref()),
    ];
    let mut notes = Vec::new();
    for (name, pick) in baselines {
        let sets: Vec<_> = steps
            .iter()
            .filter(|s| s.mode == Mode::Broadcast && s.target == Some(TargetKind::Chinwag))
            .filter_map(|s| s.ratios.as_ref().and_then(pick))
            .collect();
        let range = |values: Vec<f64>| {
            let low = values.iter().copied().fold(f64::INFINITY, f64::min);
            let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (low <= high).then(|| format!("{low:.2}–{high:.2}×"))
        };
        let p95 = range(sets.iter().filter_map(|r| r.p95).collect());
        let cpu = range(sets.iter().filter_map(|r| r.cpu_per_frame).collect());
        if p95.is_none() && cpu.is_none() {
            continue;
        }
        notes.push(format!("chinwag ÷ {name}:"));
        if let Some(p95) = p95 {
            notes.push(format!("p95 {p95}"));
        }
        if let Some(cpu) = cpu {
            notes.push(format!("cpu/frame {cpu}"));
        }
    }
    notes
}

/// The rate and pinning the broadcast steps ran with.
fn subtitle(steps: &[StepReport]) -> String {
    let broadcast = steps.iter().find(|s| s.mode == Mode::Broadcast);
    let rate = broadcast.and_then(|s| s.rate_per_s).unwrap_or(0.0);
    let pinned = if broadcast.is_some_and(|s| s.pinned) {
        "server and load pinned to one core each"
    } else {
        "not pinned"
    };
    format!("{rate} messages/s into the room, every client receives all; {pinned}")
}

/// Text safe inside SVG markup.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Axis lines, decade grid lines and labels.
fn axes(
    svg: &mut String,
    x: (f64, f64),
    y: (f64, f64),
    px: &dyn Fn(f64) -> f64,
    py: &dyn Fn(f64) -> f64,
) {
    let (left, right, top, bottom) = (LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM);
    for value in ticks(x) {
        let at = px(value);
        let _ = writeln!(
            svg,
            r##"<line x1="{at:.1}" y1="{top}" x2="{at:.1}" y2="{bottom}" stroke="#e4e4e4"/><text x="{at:.1}" y="{}" text-anchor="middle">{}</text>"##,
            bottom + 16.0,
            label(value)
        );
    }
    for value in ticks(y) {
        let at = py(value);
        let _ = writeln!(
            svg,
            r##"<line x1="{left}" y1="{at:.1}" x2="{right}" y2="{at:.1}" stroke="#e4e4e4"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            left - 6.0,
            at + 4.0,
            label(value)
        );
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{left}" y="{top}" width="{}" height="{}" fill="none" stroke="#444"/>"##,
        right - left,
        bottom - top
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">clients in the room (log scale)</text>"#,
        (left + right) / 2.0,
        HEIGHT - 16.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="18" y="{:.1}" text-anchor="middle" transform="rotate(-90 18 {:.1})">p95 latency, ms (log scale)</text>"#,
        (top + bottom) / 2.0,
        (top + bottom) / 2.0
    );
}

/// Position of `v` in a log range, 0..=1.
fn scale(v: f64, (lo, hi): (f64, f64)) -> f64 {
    (v.log10() - lo.log10()) / (hi.log10() - lo.log10()).max(1e-9)
}

/// The largest 1, 2 or 5 × 10^k at or below `v`.
fn nice_floor(v: f64) -> f64 {
    let decade = 10f64.powf(v.max(1e-3).log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|&n| n <= v * 1.0001)
        .unwrap_or(decade)
}

/// The smallest 1, 2 or 5 × 10^k at or above `v`.
fn nice_ceil(v: f64) -> f64 {
    let decade = 10f64.powf(v.max(1e-3).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|&n| n >= v * 0.9999)
        .unwrap_or(decade * 10.0)
}

/// 1, 2, 5 per decade within the range.
fn ticks((lo, hi): (f64, f64)) -> Vec<f64> {
    let mut out = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi * 1.0001 {
        for m in [1.0, 2.0, 5.0] {
            let v = decade * m;
            if v >= lo * 0.9999 && v <= hi * 1.0001 {
                out.push(v);
            }
        }
        decade *= 10.0;
    }
    out
}

fn label(v: f64) -> String {
    if v >= 1000.0 && (v / 1000.0).fract() == 0.0 {
        format!("{}k", v / 1000.0)
    } else if v >= 1.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::LatencySummary;

    fn step(kind: TargetKind, clients: usize, p95: f64) -> StepReport {
        let mut step = StepReport::new(Mode::Broadcast, kind, true, clients);
        step.passed = true;
        step.latency_ms = Some(LatencySummary {
            samples: 1,
            p50: p95,
            p95,
            p99: p95,
            max: p95,
            mean: p95,
        });
        step
    }

    #[test]
    fn the_chart_has_a_line_and_a_legend_entry_per_target() {
        let steps = [
            step(TargetKind::Chinwag, 100, 2.0),
            step(TargetKind::Chinwag, 1000, 40.0),
            step(TargetKind::RawTcp, 100, 0.3),
            step(TargetKind::RawTcp, 1000, 1.5),
        ];
        let svg = render(&steps, 250.0).unwrap();
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains(">chinwag</text>") && svg.contains(">raw-tcp</text>"));
        assert!(!svg.contains("bare-relay"));
        assert!(svg.contains("p95 limit 250 ms"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn the_actix_relay_gets_a_line_and_label_of_its_own() {
        let steps = [
            step(TargetKind::Chinwag, 100, 2.0),
            step(TargetKind::ActixRelay, 100, 1.5),
            step(TargetKind::BareRelay, 100, 1.0),
        ];
        let svg = render(&steps, 250.0).unwrap();
        assert_eq!(svg.matches("<polyline").count(), 3);
        assert!(svg.contains(">actix-relay</text>"), "{svg}");
        assert!(svg.contains("#9b3fb5"));
    }

    #[test]
    fn the_legend_gives_chinwag_over_the_actix_relay() {
        let mut chinwag = step(TargetKind::Chinwag, 100, 3.0);
        chinwag.ratios = Some(crate::report::Ratios {
            vs_actix_relay: Some(crate::report::RatioSet {
                p95: Some(1.5),
                cpu_per_frame: Some(1.25),
                ..Default::default()
            }),
            ..Default::default()
        });
        let steps = [chinwag, step(TargetKind::ActixRelay, 100, 2.0)];
        let svg = render(&steps, 250.0).unwrap();
        assert!(svg.contains("chinwag ÷ actix-relay:"), "{svg}");
        assert!(svg.contains("p95 1.50–1.50×"), "{svg}");
        assert!(svg.contains("cpu/frame 1.25–1.25×"), "{svg}");
        assert!(!svg.contains("chinwag ÷ bare-relay"), "{svg}");
    }

    #[test]
    fn a_step_that_could_not_run_is_marked_not_dropped() {
        let failed = anyhow::anyhow!("no joined frame <in time>");
        let steps = [
            step(TargetKind::Chinwag, 100, 2.0),
            StepReport::failed(Mode::Broadcast, TargetKind::Chinwag, 10_000, &failed),
        ];
        let svg = render(&steps, 250.0).unwrap();
        assert!(svg.contains("chinwag 10000: failed"), "{svg}");
        assert!(svg.contains("&lt;in time&gt;"));
        assert!(
            svg.contains(">10k</text>"),
            "the x axis reaches the failed step"
        );
    }

    #[test]
    fn nothing_to_plot_is_an_error() {
        assert!(render(&[], 250.0).is_err());
    }

    #[test]
    fn ticks_are_one_two_five_per_decade() {
        assert_eq!(
            ticks((10.0, 1000.0)),
            [10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]
        );
    }
}
