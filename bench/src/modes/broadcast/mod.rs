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
//! With `--changes-percent` (issue 15) every client count runs once per share, side by side;
//! the senders then sign in (one account each, untimed) and turn that share of their posts
//! into edits and deletions of their own recent messages over HTTP (see [`changes`]), so the
//! receivers' frames hold that share of change records, each timed and counted like a message.

mod sender;

pub use sender::{Changer, Outlet, Pace, send_paced};

use crate::{
    changes::{ChangeClient, ChangeMix, DeleteClock, OwnIds},
    cli::{BroadcastArgs, TargetKind},
    client::{FrameWriter, JoinSpec},
    modes::{Bench, check_fd_limit, crowd, tally},
    payload::{Epoch, Stamp},
    plot, procinfo, progress,
    report::{Mode, StepReport},
    server::Target,
    signin::{Credential, Presentation},
};
use anyhow::{Result, bail};
use indicatif::ProgressBar;
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};
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
    /// Signed-in senders that make this share of edits and deletions; `None`: guests that
    /// only post messages.
    pub changes: Option<ChangeMix>,
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
    let shares = shares(args, bench.launcher.kinds())?;
    let mut alive: Vec<TargetKind> = bench.launcher.kinds().to_vec();
    for (index, &clients) in counts.iter().enumerate() {
        for (turn, &changes) in shares.iter().enumerate() {
            for kind in alive.clone() {
                let plan = Plan {
                    clients,
                    senders: args.senders,
                    rate: args.rate,
                    duration: args.duration,
                    message_chars: usize::from(args.message_chars),
                    drain: args.drain,
                    connect_concurrency: args.connect_concurrency,
                    room: format!("bench-{}-{index}-{turn}", std::process::id()),
                    max_p95_ms: args.max_p95_ms,
                    changes,
                };
                let ok = run_step(&mut bench, kind, &plan).await;
                if !ok && !args.keep_going {
                    alive.retain(|k| *k != kind);
                }
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

/// The steps of one client count: one plain step, or `--rounds` rounds of every
/// `--changes-percent` share in turn (Chinwag only: the baselines have no HTTP API).
fn shares(args: &BroadcastArgs, kinds: &[TargetKind]) -> Result<Vec<Option<ChangeMix>>> {
    if args.changes_percent.is_empty() {
        return Ok(vec![None]);
    }
    if kinds.iter().any(|k| *k != TargetKind::Chinwag) {
        bail!("--changes-percent needs --target-kind chinwag: the baselines cannot edit");
    }
    let mut shares = Vec::new();
    for _ in 0..args.rounds {
        for &percent in &args.changes_percent {
            shares.push(Some(ChangeMix::new(percent)?));
        }
    }
    Ok(shares)
}

/// Runs one step against `kind` and records it; whether it passed within the p95 limit. A
/// step that could not run at all is recorded as failed, with the reason.
pub async fn run_step(bench: &mut Bench, kind: TargetKind, plan: &Plan) -> bool {
    let changes = plan
        .changes
        .map(|mix| format!(", {}% edits and deletions", mix.percent()))
        .unwrap_or_default();
    progress::note(&format!(
        "broadcast: {} with {} clients, {} senders, {} msg/s for {:?}{changes}",
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
    let sessions = match plan.changes {
        Some(_) => sender::sign_in_senders(target, plan).await?,
        None => Vec::new(),
    };
    let overflows = procinfo::OverflowWindow::start();
    let room = join_room(target, plan, &sessions).await?;
    let overflows = overflows.finish();
    let deletes = Arc::new(DeleteClock::default());
    let mut receivers = tally::Receivers::new(Epoch::now()).with_deletes(Arc::clone(&deletes));
    let mut writers = Vec::with_capacity(plan.clients);
    let mut own_ids = Vec::with_capacity(plan.senders);
    for (i, joined) in room.clients.into_iter().enumerate() {
        if i < plan.senders {
            let own = Arc::new(Mutex::new(OwnIds::default()));
            own_ids.push(Arc::clone(&own));
            let me = u32::try_from(i)?;
            receivers.spawn(joined.reader, plan.senders, move |stamp, frame| {
                sender::remember_own(&own, me, stamp, frame);
            });
        } else {
            receivers.spawn(joined.reader, plan.senders, |_, _| {});
        }
        writers.push(joined.writer);
    }
    let quiet_writers = writers.split_off(plan.senders);
    let mut changers = Vec::with_capacity(sessions.len());
    for (session, own) in sessions.iter().zip(own_ids) {
        let (Some(mix), addr) = (plan.changes, target.addrs[0]) else {
            break;
        };
        changers.push(Changer {
            client: ChangeClient::connect(addr, session, &plan.room).await?,
            own,
            mix,
            deletes: Arc::clone(&deletes),
        });
    }

    let per_sender = ((plan.rate * plan.duration.as_secs_f64()) / plan.senders as f64)
        .round()
        .max(1.0) as u64;
    let bar = progress::bar(
        per_sender * (plan.senders * plan.clients) as u64,
        &format!("{} deliveries", target.kind.name()),
    );
    let cpu = procinfo::PhaseCpu::start(&target.pids, &target.backing)?;
    let start_ns = receivers.tally.epoch.nanos() + u64::try_from(SETTLE.as_nanos())?;
    let (writers, lag) = send_all(writers, changers, per_sender, plan, &receivers, &bar).await?;
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
    report.changes_percent = plan.changes.map(ChangeMix::percent);
    report.changes_sent = plan.changes.map(|_| tally::Tally::get(&tally.changes));
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

/// Connects the senders (named, or signed in with `sessions`, so Chinwag lists them in
/// presence), then the receivers (nameless, so their joins broadcast nothing); client i goes
/// to node i mod nodes.
async fn join_room(target: &Target, plan: &Plan, sessions: &[Arc<str>]) -> Result<Room> {
    let join = |i: usize, username: Option<String>, session: Option<&Arc<str>>| {
        let spec = JoinSpec {
            room: plan.room.clone(),
            username,
            credential: session.map(|secret| Credential {
                secret: Arc::clone(secret),
                via: Presentation::Bearer,
            }),
            ..JoinSpec::default()
        };
        (target.connector(i), spec)
    };
    let sender_specs = (0..plan.senders)
        .map(|i| match sessions.get(i) {
            Some(session) => join(i, None, Some(session)),
            None => join(i, Some(format!("s{i}")), None),
        })
        .collect();
    let receiver_specs = (plan.senders..plan.clients)
        .map(|i| join(i, None, None))
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
/// (closed only when the step ends) and the worst send lag. Sender i makes its changes
/// through `changers[i]`, if there is one.
async fn send_all(
    writers: Vec<FrameWriter>,
    changers: Vec<Changer>,
    per_sender: u64,
    plan: &Plan,
    receivers: &tally::Receivers,
    bar: &ProgressBar,
) -> Result<(Vec<FrameWriter>, Duration)> {
    let start = Instant::now() + SETTLE;
    let period = Duration::from_secs_f64(plan.senders as f64 / plan.rate);
    let mut sending = JoinSet::new();
    let mut changers = changers.into_iter();
    for (i, writer) in writers.into_iter().enumerate() {
        let changer = changers.next();
        let pace = Pace {
            sender: u32::try_from(i)?,
            count: per_sender,
            first: start + Duration::from_secs_f64(i as f64 / plan.rate),
            period,
        };
        let tally = Arc::clone(&receivers.tally);
        let room = plan.room.clone();
        let chars = plan.message_chars;
        sending.spawn(async move {
            let out = Outlet {
                room: &room,
                chars,
                tally: &tally,
            };
            send_paced(writer, changer, pace, out).await
        });
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
    report.message_latency_ms = tally.message_latency.summary();
    report.change_latency_ms = tally.change_latency.summary();
    report.delete_latency_ms = tally.delete_latency.summary();
    let last_ns = tally::Tally::get(&tally.last_delivery_ns);
    let span = last_ns.saturating_sub(start_ns) as f64 / 1e9;
    report.delivered_per_s = (span > 0.0).then(|| report.delivered as f64 / span);
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
