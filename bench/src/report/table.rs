//! The human tables: one per mode, with the columns that mode measures, then the ratios.
//!
//! Pure formatting of finished [`StepReport`]s; numbers are rounded for reading, the JSON
//! output keeps them whole.

use super::{Mode, RatioSet, StepReport};
use crate::{cli::Resume, signin::AuthKind};

/// The steps as human tables, one per mode present, then the ratios.
pub fn tables(steps: &[StepReport]) -> String {
    let mut out = String::new();
    for mode in [Mode::Broadcast, Mode::Throughput, Mode::Idle, Mode::Storm] {
        let rows: Vec<&StepReport> = steps.iter().filter(|s| s.mode == mode).collect();
        if rows.is_empty() {
            continue;
        }
        let (headers, cells) = columns(mode);
        let body = rows.iter().map(|s| cells(s)).collect::<Vec<_>>();
        out.push_str(&render(headers, &body));
        out.push('\n');
    }
    let ratio_rows: Vec<Vec<String>> = steps
        .iter()
        .filter_map(|s| s.ratios.as_ref().map(|r| (s, r)))
        .flat_map(|(s, r)| {
            [
                ("bare-relay", &r.vs_bare_relay),
                ("raw-tcp", &r.vs_raw_tcp),
                ("actix-relay", &r.vs_actix_relay),
            ]
            .into_iter()
            .filter_map(move |(name, set)| set.as_ref().map(|set| ratio_row(s, name, set)))
        })
        .collect();
    if !ratio_rows.is_empty() {
        let headers = &[
            "chinwag ÷",
            "mode",
            "clients",
            "p50",
            "p95",
            "p99",
            "cpu/frame",
            "deliv/s",
            "accept/s",
            "rss/conn",
            "catch-up",
        ];
        out.push_str(&render(headers, &ratio_rows));
        out.push('\n');
    }
    out
}

type Cells = fn(&StepReport) -> Vec<String>;

