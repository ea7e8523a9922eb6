//! `transport-lab`: the seed lecture's comparison made measurable — the same messages
//! received over a WebSocket, by long-polling and by plain polling, side by side.
//!
//! Against a fresh Chinwag (or `--target`), three receivers join one room at once: (a) a
//! WebSocket client (tokio-tungstenite over a [`CountingStream`](crate::http::CountingStream),
//! handshake included); (b) a long-poll loop, `GET …/messages?after=<last>&wait=25`; (c) a
//! plain poll loop that asks `GET …/messages?after=<last>` and then sleeps `--poll-interval`,
//! as the browser client does. Both HTTP loops are hand-written keep-alive HTTP/1.1
//! ([`crate::http`]), so their bytes are exact too; with `--presence` each also asks
//! `GET …/presence` once per cycle. Once the long-poll is held (`chinwag_long_polls_waiting`
//! = 1), a sender ([`sender`]) posts `--count` messages every `--period` ms, each text carrying
//! its send time in microseconds on a clock this process shares with the receivers.
//!
//! Per transport it reports messages received (anything short of `--count` fails the run),
//! duplicates, ids out of order, delivery latency p50/p95/max from the load generator's
//! histogram, requests made, and TCP payload bytes per message. A table, then one JSON line
//! (`--json`: the line alone). Every wait is bounded: each setup step, each POST, and the
//! receivers stop one poll interval plus [`GRACE`] after the last send.

mod receivers;
mod sender;

use crate::{
    cli::{LabSender, TargetKind, TransportLabArgs},
    http::{HttpConn, long_polls_waiting},
    modes::on_target,
    progress,
    server::Launcher,
    stats::{LatencySummary, round2},
};
use anyhow::{Context, Result, bail};
use receivers::{Tally, open_socket, receive_http, receive_socket};
use sender::{Sent, send_all};
use serde_json::json;
use std::{net::SocketAddr, time::Duration};
use tokio::time::{Instant, sleep, timeout};

/// Bound on one setup step (connect, join, the long-poll being counted) or one POST.
const STEP_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest sending phase a run may ask for.
const MAX_SENDING: Duration = Duration::from_secs(3600);

/// How long receivers keep going after the last send, beyond one poll interval.
const GRACE: Duration = Duration::from_secs(5);

/// What one run does, from the command line.
struct Plan {
    period: Duration,
    count: usize,
    poll_interval: Duration,
    wait_secs: u64,
    sender: LabSender,
    presence: bool,
    room: String,
}

impl Plan {
    fn of(args: &TransportLabArgs) -> Result<Self> {
        let count = usize::try_from(args.count)?;
        let period = Duration::from_millis(args.period_ms);
        if period * u32::try_from(count)? > MAX_SENDING {
            bail!("--period × --count must stay within an hour");
        }
        Ok(Self {
            period,
            count,
            poll_interval: Duration::from_millis(args.poll_interval_ms),
            wait_secs: args.wait_secs,
            sender: args.sender,
            presence: args.presence,
            room: args.room.clone(),
        })
    }

    /// The messages request of an HTTP loop: held by the server (`long_poll`) or not.
    fn messages_path(&self, after: u64, long_poll: bool) -> String {
        let room = &self.room;
        if long_poll {
            format!(
                "/api/rooms/{room}/messages?after={after}&wait={}",
                self.wait_secs
            )
        } else {
            format!("/api/rooms/{room}/messages?after={after}")
        }
    }
}

/// Runs the lab once; whether every message reached every transport without error.
pub async fn run(args: &TransportLabArgs, launcher: Launcher, json: bool) -> Result<bool> {
    let plan = Plan::of(args)?;
    progress::note(&format!(
        "transport-lab: {} messages, one every {} ms",
        plan.count,
        plan.period.as_millis()
    ));
    let (sent, tallies) = on_target(&launcher, TargetKind::Chinwag, async |target| {
        measure(&plan, target.addrs[0]).await
    })
    .await?;
    print_report(&plan, &sent, &tallies, json);
    let short: Vec<String> = tallies
        .iter()
        .filter(|tally| tally.seen.len() < plan.count || !tally.errors.is_empty())
        .map(|tally| format!("{}: {} of {}", tally.name, tally.seen.len(), plan.count))
        .collect();
    if !short.is_empty() || sent.sent < plan.count {
        progress::note(&format!(
            "loss or errors (sent {}): {}",
            sent.sent,
            short.join(", ")
        ));
        return Ok(false);
    }
    Ok(true)
}

/// Sets the three receivers up, then runs them beside the sender until all is received or
/// the deadline passes.
async fn measure(plan: &Plan, addr: SocketAddr) -> Result<(Sent, Vec<Tally>)> {
    let clock = Instant::now();
    let ws = timeout(STEP_TIMEOUT, open_socket(addr, &plan.room))
        .await
        .context("the WebSocket receiver did not join in time")??;
    let mut long_poll = HttpConn::connect(addr).await?;
    long_poll
        .send("GET", &plan.messages_path(0, true), "")
        .await?;
    let poll = HttpConn::connect(addr).await?;
    timeout(STEP_TIMEOUT, held_long_polls(addr, 1))
        .await
        .context("the long-poll was not counted as waiting in time")??;

    let start = Instant::now() + Duration::from_millis(100);
    let sending = plan.period * u32::try_from(plan.count)?;
    let deadline = start + sending + plan.poll_interval + GRACE;
    let (sent, ws_tally, long_poll_tally, poll_tally) = tokio::join!(
        send_all(plan, addr, clock, start),
        receive_socket(ws, plan.count, clock, deadline),
        receive_http(plan, long_poll, true, clock, deadline),
        receive_http(plan, poll, false, clock, deadline),
    );
    Ok((sent, vec![ws_tally, long_poll_tally, poll_tally]))
}

/// Waits until the server counts `held` long-polls as waiting.
async fn held_long_polls(addr: SocketAddr, held: u64) -> Result<()> {
    while long_polls_waiting(addr).await? < held {
        sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// p50 of a summary in ms, 0 when nothing was recorded.
fn p50(summary: Option<LatencySummary>) -> f64 {
    summary.map_or(0.0, |s| s.p50)
}

fn print_report(plan: &Plan, sent: &Sent, tallies: &[Tally], json_only: bool) {
    let confirm = sent.confirm.summary();
    let rows: Vec<_> = tallies
        .iter()
        .map(|tally| tally.figures(plan.count))
        .collect();
    if !json_only {
        println!(
            "{} messages, one every {} ms by {}; poll interval {} ms, long-poll wait {} s{}",
            plan.count,
            plan.period.as_millis(),
            sent.kind,
            plan.poll_interval.as_millis(),
            plan.wait_secs,
            if plan.presence {
                "; HTTP loops poll presence"
            } else {
                ""
            }
        );
        println!(
            "sender: {} sent, confirmed p50 {:.2} ms, max {:.2} ms",
            sent.sent,
            p50(confirm),
            confirm.map_or(0.0, |s| s.max)
        );
        for err in &sent.errors {
            println!("sender error: {err}");
        }
        receivers::print_table(&rows);
    }
    let line = json!({
        "tool": "transport_lab",
        "count": plan.count,
        "period_ms": plan.period.as_millis(),
        "poll_interval_ms": plan.poll_interval.as_millis(),
        "wait_secs": plan.wait_secs,
        "sender": sent.kind,
        "presence": plan.presence,
        "sent": sent.sent,
        "confirm_p50_ms": round2(p50(confirm)),
        "transports": rows,
    });
    println!("{line}");
}
