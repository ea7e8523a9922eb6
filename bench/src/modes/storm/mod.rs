//! `storm`: N clients drop at once and come back; how long until all are back, and whether
//! anything was lost or repeated.
//!
//! Two reconnects ([`Resume`], `--resume`). **On** (Chinwag's default, the storm as it always
//! ran) resumes with `after=`, described below. **Off** is a plain reconnect, the only one a
//! target without history can do, so it is what runs against the baselines and what makes
//! them comparable with Chinwag: every connection is live-only (no `after=`), and a client is
//! back once the target greets it (`joined`) and a message posted after the storm began
//! reaches it (at the live rate that adds up to one posting interval); it must then receive
//! every message from its first on each connection to the last, each once. The same
//! poster, phases and clocks serve both; a baseline numbers the poster's messages by their
//! stamps instead of ids ([`client::message_number`]).
//!
//! Resuming: one [`poster`] stores
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
//!
//! With `--auth session` every client presents a session of its own on both connections
//! (made by [`signin`] before the first storm, untimed), so the reconnect includes the
//! server's session check; a presence read after the first joins confirms the clients are
//! signed in. `--auth none,session --rounds R` alternates guest and signed-in storms on one
//! server, each in a fresh room, so the two are measured side by side.
//!
//! With `--changes-percent 0,10` (issue 15) each round also runs one storm per share: the
//! poster signs in (its own account, untimed) and turns that share of its posts, history,
//! live and missed alike, into edits and deletions of its own messages, so the log the clients
//! resume holds that share of change records. The step reports the bytes replayed on the
//! reconnects next to the catch-up time.

mod client;
mod poster;
mod who;

use crate::{
    changes::{ChangeClient, ChangeMix},
    cli::{Resume, StormArgs, TargetKind},
    modes::{self, Bench, check_fd_limit, tally::Errors},
    payload::Epoch,
    procinfo, progress,
    report::{Mode, StepReport},
    server::Target,
    signin::{self, AuthKind, Credential, Presentation},
    stats::Histogram,
};
use anyhow::{Context, Result, bail};
use client::{Crowd, Joining, Phase, Seen};
use poster::{Poster, PosterChanges};
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
use who::{Who, check_presence, sign_in};

/// Live traffic after the last client caught up, before posting stops.
const TAIL: Duration = Duration::from_secs(1);
/// How long clients get to receive the final messages.
const FINAL_DRAIN: Duration = Duration::from_secs(15);
/// Longest setup (all N clients joined the first time).
const SETUP_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the clients may take to reset their connections.
const DROP_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the storm against each target kind in turn, and against Chinwag once per `--resume`
/// variant (a baseline only reconnects): each on a fresh server, which serves that variant's
/// `--rounds` rounds of each `--auth` kind.
pub async fn run(args: &StormArgs, mut bench: Bench) -> Result<bool> {
    let plan: Vec<(TargetKind, Resume)> = bench
        .launcher
        .kinds()
        .iter()
        .flat_map(|&kind| {
            variants(kind, &args.resume)
                .into_iter()
                .map(move |r| (kind, r))
        })
        .collect();
    if plan.iter().any(|&(_, resume)| resume == Resume::Off) {
        check_plain(args)?;
    }
    check_fd_limit(args.clients + 1)?;
    let kinds: Vec<&str> = args.auth.auth.iter().map(|kind| kind.name()).collect();
    progress::note(&format!(
        "storm: {} clients, {} missed messages, {} msg/s live, {} round(s) of {}",
        args.clients,
        args.missed,
        args.rate,
        args.rounds,
        kinds.join(", ")
    ));
    for (kind, resume) in plan {
        progress::note(&format!(
            "storm: {} with resume {}",
            kind.name(),
            resume.name()
        ));
        let mut reports = Vec::new();
        let outcome = modes::on_target(&bench.launcher, kind, async |target| {
            rounds(target, args, resume, &mut reports).await
        })
        .await;
        for report in reports {
            bench.record(report);
        }
        if let Err(err) = outcome {
            let mut report = StepReport::failed(Mode::Storm, kind, args.clients, &err);
            report.resume = Some(resume);
            bench.record(report);
        }
    }
    bench.finish()
}

/// The reconnects `kind` runs of those asked: Chinwag each, a baseline (no history) only `Off`.
fn variants(kind: TargetKind, asked: &[Resume]) -> Vec<Resume> {
    match kind {
        TargetKind::Chinwag => asked.to_vec(),
        TargetKind::BareRelay | TargetKind::RawTcp | TargetKind::ActixRelay => vec![Resume::Off],
    }
}

