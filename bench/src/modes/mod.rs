//! The modes, and what they share: dispatch, the per-step target lifecycle, and output.
//!
//! Each load mode turns its arguments into steps; [`Bench`] starts a fresh target for every
//! step (so memory and CPU belong to that step alone), checks afterwards that the server did
//! not die, and prints the reports. The two labs ([`transport_lab`], [`longpoll_waiters`])
//! measure one run each with figures of their own, on the same target lifecycle
//! ([`on_target`]). `run` returns whether every step passed.

pub mod broadcast;
pub mod crowd;
pub mod idle;
pub mod longpoll_waiters;
pub mod presence_storm;
pub mod smoke;
pub mod storm;
pub mod tally;
pub mod throughput;
pub mod transport_lab;

use crate::{
    cli::{Command, TargetArgs, TargetKind},
    pinning::Pinning,
    progress,
    report::{self, StepReport},
    server::{Launcher, Target},
};
use anyhow::{Result, bail};
use std::io::Write;

/// Runs a measuring command; `Ok(false)` when a step failed.
pub async fn run(command: Command, pinning: Pinning, json: bool) -> Result<bool> {
    progress::note(&format!("chinwag-bench: {}", pinning.describe()));
    match command {
        Command::Broadcast(args) => {
            broadcast::run(&args, bench(&args.target, pinning, json, ALL)?).await
        }
        Command::Throughput(args) => {
            throughput::run(&args, bench(&args.target, pinning, json, ALL)?).await
        }
        Command::Idle(args) => idle::run(&args, bench(&args.target, pinning, json, ALL)?).await,
        Command::Storm(args) => {
            storm::run(
                &args,
                bench(&args.target, pinning, json, &[TargetKind::Chinwag])?,
            )
            .await
        }
        Command::Smoke(args) => smoke::run(&args, pinning, json).await,
        Command::TransportLab(args) => {
            let launcher = Launcher::new(&args.target, pinning, &[TargetKind::Chinwag])?;
            transport_lab::run(&args, launcher, json).await
        }
        Command::LongpollWaiters(args) => {
            let mut target = args.target.clone();
            (target.server_args).extend(longpoll_waiters::SERVER_FLAGS.map(str::to_owned));
            let launcher = Launcher::new(&target, pinning, &[TargetKind::Chinwag])?;
            longpoll_waiters::run(&args, launcher, json).await
        }
        Command::PresenceStorm(args) => {
            let launcher = Launcher::new(&args.target, pinning, &[TargetKind::Chinwag])?;
            presence_storm::run(&args, launcher).await
        }
        Command::ServeBaseline(_) | Command::Plot(_) => bail!("not a measuring mode"),
    }
}

const ALL: &[TargetKind] = &[
    TargetKind::Chinwag,
    TargetKind::BareRelay,
    TargetKind::RawTcp,
];

fn bench(args: &TargetArgs, pinning: Pinning, json: bool, kinds: &[TargetKind]) -> Result<Bench> {
    Ok(Bench {
        launcher: Launcher::new(args, pinning, kinds)?,
        json,
        steps: Vec::new(),
    })
}

/// One measuring run: how to get targets, and the steps done so far.
pub struct Bench {
    /// Starts targets.
    pub launcher: Launcher,
    /// JSON lines instead of tables.
    pub json: bool,
    /// Every step reported so far.
    pub steps: Vec<StepReport>,
}

impl Bench {
    /// Starts a target of `kind`, runs `step` against it, then stops it (see [`on_target`]);
    /// the report says whether it ran pinned and on how many nodes.
    pub async fn with_target(
        &mut self,
        kind: TargetKind,
        step: impl AsyncFnOnce(&Target) -> Result<StepReport>,
    ) -> Result<StepReport> {
        on_target(&self.launcher, kind, async |target| {
            let mut report = step(target).await?;
            report.pinned = target.pinned;
            report.nodes = (target.nodes() > 1).then(|| target.nodes());
            Ok(report)
        })
        .await
    }

    /// Records a finished step and prints a one-line summary to stderr.
    pub fn record(&mut self, step: StepReport) {
        let latency = step
            .latency_ms
            .map(|l| format!(", p95 {:.2} ms", l.p95))
            .unwrap_or_default();
        progress::note(&format!(
            "  {} {} clients: {}{latency}, lost {}, errors {}",
            step.target_label(),
            step.clients,
            if step.passed { "passed" } else { "FAILED" },
            step.lost,
            step.errors
        ));
        for sample in &step.error_samples {
            progress::note(&format!("    error: {sample}"));
        }
        self.steps.push(step);
    }

    /// Prints every step (ratios attached) and says whether all passed.
    pub fn finish(mut self) -> Result<bool> {
        report::attach_ratios(&mut self.steps);
        let text = if self.json {
            report::json_lines(&self.steps)
        } else {
            report::tables(&self.steps)
        };
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()?;
        Ok(self.steps.iter().all(|s| s.passed))
    }
}

/// Starts a target of `kind`, runs `step` against it, then stops it. A server that died or
/// would not stop cleanly is an error even if the step itself went well.
pub async fn on_target<T>(
    launcher: &Launcher,
    kind: TargetKind,
    step: impl AsyncFnOnce(&Target) -> Result<T>,
) -> Result<T> {
    let mut target = launcher.start(kind).await?;
    let outcome = step(&target).await;
    let alive = target.check_alive();
    let stopped = target.stop().await;
    match (outcome, alive.and(stopped)) {
        (Ok(done), Ok(())) => Ok(done),
        (Ok(_), Err(server)) => Err(server.context(format!("{} failed", kind.name()))),
        (Err(step), Ok(())) => Err(step),
        (Err(step), Err(server)) => Err(step.context(format!("{server:#}"))),
    }
}

/// Fails early when `connections` sockets would not fit the open-file limit.
pub fn check_fd_limit(connections: usize) -> Result<()> {
    let soft = chinwag_testkit::procfs::open_files_limit().map(|(soft, _hard)| soft);
    match soft {
        Ok(soft) if connections as u64 + 64 > soft => bail!(
            "{connections} connections need more than the open-file limit of {soft}: \
             run `ulimit -n 65536` (or as high as the hard limit allows) first"
        ),
        _ => Ok(()),
    }
}
