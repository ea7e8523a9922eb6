//! `presence-storm`: what a crowd arriving in one room, and half of it leaving, costs in
//! presence traffic (issue 18, big rooms).
//!
//! N clients, each with its own name, join one room `--connect-concurrency` at a time. Every
//! client reads from the moment it connects and counts the bytes and frames it receives, so
//! no outbox fills for want of a reader. The join phase lasts from the first connect until
//! every join is confirmed and no client has received anything for `--quiet`; then half the
//! clients close, and the leave phase lasts until the other half has been quiet as long.
//! For each phase: wall time, server CPU, and the bytes and frames the clients received, with
//! the `presence` snapshots apart. A client the server closed (a slow consumer) is counted.

use crate::{
    cli::{PresenceStormArgs, TargetKind},
    client::{FrameReader, JoinSpec},
    modes::{check_fd_limit, on_target},
    procinfo, progress,
    server::{Launcher, Target},
};
use anyhow::{Context, Result};
use futures_util::StreamExt;
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// How often a phase checks whether the clients went quiet.
const POLL: Duration = Duration::from_millis(100);

/// What every client has received, summed.
#[derive(Default)]
struct Received {
    bytes: AtomicU64,
    frames: AtomicU64,
    snapshot_bytes: AtomicU64,
    closed_by_server: AtomicU64,
}

impl Received {
    fn count(&self, frame: &str) {
        self.bytes.fetch_add(frame.len() as u64, Ordering::Relaxed);
        self.frames.fetch_add(1, Ordering::Relaxed);
        if frame.starts_with(r#"{"type":"presence","#) {
            self.snapshot_bytes
                .fetch_add(frame.len() as u64, Ordering::Relaxed);
        }
    }

    fn totals(&self) -> [u64; 4] {
        [
            self.bytes.load(Ordering::Relaxed),
            self.frames.load(Ordering::Relaxed),
            self.snapshot_bytes.load(Ordering::Relaxed),
            self.closed_by_server.load(Ordering::Relaxed),
        ]
    }
}

/// One phase's figures.
struct Phase {
    wall: Duration,
    cpu: Duration,
    bytes: u64,
    frames: u64,
    snapshot_bytes: u64,
    closed_by_server: u64,
    cut_short: bool,
}

impl Phase {
    fn print(&self, name: &str) {
        println!(
            "{name:<6} wall {:>7.2} s  server cpu {:>7.2} s  received {:>13} B in {:>10} frames \
             (presence snapshots {:>11} B)  closed by server {}{}",
            self.wall.as_secs_f64(),
            self.cpu.as_secs_f64(),
            self.bytes,
            self.frames,
            self.snapshot_bytes,
            self.closed_by_server,
            if self.cut_short { "  CUT SHORT" } else { "" }
        );
    }
}

/// Runs the storm once against a fresh target.
pub async fn run(args: &PresenceStormArgs, launcher: Launcher) -> Result<bool> {
    check_fd_limit(args.clients)?;
    progress::note(&format!(
        "presence-storm: {} clients, {} at a time",
        args.clients, args.connect_concurrency
    ));
    on_target(&launcher, TargetKind::Chinwag, async |target| {
        storm(target, args).await
    })
    .await?;
    Ok(true)
}

async fn storm(target: &Target, args: &PresenceStormArgs) -> Result<()> {
    let room = format!("crowd-{}", std::process::id());
    let received = Arc::new(Received::default());
    let cpu = procinfo::CpuWindow::start(&target.pids)?;
    let started = Instant::now();
    let bar = progress::bar(args.clients as u64, "joining");
    let mut joins = futures_util::stream::iter((0..args.clients).map(|i| {
        let connector = target.connector(i);
        let spec = JoinSpec {
            room: room.clone(),
            username: Some(format!("u{i:05}")),
            ..JoinSpec::default()
        };
        let received = Arc::clone(&received);
        async move {
            let (writer, reader) = connector
                .connect(&spec)
                .await
                .with_context(|| format!("client {i}"))?;
            let (ready, joined) = tokio::sync::oneshot::channel();
            let task = tokio::spawn(read_all(reader, received, ready));
            joined
                .await
                .with_context(|| format!("client {i} closed before its join was confirmed"))?;
            anyhow::Ok((writer, task))
        }
    }))
    .buffered(args.connect_concurrency.max(1));
    let mut clients = Vec::with_capacity(args.clients);
    while let Some(client) = joins.next().await {
        clients.push(client?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let cut_short = until_quiet(&received, args, started).await;
    let join = phase(&received, cpu.finish()?, [0; 4], cut_short);
    join.print("join");

    let before = received.totals();
    let cpu = procinfo::CpuWindow::start(&target.pids)?;
    let started = Instant::now();
    let leaving = clients.split_off(clients.len() / 2);
    for (writer, task) in leaving {
        task.abort();
        drop(writer);
    }
    let cut_short = until_quiet(&received, args, started).await;
    let leave = phase(&received, cpu.finish()?, before, cut_short);
    leave.print("leave");
    for (_, task) in clients {
        task.abort();
    }
    Ok(())
}

/// Reads every frame of one client, counting it; says when the join is confirmed.
async fn read_all(
    mut reader: FrameReader,
    received: Arc<Received>,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    loop {
        match reader.next().await {
            Ok(Some(frame)) => {
                received.count(frame);
                if frame.starts_with(r#"{"type":"joined""#)
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(());
                }
            }
            Ok(None) => return,
            Err(_) => {
                received.closed_by_server.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    }
}

/// Waits until no byte arrived for `args.quiet`, or `args.timeout` after `started`; `true`
/// if it timed out.
async fn until_quiet(received: &Received, args: &PresenceStormArgs, started: Instant) -> bool {
    let mut last = received.totals()[0];
    let mut quiet_since = Instant::now();
    while started.elapsed() < args.timeout {
        tokio::time::sleep(POLL).await;
        let now = received.totals()[0];
        if now != last {
            last = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= args.quiet {
            return false;
        }
    }
    true
}

fn phase(received: &Received, cpu: procinfo::CpuUse, before: [u64; 4], cut_short: bool) -> Phase {
    let [bytes, frames, snapshot_bytes, closed] = received.totals();
    Phase {
        // Includes the final `--quiet` wait (idle, so it adds wall time, not CPU).
        wall: cpu.wall,
        cpu: cpu.cpu,
        bytes: bytes - before[0],
        frames: frames - before[1],
        snapshot_bytes: snapshot_bytes - before[2],
        closed_by_server: closed - before[3],
        cut_short,
    }
}