/// A plain reconnect is the baselines' work: guests, plain messages. Signed-in clients and
/// changes exist on Chinwag alone, so they cannot be compared and are refused.
fn check_plain(args: &StormArgs) -> Result<()> {
    if args.auth.auth.iter().any(|&kind| kind != AuthKind::None) || !args.changes_percent.is_empty()
    {
        bail!(
            "a storm without resume (--resume off, or any baseline target) runs guests posting \
             plain messages: leave out --auth session and --changes-percent"
        );
    }
    Ok(())
}

/// Every round of every `--auth` kind against one running server, each storm in a room of
/// its own, its clients coming back as `resume` says. Sessions, if any kind needs them, are
/// made once before the first storm. A storm that cannot run ends the rounds, with its failure
/// reported.
pub async fn rounds(
    target: &Target,
    args: &StormArgs,
    resume: Resume,
    reports: &mut Vec<StepReport>,
) -> Result<()> {
    if resume == Resume::Off {
        check_plain(args)?;
    } else if target.kind != TargetKind::Chinwag {
        bail!("{} keeps no history to resume from", target.kind.name());
    }
    let signed = if args.auth.auth.contains(&AuthKind::Session) {
        Some(sign_in(target, args).await?)
    } else {
        None
    };
    let shares: Vec<Option<ChangeMix>> = if args.changes_percent.is_empty() {
        vec![None]
    } else {
        let mixes = args.changes_percent.iter().map(|&p| ChangeMix::new(p));
        mixes.map(|mix| mix.map(Some)).collect::<Result<_>>()?
    };
    let poster_session = if args.changes_percent.is_empty() {
        None
    } else {
        let prefix = format!("storm{}p", std::process::id());
        let made = signin::sign_in_all(target.addrs[0], &prefix, 1, 1)
            .await
            .context("signing in the poster")?;
        made.sessions.into_iter().next()
    };
    for round in 1..=args.rounds {
        for &kind in &args.auth.auth {
            for &changes in &shares {
                let who = match (&signed, kind) {
                    (Some(signed), AuthKind::Session) => Who::Signed(signed),
                    _ => Who::Guests,
                };
                let poster = Posting {
                    session: poster_session.as_ref(),
                    changes,
                };
                let mut report = match step(target, args, &who, round, poster, resume).await {
                    Ok(report) => report,
                    Err(err) => {
                        let mut report =
                            StepReport::failed(Mode::Storm, target.kind, args.clients, &err);
                        report.resume = Some(resume);
                        report.auth = Some(kind);
                        report.round = Some(round);
                        report.changes_percent = changes.map(ChangeMix::percent);
                        reports.push(report);
                        return Ok(());
                    }
                };
                report.pinned = target.pinned;
                report.nodes = (target.nodes() > 1).then(|| target.nodes());
                reports.push(report);
            }
        }
    }
    Ok(())
}

/// How the poster of one storm posts: as a guest, or signed in with `session` making
/// `changes`.
#[derive(Clone, Copy)]
struct Posting<'a> {
    session: Option<&'a Arc<str>>,
    changes: Option<ChangeMix>,
}

impl Posting<'_> {
    /// The poster's changes, connected, for the storm in `room` on `target`.
    async fn connect(&self, target: &Target, room: &str) -> Result<Option<PosterChanges>> {
        let (Some(session), Some(mix)) = (self.session, self.changes) else {
            return Ok(None);
        };
        Ok(Some(PosterChanges {
            credential: Credential {
                secret: Arc::clone(session),
                via: Presentation::Bearer,
            },
            client: ChangeClient::connect(target.addrs[0], session, room).await?,
            mix,
        }))
    }
}

