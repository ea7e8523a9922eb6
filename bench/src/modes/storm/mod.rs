//! `storm`: N clients drop at once and resume with `after=`; how long until all are caught
//! up, and whether anything was lost or repeated.
//!
//! Chinwag only: the baselines keep no history to resume from. One [`poster`] stores
//! `history` messages, then N [`client`]s join with `after=0` (each gets the history replayed,
//! then `joined`). The poster posts live at `rate` for the warm-up. Then every client resets
//! its TCP connection at the same moment (`SO_LINGER` 0, like a crashed network), the poster
//! stores `missed` more messages while they are away, and on the reconnect signal every client
//! reconnects at once with `after=<highest id it holds>`. A client is caught up once its new
//! connection is `joined` and it holds every id up to the poster's last id at the reconnect
//! signal; the step reports the time from that signal until the last client is caught up, and
//! each client's time as a distribution. Live posting goes on throughout, then stops, and every
//! client must end up with exactly the ids 1..=last, each once. Against several nodes the
//! poster is connection 0 and client i is connection i + 1, dealt to the nodes in turn; a
//! client reconnects to the node it left.

mod client;
mod poster;

use crate::{
    cli::{StormArgs, TargetKind},
    modes::{Bench, check_fd_limit, tally::Errors},
    payload::Epoch,
    procinfo, progress,
    report::{Mode, StepReport},
    server::Target,
    stats::Histogram,
};
use anyhow::{Context, Result, bail};
use client::{Crowd, Phase, Seen};
use poster::Poster;
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering::Relaxed},
};
use std::time::Duration;
use tokio::{
    sync::{Semaphore, watch},
    task::JoinSet,
    time::Instant,
};

/// Live traffic after the last client caught up, before posting stops.
const TAIL: Duration = Duration::from_secs(1);
/// How long clients get to receive the final messages.
const FINAL_DRAIN: Duration = Duration::from_secs(15);
/// Longest setup (all N clients joined the first time).
const SETUP_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the clients may take to reset their connections.
const DROP_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the storm against Chinwag.
pub async fn run(args: &StormArgs, mut bench: Bench) -> Result<bool> {
    if bench
        .launcher
        .kinds()
        .iter()
        .any(|k| *k != TargetKind::Chinwag)
    {
        bail!("storm needs history to resume from: only --target-kind chinwag");
    }
    check_fd_limit(args.clients + 1)?;
    progress::note(&format!(
        "storm: {} clients, {} missed messages, {} msg/s live",
        args.clients, args.missed, args.rate
    ));
    let report = match bench
        .with_target(TargetKind::Chinwag, async |target| step(target, args).await)
        .await
    {
        Ok(report) => report,
        Err(err) => StepReport::failed(Mode::Storm, TargetKind::Chinwag, args.clients, &err),
    };
    bench.record(report);
    bench.finish()
}

/// One storm against a running Chinwag.
pub async fn step(target: &Target, args: &StormArgs) -> Result<StepReport> {
    let crowd = Arc::new(Crowd {
        epoch: Epoch::now(),
        room: format!("storm-{}", std::process::id()),
        joined: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
        retries: Errors::default(),
        errors: Errors::default(),
    });
    let poster = Poster::start(&crowd, target.connector(0), args.rate).await?;
    poster.burst(args.history).await?;
    let clients = join_all(&crowd, target, args).await?;

    poster.set_live(true);
    tokio::time::sleep(args.warmup).await;
    let cpu = procinfo::PhaseCpu::start(&target.pids, &target.backing)?;
    let overflows = procinfo::OverflowWindow::start();
    let storm = drop_and_resume(&crowd, &clients, &poster, args).await?;
    let overflows = overflows.finish();

    tokio::time::sleep(TAIL).await;
    poster.set_live(false);
    poster.burst(0).await?;
    let final_id = poster.confirmed();
    let _ = wait_for(FINAL_DRAIN, || {
        clients
            .seen
            .iter()
            .all(|s| s.last.load(Relaxed) >= final_id)
    })
    .await;
    let cpu = cpu.finish()?;
    clients.phase.send_replace(Phase::Stop);
    if tokio::time::timeout(Duration::from_secs(10), clients.tasks.join_all())
        .await
        .is_err()
    {
        crowd.errors.record("client tasks did not stop");
    }
    poster.stop();

    let mut report = StepReport::new(Mode::Storm, target.kind, false, args.clients);
    report.rate_per_s = Some(args.rate);
    report.duration_s = args.warmup.as_secs_f64();
    report.missed = Some(args.missed);
    report.listen_overflows = overflows;
    report.reconnect_retries = Some(crowd.retries.count());
    report.retry_samples = crowd.retries.samples();
    storm.fill(&mut report, &clients.seen, args.timeout);
    fill_counts(&mut report, &clients.seen, final_id, &crowd.errors);
    report.set_cpu(&cpu, report.delivered, report.sent);
    report.judge();
    Ok(report)
}

