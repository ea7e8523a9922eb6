//! `broadcast`: N clients in one room, S of them sending at a fixed total rate R.
//!
//! Each step starts a fresh target, connects the senders (named, so Chinwag shows them in
//! presence) and then the receivers (nameless, so ten thousand joins do not broadcast ten
//! thousand presence events), and only then starts the clock. Sender i sends every S/R seconds,
//! offset by i/R, so the room sees an even stream of R messages per second. Every client,
//! senders included, times every message it receives; a message not received by every client
//! within the drain time is lost and fails the step. A ramp repeats this for each client count
//! and each target kind, and reports the largest count whose p95 stays under the limit.
//! Against several nodes (`--target` repeated), client i, sender or not, connects to node
//! i mod nodes: senders and receivers are both spread evenly, so most deliveries cross nodes.

use crate::{
    cli::{BroadcastArgs, TargetKind},
    client::{FrameWriter, JoinSpec},
    modes::{Bench, check_fd_limit, crowd, tally},
    payload::{Epoch, Stamp},
    plot, procinfo, progress,
    report::{Mode, StepReport},
    server::Target,
};
use anyhow::{Result, bail};
use indicatif::ProgressBar;
use std::{sync::Arc, time::Duration};
use tokio::{task::JoinSet, time::Instant};

/// Time between the end of setup and the first send, for the receiver tasks to start.
const SETTLE: Duration = Duration::from_millis(200);
/// How often the progress bar moves.
const PROGRESS_TICK: Duration = Duration::from_millis(100);

/// One step's parameters.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Clients in the room, senders included.
    pub clients: usize,
    /// Clients that send.
    pub senders: usize,
    /// Messages per second, all senders together.
    pub rate: f64,
    /// Length of the sending phase.
    pub duration: Duration,
    /// Characters per message.
    pub message_chars: usize,
    /// Grace time for the last messages.
    pub drain: Duration,
    /// Connections opened at once during setup.
    pub connect_concurrency: usize,
    /// The room.
    pub room: String,
    /// The ramp's p95 limit.
    pub max_p95_ms: f64,
}

/// Runs the ramp (or the single step) for every target kind.
pub async fn run(args: &BroadcastArgs, mut bench: Bench) -> Result<bool> {
    let counts = if args.ramp.is_empty() {
        vec![args.clients]
    } else {
        args.ramp.clone()
    };
    let smallest = counts.iter().copied().min().unwrap_or(0);
    if args.senders == 0 || args.senders > smallest {
        bail!("--senders must be between 1 and the smallest client count ({smallest})");
    }
    check_fd_limit(counts.iter().copied().max().unwrap_or(0))?;
    let mut alive: Vec<TargetKind> = bench.launcher.kinds().to_vec();
    for (index, &clients) in counts.iter().enumerate() {
        for kind in alive.clone() {
            let plan = Plan {
                clients,
                senders: args.senders,
                rate: args.rate,
                duration: args.duration,
                message_chars: usize::from(args.message_chars),
                drain: args.drain,
                connect_concurrency: args.connect_concurrency,
                room: format!("bench-{}-{index}", std::process::id()),
                max_p95_ms: args.max_p95_ms,
            };
            let ok = run_step(&mut bench, kind, &plan).await;
            if !ok && !args.keep_going {
                alive.retain(|k| *k != kind);
            }
        }
        if alive.is_empty() {
            break;
        }
    }
    let summary = ramp_summary(&bench.steps, bench.launcher.kinds(), args.max_p95_ms);
    if let Some(path) = &args.svg {
        plot::write_svg(path, &bench.steps, args.max_p95_ms)?;
        progress::note(&format!("wrote {}", path.display()));
    }
    let json = bench.json;
    let passed = bench.finish()?;
    if json {
        progress::note(&summary);
    } else {
        println!("{summary}");
    }
    Ok(passed)
}

/// Runs one step against `kind` and records it; whether it passed within the p95 limit. A
/// step that could not run at all is recorded as failed, with the reason.
pub async fn run_step(bench: &mut Bench, kind: TargetKind, plan: &Plan) -> bool {
    progress::note(&format!(
        "broadcast: {} with {} clients, {} senders, {} msg/s for {:?}",
        kind.name(),
        plan.clients,
        plan.senders,
        plan.rate,
        plan.duration
    ));
    let report = match bench
        .with_target(kind, async |target| step(target, plan).await)
        .await
    {
        Ok(report) => report,
        Err(err) => failed(kind, plan, &err),
    };
    let ok = report.within_p95_limit == Some(true);
    bench.record(report);
    ok
}