/// One storm against a running target, its clients being `who` and coming back as `resume`
/// says, its poster `posting`.
async fn step(
    target: &Target,
    args: &StormArgs,
    who: &Who<'_>,
    round: u32,
    posting: Posting<'_>,
    resume: Resume,
) -> Result<StepReport> {
    let mut share = posting
        .changes
        .map(|mix| format!("-c{}", mix.percent()))
        .unwrap_or_default();
    if resume == Resume::Off {
        share.push_str("-live");
    }
    let crowd = Arc::new(Crowd {
        epoch: Epoch::now(),
        room: format!(
            "storm-{}-{round}-{}{share}",
            std::process::id(),
            who.kind().name()
        ),
        joined: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
        retries: Errors::default(),
        errors: Errors::default(),
    });
    let changes = posting.connect(target, &crowd.room).await?;
    let poster = Poster::start(&crowd, target.connector(0), args.rate, changes).await?;
    poster.burst(args.history).await?;
    let setup = Instant::now();
    let clients = join_all(&crowd, target, args, who, resume).await?;
    let connect = setup.elapsed();
    let all_joined = Instant::now();
    // Only Chinwag has presence to read.
    if target.kind == TargetKind::Chinwag {
        check_presence(target, &crowd, who).await?;
    }

    poster.set_live(true);
    tokio::time::sleep(args.warmup).await;
    let cpu = procinfo::PhaseCpu::start(&target.pids, &target.backing)?;
    let overflows = procinfo::OverflowWindow::start();
    let storm = drop_and_resume(&crowd, &clients, &poster, args, resume).await?;
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
    let changes_made = poster.changes_made();
    poster.stop();

    let mut report = StepReport::new(Mode::Storm, target.kind, false, args.clients);
    report.resume = Some(resume);
    report.rate_per_s = Some(args.rate);
    report.duration_s = args.warmup.as_secs_f64();
    report.missed = Some(args.missed);
    report.listen_overflows = overflows;
    report.reconnect_retries = Some(crowd.retries.count());
    report.connect_s = Some(connect.as_secs_f64());
    report.auth = Some(who.kind());
    report.round = Some(round);
    report.joined_to_reconnect_s = Some(storm.signalled.duration_since(all_joined).as_secs_f64());
    if let Who::Signed(signed) = who {
        report.sign_up_ms = signed.sign_up_ms;
        report.sign_in_ms_each = signed.sign_in_ms_each;
    }
    report.retry_samples = crowd.retries.samples();
    report.changes_percent = posting.changes.map(ChangeMix::percent);
    report.changes_sent = posting.changes.map(|_| changes_made);
    if resume == Resume::On {
        let sum = |field: fn(&Seen) -> &AtomicU64| {
            clients.seen.iter().map(|s| field(s).load(Relaxed)).sum()
        };
        report.resume_bytes = Some(sum(|s| &s.resume_bytes));
        report.resume_records = Some(sum(|s| &s.resume_records));
    }
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

/// Starts every client and waits until all have joined (with `after=0` when resuming).
async fn join_all(
    crowd: &Arc<Crowd>,
    target: &Target,
    args: &StormArgs,
    who: &Who<'_>,
    resume: Resume,
) -> Result<Clients> {
    let (phase, phases) = watch::channel(Phase::Live);
    let setup = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut seen = Vec::with_capacity(args.clients);
    for i in 0..args.clients {
        let state = Arc::new(Seen::default());
        seen.push(Arc::clone(&state));
        let (crowd, phases, setup) = (Arc::clone(crowd), phases.clone(), Arc::clone(&setup));
        // The poster is connection 0.
        let joining = Joining {
            connector: target.connector(i + 1),
            credential: who.credential(i),
            resume,
        };
        tasks.spawn(async move { client::client(&crowd, joining, &state, phases, &setup).await });
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
    /// When the reconnect was signalled.
    signalled: Instant,
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
/// every client is back (or the timeout passes). Resuming, a client is back once it holds the
/// poster's last id at the signal; reconnecting live-only, once it holds a later one (posted
/// after the storm began, since every earlier one was confirmed by then).
async fn drop_and_resume(
    crowd: &Crowd,
    clients: &Clients,
    poster: &Poster,
    args: &StormArgs,
    resume: Resume,
) -> Result<Storm> {
    let all = clients.seen.len() as u64;
    let dropped_at = Instant::now();
    clients.phase.send_replace(Phase::Drop);
    wait_for(DROP_TIMEOUT, || crowd.dropped.load(Relaxed) >= all)
        .await
        .context("clients did not all drop")?;
    poster.burst(args.missed).await?;
    let target_id = match resume {
        Resume::On => poster.confirmed(),
        Resume::Off => poster.confirmed() + 1,
    };
    let outage = dropped_at.elapsed();
    let reconnect_ns = crowd.epoch.nanos();
    let signalled = Instant::now();
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
        signalled,
        all_caught_up: caught_up.is_ok(),
    })
}

/// Deliveries due (every id to every client, less those a live-only connection was never
/// due), what is missing, repeats and errors.
fn fill_counts(report: &mut StepReport, seen: &[Arc<Seen>], final_id: u64, errors: &Errors) {
    report.sent = final_id;
    let skipped: u64 = seen.iter().map(|s| s.skipped.load(Relaxed)).sum();
    report.expected = (final_id * seen.len() as u64).saturating_sub(skipped);
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
