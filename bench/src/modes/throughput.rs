//! `throughput`: senders as fast as the target accepts, each with a bounded window in flight.
//!
//! Every sender is also a member of the room, so each message it sends comes back to it:
//! for Chinwag that echo is the stored record (its confirmation, matched by the stamp that
//! also carries the `client_id`), for a baseline it is the relayed frame. A sender may have
//! `window` messages without their echo; each echo frees a slot. The step reports messages
//! accepted per second, deliveries per second (to senders and to any extra receivers), the
//! latency of every delivery, server CPU per message and per frame, and loss. Against several
//! nodes, connection i (senders first) goes to node i mod nodes.

use crate::{
    cli::ThroughputArgs,
    client::{FrameWriter, JoinSpec},
    modes::{Bench, broadcast, check_fd_limit, crowd, tally},
    payload::{Epoch, Stamp},
    procinfo, progress,
    report::{Mode, StepReport},
    server::Target,
};
use anyhow::{Result, bail};
use indicatif::ProgressBar;
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};
use std::time::Duration;
use tokio::{sync::Semaphore, task::JoinSet, time::Instant};

/// Connections opened at once during setup.
const CONNECT_CONCURRENCY: usize = 256;

/// Runs one throughput step per target kind.
pub async fn run(args: &ThroughputArgs, mut bench: Bench) -> Result<bool> {
    if args.window == 0 {
        bail!("--window must be at least 1");
    }
    check_fd_limit(args.senders + args.receivers)?;
    for kind in bench.launcher.kinds().to_vec() {
        progress::note(&format!(
            "throughput: {} with {} senders (window {}), {} receivers, for {:?}",
            kind.name(),
            args.senders,
            args.window,
            args.receivers,
            args.duration
        ));
        let report = match bench
            .with_target(kind, async |target| step(target, args).await)
            .await
        {
            Ok(report) => report,
            Err(err) => {
                StepReport::failed(Mode::Throughput, kind, args.senders + args.receivers, &err)
            }
        };
        bench.record(report);
    }
    bench.finish()
}

/// One throughput step against a running target.
pub async fn step(target: &Target, args: &ThroughputArgs) -> Result<StepReport> {
    let room = format!("throughput-{}", std::process::id());
    let (clients, connect_took) = join_room(target, args, &room).await?;
    let clients_total = clients.len();
    let mut receivers = tally::Receivers::new(Epoch::now());
    let last_echo_ns = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + args.duration;
    let start_ns = receivers.tally.epoch.nanos();
    let cpu = procinfo::PhaseCpu::start(&target.pids, &target.backing)?;
    let mut sending = JoinSet::new();
    let mut quiet_writers = Vec::new();
    for (i, joined) in clients.into_iter().enumerate() {
        if i >= args.senders {
            receivers.spawn(joined.reader, args.senders, |_, _| {});
            quiet_writers.push(joined.writer);
            continue;
        }
        let me = u32::try_from(i)?;
        let window = Arc::new(Semaphore::new(args.window));
        let (slots, last_echo) = (Arc::clone(&window), Arc::clone(&last_echo_ns));
        let epoch = receivers.tally.epoch;
        receivers.spawn(joined.reader, args.senders, move |stamp: Stamp, _: &str| {
            if stamp.sender == me {
                slots.add_permits(1);
                last_echo.fetch_max(epoch.nanos(), Ordering::Relaxed);
            }
        });
        let (tally, room) = (Arc::clone(&receivers.tally), room.clone());
        let chars = usize::from(args.message_chars);
        sending.spawn(async move {
            send_windowed(joined.writer, me, &window, deadline, &tally, &room, chars).await
        });
    }
    let writers = wait_senders(sending, deadline, args.duration, target).await?;
    let sent = tally::Tally::get(&receivers.tally.sent);
    let due = sent * clients_total as u64;
    receivers
        .wait_delivered(due, args.drain, &ProgressBar::hidden())
        .await;
    let cpu = cpu.finish()?;
    let tally = receivers.stop().await;
    drop((writers, quiet_writers));

    let mut report = StepReport::new(Mode::Throughput, target.kind, false, clients_total);
    report.senders = Some(args.senders);
    report.window = Some(args.window);
    report.duration_s = args.duration.as_secs_f64();
    report.connect_s = Some(connect_took.as_secs_f64());
    report.send_frame_bytes = Some(
        Stamp {
            sender: 0,
            seq: 0,
            sent_ns: 0,
        }
        .send_frame(&room, usize::from(args.message_chars))
        .len(),
    );
    report.sent = sent;
    report.expected = due;
    broadcast::fill_deliveries(&mut report, &tally, start_ns);
    let echo_span = last_echo_ns
        .load(Ordering::Relaxed)
        .saturating_sub(start_ns) as f64
        / 1e9;
    report.accepted_per_s = (echo_span > 0.0).then(|| sent as f64 / echo_span);
    report.set_cpu(&cpu, report.delivered, sent);
    report.judge();
    Ok(report)
}

/// The senders (named `t0`, `t1`, ...) then the receivers, all in `room`; connection i goes
/// to node i mod nodes.
async fn join_room(
    target: &Target,
    args: &ThroughputArgs,
    room: &str,
) -> Result<(Vec<crowd::Joined>, Duration)> {
    let specs = (0..args.senders + args.receivers)
        .map(|i| {
            let spec = JoinSpec {
                room: room.to_owned(),
                username: (i < args.senders).then(|| format!("t{i}")),
                ..JoinSpec::default()
            };
            (target.connector(i), spec)
        })
        .collect();
    crowd::connect_all(specs, CONNECT_CONCURRENCY, "connecting").await
}

/// Waits for every sender to pass the deadline, moving a progress bar over the sending time.
async fn wait_senders(
    mut sending: JoinSet<FrameWriter>,
    deadline: Instant,
    duration: Duration,
    target: &Target,
) -> Result<Vec<FrameWriter>> {
    let bar = progress::bar(
        duration.as_millis() as u64,
        &format!("{} sending (ms)", target.kind.name()),
    );
    let mut writers = Vec::new();
    loop {
        tokio::select! {
            done = sending.join_next() => match done {
                Some(writer) => writers.push(writer?),
                None => break,
            },
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                let left = deadline.saturating_duration_since(Instant::now());
                bar.set_position(duration.saturating_sub(left).as_millis() as u64);
            }
        }
    }
    bar.finish_and_clear();
    Ok(writers)
}

/// Sends until `deadline`, never more than the window ahead of the echoes.
async fn send_windowed(
    mut writer: FrameWriter,
    me: u32,
    window: &Semaphore,
    deadline: Instant,
    tally: &tally::Tally,
    room: &str,
    chars: usize,
) -> FrameWriter {
    for seq in 0.. {
        let slot = tokio::select! {
            slot = window.acquire() => slot,
            _ = tokio::time::sleep_until(deadline) => break,
        };
        match slot {
            Ok(slot) => slot.forget(),
            Err(_) => break,
        }
        if Instant::now() >= deadline {
            break;
        }
        let stamp = Stamp {
            sender: me,
            seq,
            sent_ns: tally.epoch.nanos(),
        };
        if let Err(err) = writer.send(stamp.send_frame(room, chars)).await {
            tally.error(format!("sender {me}: {err:#}"));
            break;
        }
        tally.sent.fetch_add(1, Ordering::Relaxed);
    }
    writer
}