fn columns(mode: Mode) -> (&'static [&'static str], Cells) {
    match mode {
        Mode::Broadcast => (
            &[
                "broadcast",
                "clients",
                "msg/s",
                "deliv/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "lost",
                "err",
                "cpu µs/frame",
                "cpu",
                "backing",
                "load cpu",
                "others",
                "lag ms",
                "verdict",
            ],
            |s| {
                let mut row = vec![
                    s.target_label(),
                    s.clients.to_string(),
                    num(s.rate_per_s, 0),
                ];
                row.push(num(s.delivered_per_s, 0));
                row.extend(latency_cells(s));
                row.extend([s.lost.to_string(), s.errors.to_string()]);
                row.extend([
                    num(s.server_cpu_us_per_frame, 2),
                    pct(s.server_cpu_share),
                    pct(s.backing_cpu_share),
                    pct(s.load_cpu_share),
                    pct(s.other_cpu_share),
                ]);
                row.push(num(s.send_lag_max_ms, 1));
                row.push(verdict(s));
                row
            },
        ),
        Mode::Throughput => (
            &[
                "throughput",
                "senders",
                "window",
                "recv",
                "accept/s",
                "deliv/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "lost",
                "err",
                "cpu µs/msg",
                "cpu µs/frame",
                "cpu",
                "backing",
                "load cpu",
                "others",
                "verdict",
            ],
            |s| {
                let senders = s.senders.unwrap_or(0);
                let mut row = vec![
                    s.target_label(),
                    senders.to_string(),
                    s.window.map_or("-".into(), |w| w.to_string()),
                    s.clients.saturating_sub(senders).to_string(),
                    num(s.accepted_per_s, 0),
                    num(s.delivered_per_s, 0),
                ];
                row.extend(latency_cells(s));
                row.extend([s.lost.to_string(), s.errors.to_string()]);
                row.extend([
                    num(s.server_cpu_us_per_message, 2),
                    num(s.server_cpu_us_per_frame, 2),
                    pct(s.server_cpu_share),
                    pct(s.backing_cpu_share),
                    pct(s.load_cpu_share),
                    pct(s.other_cpu_share),
                    verdict(s),
                ]);
                row
            },
        ),
        Mode::Idle => (
            &[
                "idle",
                "clients",
                "rss before KiB",
                "rss after KiB",
                "per conn B",
                "anon per conn B",
                "after close KiB",
                "connect s",
                "cpu µs/conn",
                "err",
                "verdict",
            ],
            |s| {
                vec![
                    s.target_label(),
                    s.clients.to_string(),
                    s.rss_before_kib.map_or("-".into(), |v| v.to_string()),
                    s.rss_after_kib.map_or("-".into(), |v| v.to_string()),
                    num(s.rss_per_connection_bytes, 0),
                    num(s.rss_anon_per_connection_bytes, 0),
                    s.rss_after_close_kib.map_or("-".into(), |v| v.to_string()),
                    num(s.connect_s, 2),
                    num(s.server_cpu_us_per_connection, 0),
                    s.errors.to_string(),
                    verdict(s),
                ]
            },
        ),
        Mode::Storm => (
            &[
                "storm",
                "resume",
                "auth",
                "round",
                "clients",
                "missed",
                "outage ms",
                "back ms",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "server cpu s",
                "listen drops",
                "delivered",
                "lost",
                "dup",
                "err",
                "retries",
                "verdict",
            ],
            |s| {
                vec![
                    s.target_label(),
                    s.resume.map_or("-", Resume::name).into(),
                    s.auth.map_or("guest", AuthKind::name).into(),
                    s.round.map_or("-".into(), |v| v.to_string()),
                    s.clients.to_string(),
                    s.missed.map_or("-".into(), |v| v.to_string()),
                    num(s.outage_ms, 0),
                    num(s.catch_up_ms, 0),
                    s.latency_ms.map_or("-".into(), |l| ms(l.p50)),
                    s.latency_ms.map_or("-".into(), |l| ms(l.p95)),
                    s.latency_ms.map_or("-".into(), |l| ms(l.p99)),
                    num(s.server_cpu_s, 2),
                    s.listen_overflows.map_or("-".into(), |v| v.to_string()),
                    s.delivered.to_string(),
                    s.lost.to_string(),
                    s.duplicates.to_string(),
                    s.errors.to_string(),
                    s.reconnect_retries.map_or("-".into(), |v| v.to_string()),
                    verdict(s),
                ]
            },
        ),
    }
}

fn latency_cells(s: &StepReport) -> [String; 4] {
    match &s.latency_ms {
        Some(l) => [ms(l.p50), ms(l.p95), ms(l.p99), ms(l.max)],
        None => ["-".into(), "-".into(), "-".into(), "-".into()],
    }
}

fn ratio_row(s: &StepReport, name: &str, set: &RatioSet) -> Vec<String> {
    let x = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.2}×"));
    let mode = match s.mode {
        Mode::Broadcast => "broadcast",
        Mode::Throughput => "throughput",
        Mode::Idle => "idle",
        Mode::Storm => "storm",
    };
    vec![
        name.into(),
        mode.into(),
        s.clients.to_string(),
        x(set.p50),
        x(set.p95),
        x(set.p99),
        x(set.cpu_per_frame),
        x(set.delivered_per_s),
        x(set.accepted_per_s),
        x(set.rss_per_connection),
        x(set.catch_up),
    ]
}

fn verdict(s: &StepReport) -> String {
    match (s.passed, s.within_p95_limit) {
        (false, _) => "FAIL".into(),
        (true, Some(false)) => "p95 over".into(),
        (true, _) => "ok".into(),
    }
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.decimals$}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.0}%", v * 100.0))
}

/// Milliseconds with precision that suits the size.
fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2}")
    } else if v < 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// A right-aligned text table (first column left-aligned).
fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            let pad = width.saturating_sub(cell.chars().count());
            if i == 0 {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            } else {
                text.push_str("  ");
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            }
        }
        text.trim_end().to_owned() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}
