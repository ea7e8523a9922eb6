//! What `longpoll-waiters` prints: a table of one run's figures, then the same as one JSON
//! line (`--json`: the line alone). Wake percentiles come from the load generator's histogram.

use super::Measured;
use crate::{
    cli::LongpollWaitersArgs,
    stats::{Histogram, LatencySummary, ms, round2},
};
use serde_json::json;
use std::net::SocketAddr;

/// The figures derived from a run's measurements.
struct Figures {
    /// Server RSS growth from before the waiters to all waiting, per waiter.
    per_waiter_bytes: u64,
    /// Wake latency over the waiters that got the message.
    wake: Option<LatencySummary>,
}

impl Figures {
    fn of(waiters: usize, measured: &Measured) -> Self {
        let delta_kib = measured
            .rss_waiting_kib
            .saturating_sub(measured.rss_before_kib);
        let wake = Histogram::default();
        for &arrival in &measured.woken.wake {
            wake.record(arrival);
        }
        Self {
            per_waiter_bytes: delta_kib * 1024 / u64::try_from(waiters.max(1)).unwrap_or(1),
            wake: wake.summary(),
        }
    }

    /// A wake percentile in ms (two decimals), 0 when no waiter got the message.
    fn wake_ms(&self, pick: fn(&LatencySummary) -> f64) -> f64 {
        round2(self.wake.as_ref().map_or(0.0, pick))
    }
}

/// Prints the report of one run against the server at `addr`.
pub(super) fn print(args: &LongpollWaitersArgs, addr: SocketAddr, measured: &Measured, json: bool) {
    let figures = Figures::of(args.waiters, measured);
    if !json {
        print_table(args, addr, measured, &figures);
    }
    println!("{}", json_line(args, measured, &figures));
}

fn print_table(
    args: &LongpollWaitersArgs,
    addr: SocketAddr,
    measured: &Measured,
    figures: &Figures,
) {
    let (opened, woken) = (&measured.opened, &measured.woken);
    let rows = [
        (
            "opened (ms)",
            format!(
                "{:.1} in batches of {}, {} listen-queue overflows",
                ms(opened.open),
                args.batch,
                opened.listen_overflows
            ),
        ),
        (
            "gauge = waiters after (ms)",
            format!("{:.1}", ms(opened.gauge_reached)),
        ),
        (
            "server RSS before (KiB)",
            format!(
                "{} ({} threads)",
                measured.rss_before_kib, measured.threads_before
            ),
        ),
        (
            "server RSS, all waiting (KiB)",
            format!(
                "{} ({} threads)",
                measured.rss_waiting_kib, measured.threads_waiting
            ),
        ),
        (
            "RSS per waiter (B)",
            format!("{}", figures.per_waiter_bytes),
        ),
        (
            "POST answered (ms)",
            format!("{:.2}", ms(woken.post_answered)),
        ),
        (
            "wake p50 / p99 (ms)",
            format!(
                "{:.2} / {:.2}",
                figures.wake_ms(|s| s.p50),
                figures.wake_ms(|s| s.p99)
            ),
        ),
        (
            "wake-all, slowest (ms)",
            format!("{:.2}", figures.wake_ms(|s| s.max)),
        ),
        (
            "CPU for the wake (ms)",
            format!(
                "server {:.0}, this client {:.0}",
                ms(woken.wake_cpu),
                ms(woken.client_cpu)
            ),
        ),
        (
            "delivered",
            format!("{} of {}", woken.wake.len(), args.waiters),
        ),
        (
            "server RSS after (KiB)",
            format!(
                "{}; gauge back to {}",
                measured.rss_after_kib, measured.gauge_after
            ),
        ),
    ];
    println!(
        "{} long-poll waiters on http://{addr}/api/rooms/{}/messages?after=0&wait={}",
        args.waiters, args.room, args.wait_secs
    );
    for (name, value) in rows {
        println!("  {name:<30} {value}");
    }
    for failure in woken.failures.iter().take(5) {
        println!("  failure: {failure}");
    }
}

fn json_line(
    args: &LongpollWaitersArgs,
    measured: &Measured,
    figures: &Figures,
) -> serde_json::Value {
    let (opened, woken) = (&measured.opened, &measured.woken);
    json!({
        "tool": "longpoll_waiters",
        "waiters": args.waiters,
        "wait_secs": args.wait_secs,
        "batch": args.batch,
        "open_ms": ms(opened.open),
        "listen_overflows": opened.listen_overflows,
        "gauge_reached_ms": ms(opened.gauge_reached),
        "rss_before_kib": measured.rss_before_kib,
        "rss_waiting_kib": measured.rss_waiting_kib,
        "rss_after_kib": measured.rss_after_kib,
        "rss_per_waiter_bytes": figures.per_waiter_bytes,
        "threads_before": measured.threads_before,
        "threads_waiting": measured.threads_waiting,
        "post_ms": ms(woken.post_answered),
        "wake_p50_ms": figures.wake_ms(|s| s.p50),
        "wake_p99_ms": figures.wake_ms(|s| s.p99),
        "wake_all_ms": figures.wake_ms(|s| s.max),
        "wake_cpu_ms": ms(woken.wake_cpu),
        "client_cpu_ms": ms(woken.client_cpu),
        "delivered": woken.wake.len(),
        "failures": woken.failures.len(),
        "gauge_after": measured.gauge_after,
    })
}
