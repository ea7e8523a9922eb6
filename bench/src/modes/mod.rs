//! The modes, and what they share: dispatch, the per-step target lifecycle, and output.
//!
//! Each mode module turns its arguments into steps; [`Bench`] starts a fresh target for every
//! step (so memory and CPU belong to that step alone), checks afterwards that the server did
//! not die, and prints the reports. `run` returns whether every step passed.

pub mod broadcast;
pub mod crowd;
pub mod idle;
pub mod smoke;
pub mod storm;
pub mod tally;
pub mod throughput;

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
    /// Starts a target of `kind`, runs `step` against it, then stops it. A server that died
    /// or would not stop cleanly is an error even if the step itself went well.
    pub async fn with_target(
        &mut self,
        kind: TargetKind,
        step: impl AsyncFnOnce(&Target) -> Result<StepReport>,
    ) -> Result<StepReport> {
        let launcher = self.launcher.clone();
        let mut target = tokio::task::spawn_blocking(move || launcher.start(kind)).await??;
        let outcome = step(&target).await;
        let alive = target.check_alive();
        let pinned = target.pinned;
        let nodes = (target.nodes() > 1).then(|| target.nodes());
        let stopped = tokio::task::spawn_blocking(move || target.stop()).await?;
        match (outcome, alive.and(stopped)) {
            (Ok(mut report), Ok(())) => {
                report.pinned = pinned;
                report.nodes = nodes;
                Ok(report)
            }
            (Ok(_), Err(server)) => Err(server.context(format!("{} failed", kind.name()))),
            (Err(step), Ok(())) => Err(step),
            (Err(step), Err(server)) => Err(step.context(format!("{server:#}"))),
        }
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

/// Fails early when `connections` sockets would not fit the open-file limit.
pub fn check_fd_limit(connections: usize) -> Result<()> {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse::<usize>().ok());
    match soft {
        Some(soft) if connections + 64 > soft => bail!(
            "{connections} connections need more than the open-file limit of {soft}: \
             run `ulimit -n 65536` (or as high as the hard limit allows) first"
        ),
        _ => Ok(()),
    }
}