/// One step against a running target.
pub async fn step(target: &Target, plan: &Plan) -> Result<StepReport> {
    let overflows = procinfo::OverflowWindow::start();
    let room = join_room(target, plan).await?;
    let overflows = overflows.finish();
    let mut receivers = tally::Receivers::new(Epoch::now());
    let mut writers = Vec::with_capacity(plan.clients);
    for joined in room.clients {
        receivers.spawn(joined.reader, plan.senders, |_| {});
        writers.push(joined.writer);
    }
    let quiet_writers = writers.split_off(plan.senders);

    let per_sender = ((plan.rate * plan.duration.as_secs_f64()) / plan.senders as f64)
        .round()
        .max(1.0) as u64;
    let bar = progress::bar(
        per_sender * (plan.senders * plan.clients) as u64,
        &format!("{} deliveries", target.kind.name()),
    );
    let cpu = procinfo::PhaseCpu::start(&target.pids, &target.backing)?;
    let start_ns = receivers.tally.epoch.nanos() + u64::try_from(SETTLE.as_nanos())?;
    let (writers, lag) = send_all(writers, per_sender, plan, &receivers, &bar).await?;
    let sent = tally::Tally::get(&receivers.tally.sent);
    let due = sent * plan.clients as u64;
    receivers.wait_delivered(due, plan.drain, &bar).await;
    let cpu = cpu.finish()?;
    bar.finish_and_clear();
    let tally = receivers.stop().await;
    drop((writers, quiet_writers));

    let mut report = StepReport::new(Mode::Broadcast, target.kind, false, plan.clients);
    report.senders = Some(plan.senders);
    report.rate_per_s = Some(plan.rate);
    report.duration_s = plan.duration.as_secs_f64();
    report.send_frame_bytes = Some(
        Stamp {
            sender: 0,
            seq: 0,
            sent_ns: 0,
        }
        .send_frame(&plan.room, plan.message_chars)
        .len(),
    );
    report.connect_s = Some(room.took.as_secs_f64());
    report.listen_overflows = overflows;
    report.sent = sent;
    report.expected = due;
    report.send_lag_max_ms = Some(lag.as_secs_f64() * 1e3);
    fill_deliveries(&mut report, &tally, start_ns);
    report.set_cpu(&cpu, report.delivered, sent);
    report.judge();
    report.within_p95_limit =
        Some(report.passed && report.latency_ms.is_some_and(|l| l.p95 < plan.max_p95_ms));
    Ok(report)
}

/// The room's clients, senders first, all joined.
struct Room {
    clients: Vec<crowd::Joined>,
    took: Duration,
}

/// Connects the senders (named, so Chinwag lists them in presence), then the receivers
/// (nameless, so their joins broadcast nothing); client i goes to node i mod nodes.
async fn join_room(target: &Target, plan: &Plan) -> Result<Room> {
    let join = |i: usize, username: Option<String>| {
        let spec = JoinSpec {
            room: plan.room.clone(),
            username,
            ..JoinSpec::default()
        };
        (target.connector(i), spec)
    };
    let sender_specs = (0..plan.senders)
        .map(|i| join(i, Some(format!("s{i}"))))
        .collect();
    let receiver_specs = (plan.senders..plan.clients)
        .map(|i| join(i, None))
        .collect();
    let concurrency = plan.connect_concurrency;
    let (mut clients, senders_took) =
        crowd::connect_all(sender_specs, concurrency, "senders").await?;
    let (receivers, receivers_took) =
        crowd::connect_all(receiver_specs, concurrency, "receivers").await?;
    clients.extend(receivers);
    Ok(Room {
        clients,
        took: senders_took + receivers_took,
    })
}

