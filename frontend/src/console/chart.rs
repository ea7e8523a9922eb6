//! A live chart as inline SVG: one or more series of `(second, value)` points drawn as
//! polylines over a fixed time window that ends at the newest second.
//!
//! No chart library: the scaling is a few lines of arithmetic ([`nice_ceiling`],
//! [`polylines`]), pure and tested, and the drawing is an `<svg>` whose `viewBox` is the
//! plot's own units, stretched to the card's width by CSS (`preserveAspectRatio="none"`,
//! with `non-scaling-stroke` so lines stay thin). A gap in the seconds (the stream was
//! away) breaks the line instead of drawing a false slope across it.

use std::rc::Rc;
use yew::prelude::*;

/// The plot's width in its own units (one unit per second of a 15-minute window, roughly).
pub const PLOT_WIDTH: f64 = 900.0;
/// The plot's height in its own units.
pub const PLOT_HEIGHT: f64 = 100.0;

/// A gap longer than this many seconds between two points breaks the line.
const MAX_GAP_SECS: u64 = 2;

/// How wide (in plot units) a second with no neighbour is drawn.
const LONE_POINT_WIDTH: f64 = 3.0;

/// The smallest "round" number (1, 2 or 5 times a power of ten) at or above `max`, and at
/// least 1, so a flat line of zeros sits on the floor of a chart whose top says "1".
pub fn nice_ceiling(max: f64) -> f64 {
    if !max.is_finite() || max <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * magnitude)
        .find(|ceiling| *ceiling >= max)
        .unwrap_or(10.0 * magnitude)
}

/// The SVG `points` of each unbroken run of `points` (seconds ascending), placed on a
/// [`PLOT_WIDTH`] × [`PLOT_HEIGHT`] plot whose right edge is second `end` and whose left
/// edge is `window` seconds before it, and whose top is `top`. Points left of the window
/// are dropped; values are clamped into the plot.
pub fn polylines(points: &[(u64, f64)], end: u64, window: u64, top: f64) -> Vec<String> {
    let start = end.saturating_sub(window);
    let span = window.max(1) as f64;
    let top = if top > 0.0 { top } else { 1.0 };
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut last: Option<u64> = None;
    for &(t, value) in points.iter().filter(|(t, _)| *t >= start && *t <= end) {
        let x = (t - start) as f64 / span * PLOT_WIDTH;
        let y = PLOT_HEIGHT - (value.clamp(0.0, top) / top) * PLOT_HEIGHT;
        match (last, runs.last_mut()) {
            (Some(previous), Some(run)) if t - previous <= MAX_GAP_SECS => run.push((x, y)),
            _ => runs.push(vec![(x, y)]),
        }
        last = Some(t);
    }
    runs.into_iter()
        .map(|mut run| {
            // A lone second would be a line of no length, which draws nothing: give it a
            // short flat stroke ending at its place instead.
            if let [(x, y)] = run[..] {
                run.insert(0, ((x - LONE_POINT_WIDTH).max(0.0), y));
            }
            run.iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// One series of a chart.
#[derive(Clone, PartialEq)]
pub struct Series {
    /// Its name in the legend ("WebSocket").
    pub name: &'static str,
    /// Its CSS class, which picks its colour (`series-a`, `series-b`).
    pub class: &'static str,
    /// Its points, seconds ascending.
    pub points: Rc<Vec<(u64, f64)>>,
}

/// Props of [`Chart`].
#[derive(Properties, PartialEq)]
pub struct ChartProps {
    /// What it shows ("Messages per second").
    pub title: AttrValue,
    /// The value now, as text, shown large beside the title.
    pub now: AttrValue,
    /// Its series.
    pub series: Vec<Series>,
    /// The newest second (the right edge).
    pub end: u64,
    /// Seconds across.
    pub window: u64,
    /// Formats the top of the scale.
    #[prop_or_default]
    pub unit: AttrValue,
}

/// A titled live chart.
#[component]
pub fn Chart(props: &ChartProps) -> Html {
    let highest = props
        .series
        .iter()
        .flat_map(|series| series.points.iter())
        .filter(|(t, _)| *t + props.window >= props.end)
        .map(|(_, value)| *value)
        .fold(0.0, f64::max);
    let top = nice_ceiling(highest);
    let view_box = format!("0 0 {PLOT_WIDTH} {PLOT_HEIGHT}");
    let minutes = props.window / 60;
    html! {
        <figure class="chart">
            <figcaption>
                <span class="chart-title">{ props.title.clone() }</span>
                <strong class="chart-now">{ props.now.clone() }</strong>
            </figcaption>
            <div class="chart-plot">
                <span class="chart-top" aria-hidden="true">{ format!("{}{}", super::format::number(top), props.unit) }</span>
                <svg viewBox={view_box} preserveAspectRatio="none" role="img"
                    aria-label={format!("{} over the last {minutes} minutes, up to {}", props.title, super::format::number(top))}>
                    <line class="chart-grid" x1="0" y1="50" x2={PLOT_WIDTH.to_string()} y2="50" />
                    { for props.series.iter().flat_map(|series| {
                        polylines(&series.points, props.end, props.window, top)
                            .into_iter()
                            .map(move |points| html! {
                                <polyline class={classes!("chart-line", series.class)} {points}
                                    vector-effect="non-scaling-stroke" />
                            })
                    }) }
                </svg>
            </div>
            <div class="chart-axis" aria-hidden="true">
                <span>{ format!("−{minutes} min") }</span><span>{ "now" }</span>
            </div>
            if props.series.len() > 1 {
                <ul class="chart-legend">
                    { for props.series.iter().map(|series| html! {
                        <li class={series.class}>{ series.name }</li>
                    }) }
                </ul>
            }
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_scale_tops_out_at_a_round_number() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(0.3), 1.0);
        assert_eq!(nice_ceiling(1.5), 2.0);
        assert_eq!(nice_ceiling(3.0), 5.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(10.0), 10.0);
        assert_eq!(nice_ceiling(11.0), 20.0);
        assert_eq!(nice_ceiling(480.0), 500.0);
        assert_eq!(nice_ceiling(f64::INFINITY), 1.0);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn points_map_time_to_x_and_value_to_height() {
        // A 2-second window ending at second 1002: second 1000 is the left edge.
        let lines = polylines(&[(1000, 0.0), (1001, 5.0), (1002, 10.0)], 1002, 2, 10.0);
        assert_eq!(lines, ["0.0,100.0 450.0,50.0 900.0,0.0"]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_gap_in_the_seconds_breaks_the_line_and_old_points_fall_off() {
        let points = [(5, 1.0), (950, 1.0), (951, 1.0), (960, 2.0), (961, 50.0)];
        let lines = polylines(&points, 1000, 100, 2.0);
        // Second 5 is outside the window; 951 → 960 is a gap; 50 is clamped to the top.
        assert_eq!(
            lines,
            ["450.0,50.0 459.0,50.0", "540.0,0.0 549.0,0.0"],
            "{lines:?}"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn no_points_draw_nothing() {
        assert!(polylines(&[], 10, 900, 1.0).is_empty());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_lone_second_is_drawn_as_a_short_stroke() {
        // Seconds 1001 and 1005 have no neighbour within the gap: each is a stroke of its own.
        let lines = polylines(&[(1001, 1.0), (1005, 1.0)], 1010, 10, 1.0);
        assert_eq!(lines, ["87.0,0.0 90.0,0.0", "447.0,0.0 450.0,0.0"]);
    }
}
