//! `idle`: N idle connections, and what they cost the server in resident memory.
//!
//! Each step starts a fresh target, reads its RSS, opens N connections that each join one
//! room and then only answer pings, holds them, and reads the RSS again: (after − before) / N
//! is the memory per idle connection, reported for the whole resident set and for its
//! anonymous part alone (heap and stacks: the pages of the program's code come and go with
//! the page cache, and a build whose start happens to touch more of them reads smaller per
//! connection for it). It then closes them all and reads the RSS once more, to
//! show whether the server gives the memory back (a session not released would stay). Against
//! several nodes the connections are dealt to them in turn and the RSS is their sum.

use crate::{
    cli::IdleArgs,
    client::JoinSpec,
    modes::{Bench, check_fd_limit, crowd, tally},
    payload::Epoch,
    procinfo, progress,
    report::{Mode, StepReport},
    server::Target,
};
use anyhow::Result;
use std::time::Duration;

/// How long after the connections close before the last memory reading.
const AFTER_CLOSE: Duration = Duration::from_secs(2);

/// Runs one idle step per target kind.
pub async fn run(args: &IdleArgs, mut bench: Bench) -> Result<bool> {
    check_fd_limit(args.clients)?;
    for kind in bench.launcher.kinds().to_vec() {
        progress::note(&format!(
            "idle: {} with {} connections, held {:?}",
            kind.name(),
            args.clients,
            args.hold
        ));
        let report = match bench
            .with_target(kind, async |target| step(target, args).await)
            .await
        {
            Ok(report) => report,
            Err(err) => StepReport::failed(Mode::Idle, kind, args.clients, &err),
        };
        bench.record(report);
    }
    bench.finish()
}

/// One idle step against a running target.
pub async fn step(target: &Target, args: &IdleArgs) -> Result<StepReport> {
    let room = format!("idle-{}", std::process::id());
    let before = procinfo::total_rss_kib(&target.pids)?;
    let anon_before = procinfo::total_rss_anon_kib(&target.pids)?;
    let specs = (0..args.clients)
        .map(|i| {
            let spec = JoinSpec {
                room: room.clone(),
                ..JoinSpec::default()
            };
            (target.connector(i), spec)
        })
        .collect();
    let overflows = procinfo::OverflowWindow::start();
    let setup_cpu = procinfo::CpuWindow::start(&target.pids)?;
    let (clients, connect_took) =
        crowd::connect_all(specs, args.connect_concurrency, "connecting").await?;
    let setup_cpu = setup_cpu.finish()?;
    let overflows = overflows.finish();

    let mut receivers = tally::Receivers::new(Epoch::now());
    let mut writers = Vec::with_capacity(clients.len());
    for joined in clients {
        receivers.spawn(joined.reader, 0, |_, _| {});
        writers.push(joined.writer);
    }
    tokio::time::sleep(args.hold).await;
    let after = procinfo::total_rss_kib(&target.pids)?;
    let anon_after = procinfo::total_rss_anon_kib(&target.pids)?;
    let tally = receivers.stop().await;
    drop(writers);
    tokio::time::sleep(AFTER_CLOSE).await;
    let after_close = procinfo::total_rss_kib(&target.pids)?;

    let mut report = StepReport::new(Mode::Idle, target.kind, false, args.clients);
    report.duration_s = args.hold.as_secs_f64();
    report.connect_s = Some(connect_took.as_secs_f64());
    report.listen_overflows = overflows;
    report.server_cpu_us_per_connection = setup_cpu.micros_per(args.clients as u64);
    report.rss_before_kib = Some(before);
    report.rss_after_kib = Some(after);
    report.rss_per_connection_bytes =
        Some(after.saturating_sub(before) as f64 * 1024.0 / args.clients as f64);
    report.rss_anon_per_connection_bytes =
        Some(anon_after.saturating_sub(anon_before) as f64 * 1024.0 / args.clients as f64);
    report.rss_after_close_kib = Some(after_close);
    report.errors = tally.errors();
    report.error_samples = tally.error_samples();
    report.judge();
    Ok(report)
}