/// Runs every sender on its schedule, starting [`SETTLE`] from now; returns their writers
/// (closed only when the step ends) and the worst send lag.
async fn send_all(
    writers: Vec<FrameWriter>,
    per_sender: u64,
    plan: &Plan,
    receivers: &tally::Receivers,
    bar: &ProgressBar,
) -> Result<(Vec<FrameWriter>, Duration)> {
    let start = Instant::now() + SETTLE;
    let period = Duration::from_secs_f64(plan.senders as f64 / plan.rate);
    let mut sending = JoinSet::new();
    for (i, writer) in writers.into_iter().enumerate() {
        let pace = Pace {
            sender: u32::try_from(i)?,
            count: per_sender,
            first: start + Duration::from_secs_f64(i as f64 / plan.rate),
            period,
        };
        let tally = Arc::clone(&receivers.tally);
        let room = plan.room.clone();
        let chars = plan.message_chars;
        sending.spawn(async move { send_paced(writer, pace, &tally, &room, chars).await });
    }
    let mut lag = Duration::ZERO;
    let mut kept = Vec::new();
    loop {
        tokio::select! {
            done = sending.join_next() => match done {
                Some(done) => {
                    let (writer, sender_lag) = done?;
                    lag = lag.max(sender_lag);
                    kept.push(writer);
                }
                None => break,
            },
            _ = tokio::time::sleep(PROGRESS_TICK) => {
                bar.set_position(tally::Tally::get(&receivers.tally.delivered));
            }
        }
    }
    Ok((kept, lag))
}

/// Copies the delivery counts, latency and rate from `tally` into `report`; deliveries per
/// second run from the first send (`start_ns`) to the last delivery.
pub fn fill_deliveries(report: &mut StepReport, tally: &tally::Tally, start_ns: u64) {
    report.delivered = tally::Tally::get(&tally.delivered);
    report.duplicates = tally::Tally::get(&tally.duplicates);
    report.errors = tally.errors();
    report.error_samples = tally.error_samples();
    report.latency_ms = tally.latency.summary();
    let last_ns = tally::Tally::get(&tally.last_delivery_ns);
    let span = last_ns.saturating_sub(start_ns) as f64 / 1e9;
    report.delivered_per_s = (span > 0.0).then(|| report.delivered as f64 / span);
}

/// When one sender sends.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// The sender's index.
    pub sender: u32,
    /// Messages to send.
    pub count: u64,
    /// When the first is due.
    pub first: Instant,
    /// Time between two of its messages.
    pub period: Duration,
}

/// Sends `pace.count` stamped messages on schedule; returns the writer (the connection stays
/// open until the step ends) and how late the latest send was. Each stamp is the actual send
/// time, so a late sender shows up as lag, not as server latency.
pub async fn send_paced(
    mut writer: FrameWriter,
    pace: Pace,
    tally: &tally::Tally,
    room: &str,
    chars: usize,
) -> (FrameWriter, Duration) {
    let mut lag = Duration::ZERO;
    for seq in 0..pace.count {
        let due = pace.first + pace.period.mul_f64(seq as f64);
        tokio::time::sleep_until(due).await;
        lag = lag.max(Instant::now().saturating_duration_since(due));
        let stamp = Stamp {
            sender: pace.sender,
            seq,
            sent_ns: tally.epoch.nanos(),
        };
        if let Err(err) = writer.send(stamp.send_frame(room, chars)).await {
            tally.error(format!("sender {}: {err:#}", pace.sender));
            break;
        }
        tally
            .sent
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    (writer, lag)
}

/// The report of a step that could not run.
fn failed(kind: TargetKind, plan: &Plan, err: &anyhow::Error) -> StepReport {
    let mut report = StepReport::failed(Mode::Broadcast, kind, plan.clients, err);
    report.senders = Some(plan.senders);
    report.rate_per_s = Some(plan.rate);
    report.duration_s = plan.duration.as_secs_f64();
    report.within_p95_limit = Some(false);
    report
}

/// "largest N with p95 < limit" per kind.
fn ramp_summary(steps: &[StepReport], kinds: &[TargetKind], limit_ms: f64) -> String {
    let mut lines = Vec::new();
    for &kind in kinds {
        let best = steps
            .iter()
            .filter(|s| s.mode == Mode::Broadcast && s.target == Some(kind))
            .filter(|s| s.within_p95_limit == Some(true))
            .map(|s| s.clients)
            .max();
        lines.push(match best {
            Some(n) => format!(
                "{}: largest client count with p95 < {limit_ms} ms and no loss: {n}",
                kind.name()
            ),
            None => format!(
                "{}: no step had p95 < {limit_ms} ms and no loss",
                kind.name()
            ),
        });
    }
    lines.join("\n")
}
