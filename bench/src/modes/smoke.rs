//! `smoke`: a few seconds of every mode at toy sizes, so the load generator cannot rot.
//!
//! Run by the test suite (`bench/tests/smoke.rs`) against the debug server. The storm runs
//! twice against Chinwag, resuming as guests and then signed in, so the sign-in path is
//! exercised too, and once against the actix relay as a plain reconnect. It checks
//! correctness, not speed: any lost, repeated or refused message, any failed connection, and
//! any server that dies or will not stop fails it. Latency is reported but not judged (debug
//! builds on a shared machine are slow for reasons that are not bugs).

use crate::{
    cli::{
        AuthArgs, IdleArgs, Resume, SmokeArgs, StormArgs, TargetArgs, TargetKind, ThroughputArgs,
    },
    modes::{Bench, broadcast, idle, on_target, storm, throughput},
    pinning::Pinning,
    report::{Mode, StepReport},
    server::Launcher,
    signin::{AuthKind, Presentation},
};
use anyhow::Result;
use std::time::Duration;

const ALL: [TargetKind; 4] = [
    TargetKind::Chinwag,
    TargetKind::BareRelay,
    TargetKind::RawTcp,
    TargetKind::ActixRelay,
];

/// Runs the smoke steps; whether all passed.
pub async fn run(args: &SmokeArgs, pinning: Pinning, json: bool) -> Result<bool> {
    let target = TargetArgs {
        server: args.server.clone(),
        target: Vec::new(),
        pid: Vec::new(),
        backing_pid: Vec::new(),
        target_kind: Vec::new(),
        server_args: Vec::new(),
        server_log: "warn".into(),
    };
    let mut bench = Bench {
        launcher: Launcher::new(&target, pinning, &ALL)?,
        json,
        steps: Vec::new(),
    };
    for (kind, clients, rate, secs) in [
        (TargetKind::Chinwag, 50, 200.0, 2.0),
        (TargetKind::BareRelay, 20, 100.0, 0.5),
        (TargetKind::RawTcp, 20, 100.0, 0.5),
        (TargetKind::ActixRelay, 20, 100.0, 0.5),
    ] {
        let plan = broadcast::Plan {
            clients,
            senders: 5,
            rate,
            duration: Duration::from_secs_f64(secs),
            message_chars: 140,
            drain: Duration::from_secs(10),
            connect_concurrency: 50,
            room: format!("smoke-{}", kind.name()),
            max_p95_ms: 250.0,
            changes: None,
        };
        broadcast::run_step(&mut bench, kind, &plan).await;
    }

    let throughput = ThroughputArgs {
        target: target.clone(),
        senders: 4,
        window: 8,
        receivers: 4,
        duration: Duration::from_millis(500),
        message_chars: 140,
        drain: Duration::from_secs(10),
    };
    let report = bench
        .with_target(TargetKind::Chinwag, async |t| {
            throughput::step(t, &throughput).await
        })
        .await
        .unwrap_or_else(|err| StepReport::failed(Mode::Throughput, TargetKind::Chinwag, 8, &err));
    bench.record(report);

    let storm = StormArgs {
        target: target.clone(),
        resume: vec![Resume::On],
        clients: 50,
        history: 5,
        rate: 20.0,
        missed: 5,
        warmup: Duration::from_millis(500),
        timeout: Duration::from_secs(10),
        connect_concurrency: 50,
        // Guests, then the same storm signed in, presenting cookies: the presentation a server
        // could ignore without an error, so the storm's presence check must catch it.
        auth: AuthArgs {
            auth: vec![AuthKind::None, AuthKind::Session],
            auth_accounts: 2,
            auth_sessions: None,
            present: Presentation::Cookie,
        },
        rounds: 1,
        changes_percent: Vec::new(),
    };
    // The same storm against the relay, which has no history: every client must come back.
    let relay_storm = StormArgs {
        resume: vec![Resume::Off],
        clients: 20,
        auth: AuthArgs::default(),
        ..storm.clone()
    };
    for (kind, args, resume) in [
        (TargetKind::Chinwag, &storm, Resume::On),
        (TargetKind::ActixRelay, &relay_storm, Resume::Off),
    ] {
        let mut storms = Vec::new();
        let outcome = on_target(&bench.launcher, kind, async |t| {
            storm::rounds(t, args, resume, &mut storms).await
        })
        .await;
        for report in storms {
            bench.record(report);
        }
        if let Err(err) = outcome {
            let mut report = StepReport::failed(Mode::Storm, kind, args.clients, &err);
            report.resume = Some(resume);
            bench.record(report);
        }
    }

    let idle = IdleArgs {
        target,
        clients: 100,
        hold: Duration::from_millis(500),
        connect_concurrency: 50,
    };
    let report = bench
        .with_target(TargetKind::Chinwag, async |t| idle::step(t, &idle).await)
        .await
        .unwrap_or_else(|err| StepReport::failed(Mode::Idle, TargetKind::Chinwag, 100, &err));
    bench.record(report);

    bench.finish()
}