/// The running client tasks, what each has seen, and the phase they follow.
struct Clients {
    tasks: JoinSet<()>,
    seen: Vec<Arc<Seen>>,
    phase: watch::Sender<Phase>,
}

/// Starts every client and waits until all have joined with `after=0`.
async fn join_all(crowd: &Arc<Crowd>, target: &Target, args: &StormArgs) -> Result<Clients> {
    let (phase, phases) = watch::channel(Phase::Live);
    let setup = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut seen = Vec::with_capacity(args.clients);
    for i in 0..args.clients {
        let state = Arc::new(Seen::default());
        seen.push(Arc::clone(&state));
        let (crowd, phases, setup) = (Arc::clone(crowd), phases.clone(), Arc::clone(&setup));
        // The poster is connection 0.
        let connector = target.connector(i + 1);
        tasks.spawn(async move { client::client(&crowd, connector, &state, phases, &setup).await });
    }
    let bar = progress::bar(args.clients as u64, "storm: joining");
    let all = args.clients as u64;
    wait_for(SETUP_TIMEOUT, || {
        bar.set_position(crowd.joined.load(Relaxed));
        crowd.joined.load(Relaxed) >= all || crowd.errors.count() > 0
    })
    .await
    .context("clients did not all join")?;
    bar.finish_and_clear();
    if crowd.errors.count() > 0 {
        bail!("setup failed: {:?}", crowd.errors.samples());
    }
    Ok(Clients { tasks, seen, phase })
}

/// The timing of the storm itself.
struct Storm {
    outage: Duration,
    reconnect_ns: u64,
    all_caught_up: bool,
}

impl Storm {
    /// Outage, overall catch-up time and the per-client distribution into `report`.
    fn fill(&self, report: &mut StepReport, seen: &[Arc<Seen>], timeout: Duration) {
        let per_client = Histogram::default();
        for at in seen
            .iter()
            .map(|s| s.caught_up_ns.load(Relaxed))
            .filter(|&at| at != 0)
        {
            per_client.record(Duration::from_nanos(at.saturating_sub(self.reconnect_ns)));
        }
        report.outage_ms = Some(self.outage.as_secs_f64() * 1e3);
        report.latency_ms = per_client.summary();
        report.catch_up_ms = self.all_caught_up.then(|| {
            let last = seen
                .iter()
                .map(|s| s.caught_up_ns.load(Relaxed))
                .max()
                .unwrap_or(0);
            last.saturating_sub(self.reconnect_ns) as f64 / 1e6
        });
        if !self.all_caught_up {
            report.errors += 1;
            report
                .error_samples
                .push(format!("not every client caught up within {timeout:?}"));
        }
    }
}

/// Resets every connection, posts the missed messages, signals the reconnect and waits until
/// every client is caught up (or the timeout passes).
async fn drop_and_resume(
    crowd: &Crowd,
    clients: &Clients,
    poster: &Poster,
    args: &StormArgs,
) -> Result<Storm> {
    let all = clients.seen.len() as u64;
    let dropped_at = Instant::now();
    clients.phase.send_replace(Phase::Drop);
    wait_for(DROP_TIMEOUT, || crowd.dropped.load(Relaxed) >= all)
        .await
        .context("clients did not all drop")?;
    poster.burst(args.missed).await?;
    let target_id = poster.confirmed();
    let outage = dropped_at.elapsed();
    let reconnect_ns = crowd.epoch.nanos();
    clients.phase.send_replace(Phase::Reconnect(target_id));
    let bar = progress::bar(all, "storm: catching up");
    let caught_up = wait_for(args.timeout, || {
        let done = clients
            .seen
            .iter()
            .filter(|s| s.caught_up_ns.load(Relaxed) != 0)
            .count() as u64;
        bar.set_position(done);
        done >= all
    })
    .await;
    bar.finish_and_clear();
    Ok(Storm {
        outage,
        reconnect_ns,
        all_caught_up: caught_up.is_ok(),
    })
}

/// Deliveries due (every id to every client), what is missing, repeats and errors.
fn fill_counts(report: &mut StepReport, seen: &[Arc<Seen>], final_id: u64, errors: &Errors) {
    report.sent = final_id;
    report.expected = final_id * seen.len() as u64;
    let missing: u64 = seen
        .iter()
        .map(|s| s.gaps.load(Relaxed) + final_id.saturating_sub(s.last.load(Relaxed)))
        .sum();
    report.delivered = report.expected.saturating_sub(missing);
    report.duplicates = seen.iter().map(|s| s.duplicates.load(Relaxed)).sum();
    report.errors += errors.count();
    report.error_samples.extend(errors.samples());
}

/// Polls `done` every 5 ms until it holds; `Err` after `limit`.
async fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            bail!("gave up after {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}
