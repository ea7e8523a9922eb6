//! The "Now" panel: the site at a glance, from the live stream.
//!
//! Tiles give the newest second's numbers (connections by transport, rooms, messages per
//! second, delivery p95, store readiness) and the window's totals (messages, slow-consumer
//! cuts); charts draw the last 15 minutes, one point a second; the refusals table counts
//! error codes over the window; the nodes table has one row per node of the cluster. Each
//! tile carries its number in `data-value`, so a test reads the number itself, not its
//! formatting.

use super::{
    chart::{Chart, Series},
    format,
    live::{LiveState, Stream},
    nodes::NodesTable,
};
use crate::testid;
use chinwag_shared::console::{LIVE_WINDOW_SECS, LiveSample};
use yew::prelude::*;

/// Props of [`NowPanel`].
#[derive(Properties, PartialEq)]
pub struct NowPanelProps {
    /// The live numbers.
    pub live: LiveState,
    /// Open a new stream after a refusal.
    pub on_reconnect: Callback<()>,
}

/// The "Now" panel.
#[component]
pub fn NowPanel(props: &NowPanelProps) -> Html {
    let live = &props.live;
    let Some(latest) = live.latest() else {
        return html! {
            <section class="console-panel" aria-label="Now">
                { stream_line(live.stream, &props.on_reconnect) }
                if live.stream != Stream::Closed {
                    <p class="empty-state" role="status">{ "Waiting for the first second of numbers…" }</p>
                }
            </section>
        };
    };
    let end = latest.t;
    let window = LIVE_WINDOW_SECS as u64;
    let connections = latest.websockets + latest.long_polls;
    let cuts = live.total(|s| s.slow_consumer_cuts);
    let refusals = live.refusals();
    html! {
        <section class="console-panel" aria-label="Now">
            { stream_line(live.stream, &props.on_reconnect) }
            <div class="stats">
                { stat("connections", "Connections", connections as f64, &format::number(connections as f64),
                    &format!("{} WebSocket · {} long-poll", latest.websockets, latest.long_polls)) }
                { stat("rooms", "Rooms in use", latest.rooms as f64, &format::number(latest.rooms as f64), "with someone in them") }
                { stat_with_total("messages", "Messages / s", latest.messages as f64, &format::number(latest.messages as f64),
                    live.total(|s| s.messages)) }
                { stat("p95", "Delivery p95", latest.delivery_p95_ms.unwrap_or(0.0), &format::millis(latest.delivery_p95_ms),
                    "message in → frame out") }
                { stat("slow-cuts", "Slow-consumer cuts", cuts as f64, &format::number(cuts as f64), "in the last 15 min") }
                { store_stat(latest) }
            </div>
            <div class="charts">
                <Chart title="Connections" now={format::number(connections as f64)} {end} {window}
                    series={vec![
                        Series { name: "WebSocket", class: "series-a", points: live.series(|s| s.websockets as f64) },
                        Series { name: "Long-poll", class: "series-b", points: live.series(|s| s.long_polls as f64) },
                    ]} />
                <Chart title="Messages per second" now={format::number(latest.messages as f64)} {end} {window}
                    series={vec![Series { name: "Messages", class: "series-a", points: live.series(|s| s.messages as f64) }]} />
                <Chart title="Delivery p95" now={format::millis(latest.delivery_p95_ms)} {end} {window} unit=" ms"
                    series={vec![Series { name: "p95", class: "series-a", points: live.delivery_p95_series() }]} />
                <Chart title="Slow-consumer cuts" now={format::number(latest.slow_consumer_cuts as f64)} {end} {window}
                    series={vec![Series { name: "Cuts", class: "series-bad", points: live.series(|s| s.slow_consumer_cuts as f64) }]} />
                <Chart title="Refusals per second" now={format::number(latest.refusals.values().sum::<u64>() as f64)} {end} {window}
                    series={vec![Series { name: "Refusals", class: "series-warn", points: live.series(|s| s.refusals.values().sum::<u64>() as f64) }]} />
            </div>
            <div class="console-columns">
                <section class="card" aria-labelledby="refusals-title">
                    <h2 id="refusals-title">{ "Refusals in the last 15 minutes" }</h2>
                    if refusals.is_empty() {
                        <p class="empty-state">{ "None: every request and frame was accepted." }</p>
                    } else {
                        <table class="data" data-testid={testid::REFUSALS}>
                            <thead><tr><th scope="col">{ "Code" }</th><th scope="col" class="num">{ "Count" }</th></tr></thead>
                            <tbody>
                                { for refusals.iter().map(|(code, count)| html! {
                                    <tr key={code.clone()}>
                                        <td><code>{ code }</code><span class="hint">{ format!(" {}", refusal_meaning(code)) }</span></td>
                                        <td class="num">{ format::number(*count as f64) }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    }
                </section>
                <NodesTable nodes={live.nodes.clone()} />
            </div>
        </section>
    }
}

/// One number tile.
fn stat(id: &str, label: &str, value: f64, shown: &str, detail: &str) -> Html {
    html! {
        <div class="stat" data-testid={format!("{}{id}", testid::STAT_PREFIX)} data-value={value.to_string()}>
            <span class="stat-label">{ label }</span>
            <strong class="stat-value">{ shown }</strong>
            <span class="stat-detail">{ detail }</span>
        </div>
    }
}

/// A per-second tile that also counts the whole window (its `data-total`).
fn stat_with_total(id: &str, label: &str, value: f64, shown: &str, total: u64) -> Html {
    html! {
        <div class="stat" data-testid={format!("{}{id}", testid::STAT_PREFIX)} data-value={value.to_string()}
            data-total={total.to_string()}>
            <span class="stat-label">{ label }</span>
            <strong class="stat-value">{ shown }</strong>
            <span class="stat-detail">{ format!("{} in the last 15 min", format::number(total as f64)) }</span>
        </div>
    }
}

/// The store's readiness tile: green when it answers, red when not.
fn store_stat(latest: &LiveSample) -> Html {
    let (class, shown, detail) = if latest.store_ready {
        ("stat ok", "Ready", "the store answers")
    } else {
        ("stat bad", "Not ready", "the store does not answer")
    };
    html! {
        <div {class} data-testid={format!("{}store", testid::STAT_PREFIX)} data-value={latest.store_ready.to_string()}>
            <span class="stat-label">{ "Store" }</span>
            <strong class="stat-value">{ shown }</strong>
            <span class="stat-detail">{ detail }</span>
        </div>
    }
}

/// What a refusal's code means, in a few words.
fn refusal_meaning(code: &str) -> &'static str {
    match code {
        "rate_limited" => "(too fast)",
        "too_many_connections" => "(connection cap)",
        "forbidden_origin" => "(foreign page)",
        "unauthenticated" => "(not signed in)",
        "forbidden" => "(not allowed)",
        "banned" => "(banned)",
        "muted" => "(muted)",
        "slow_mode" => "(slow mode)",
        "bad_credentials" => "(wrong password)",
        "message_too_long" => "(too long)",
        _ => "",
    }
}

/// How the stream stands, and a way to reopen it after a refusal.
fn stream_line(stream: Stream, on_reconnect: &Callback<()>) -> Html {
    let (class, text) = match stream {
        Stream::Connecting => ("badge connecting", "Connecting…"),
        Stream::Live => ("badge open", "Live"),
        Stream::Reconnecting => ("badge reconnecting", "Reconnecting…"),
        Stream::Closed => ("badge offline", "Stopped"),
    };
    // While live, the top bar's badge says so; the line speaks only when something is off.
    if stream == Stream::Live {
        return html! {};
    }
    html! {
        <p class="stream-line" role="status">
            <span {class}>{ text }</span>
            if stream == Stream::Closed {
                <span class="hint">{ " The server closed the live stream (signed out, or no longer an admin?). " }</span>
                <button type="button" class="link" onclick={on_reconnect.reform(|_: MouseEvent| ())}>{ "Try again" }</button>
            }
        </p>
    }
}
