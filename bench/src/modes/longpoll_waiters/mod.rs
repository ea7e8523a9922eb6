//! `longpoll-waiters`: thousands of concurrent long-poll waiters — what they cost the server
//! and how fast one message wakes them all.
//!
//! Against a fresh Chinwag (rate, connection and per-address long-poll limits lifted) it reads
//! the server's `VmRSS` and thread count, then opens `--waiters` TCP connections (default
//! 5,000), each carrying one hand-written `GET /api/rooms/lab/messages?after=0&wait=30`. It
//! polls `/metrics` until `chinwag_long_polls_waiting` equals the number of waiters, reads the
//! RSS again, POSTs one message and times every response from just before the POST is
//! written: the slowest is the wake-all latency. Every response must be `200` and carry the
//! message, or the run fails. [`report`] prints a table and one JSON line.
//!
//! Each waiter needs one descriptor here and one in the server. When the soft `ulimit -n` is
//! too low the mode raises it to the hard limit with `prlimit`, or stops and says to run
//! `ulimit -n 20000` first.
//!
//! The server's listen queue holds `--listen-backlog` connections (4,096 by default, capped by
//! `net.core.somaxconn`), so connections are opened in batches of `--batch` (default 100),
//! each batch once the gauge shows the previous one waiting. `--batch 0` opens them all at
//! once; handshakes that overflow the listen queue are dropped and each costs its client a
//! 1 s SYN retransmit, which the report shows as `ListenOverflows` (from `/proc/net/netstat`,
//! for the whole network namespace).

mod report;

use crate::{
    cli::{LongpollWaitersArgs, TargetKind},
    http::{Response, long_polls_waiting, one_request},
    modes::on_target,
    progress,
    server::{Launcher, Target},
};
use anyhow::{Context, Result, bail};
use chinwag_testkit::procfs;
use serde_json::json;
use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};
use tokio::{io::AsyncWriteExt, net::TcpStream, task::JoinHandle, time::timeout};

/// Flags for the started server beside the load generator's own: a whole crowd of long-polls
/// comes from one address.
pub const SERVER_FLAGS: [&str; 2] = [
    "--max-long-polls-per-ip=1000000",
    "--max-requests-per-ip=1000000",
];

/// Descriptors this process needs besides one per waiter (server pipes, metrics, the POST).
const SPARE_FILES: u64 = 64;

/// How often `/metrics` is read while waiting for the gauge.
const GAUGE_POLL: Duration = Duration::from_millis(20);

/// A waiter's pending answer, with the moment it was complete.
type Pending = JoinHandle<Result<(Instant, Response), String>>;

/// The figures of one run.
struct Measured {
    rss_before_kib: u64,
    rss_waiting_kib: u64,
    rss_after_kib: u64,
    threads_before: u64,
    threads_waiting: u64,
    opened: Opened,
    woken: Woken,
    gauge_after: u64,
}

/// The waiters, once the server counts them all.
struct Opened {
    pending: Vec<Pending>,
    /// From the first connect until the last batch was counted.
    open: Duration,
    /// From the last request written until the gauge showed every waiter.
    gauge_reached: Duration,
    /// Listen-queue overflows while opening (whole network namespace).
    listen_overflows: u64,
}

/// What one POST did to the waiters.
struct Woken {
    post_answered: Duration,
    /// Arrival of each response carrying the message, from just before the POST.
    wake: Vec<Duration>,
    failures: Vec<String>,
    /// Server CPU time (user + system) from the POST until every waiter was answered.
    wake_cpu: Duration,
    /// This tool's CPU time over the same span: reading the responses competes for the cores.
    client_cpu: Duration,
}

/// Runs the measurement once; whether every waiter got the message.
pub async fn run(args: &LongpollWaitersArgs, launcher: Launcher, json: bool) -> Result<bool> {
    ensure_open_files(u64::try_from(args.waiters)? + SPARE_FILES)?;
    progress::note(&format!("longpoll-waiters: {} waiters", args.waiters));
    let (addr, measured) = on_target(&launcher, TargetKind::Chinwag, async |target| {
        Ok((target.addrs[0], measure(args, target).await?))
    })
    .await?;
    report::print(args, addr, &measured, json);
    let delivered = measured.woken.wake.len();
    if delivered != args.waiters {
        progress::note(&format!(
            "only {delivered} of {} waiters got the message",
            args.waiters
        ));
        return Ok(false);
    }
    Ok(true)
}

async fn measure(args: &LongpollWaitersArgs, target: &Target) -> Result<Measured> {
    let (addr, pid) = (target.addrs[0], target.pids[0]);
    let bound = Duration::from_secs(args.timeout_secs);
    // One request first, so the RSS baseline is a server that has served HTTP.
    long_polls_waiting(addr).await?;
    let (rss_before_kib, threads_before) = (procfs::rss_kib(pid)?, procfs::threads(pid)?);
    let mut opened = open_waiters(args, addr).await?;
    let (rss_waiting_kib, threads_waiting) = (procfs::rss_kib(pid)?, procfs::threads(pid)?);
    let pending = std::mem::take(&mut opened.pending);
    let woken = wake_all(args, addr, pid, pending).await?;
    let gauge_after = settled_gauge(addr, bound).await?;
    Ok(Measured {
        rss_before_kib,
        rss_waiting_kib,
        rss_after_kib: procfs::rss_kib(pid)?,
        threads_before,
        threads_waiting,
        opened,
        woken,
        gauge_after,
    })
}

/// Opens every waiter, batch by batch, and waits until the server counts them all.
async fn open_waiters(args: &LongpollWaitersArgs, addr: SocketAddr) -> Result<Opened> {
    let bound = Duration::from_secs(args.timeout_secs);
    let overflows_before = procfs::listen_overflows()?;
    let opened_at = Instant::now();
    let mut pending = Vec::with_capacity(args.waiters);
    let path = format!(
        "/api/rooms/{}/messages?after=0&wait={}",
        args.room, args.wait_secs
    );
    let answer_bound = Duration::from_secs(args.wait_secs) + bound;
    let batch = match args.batch {
        0 => args.waiters,
        batch => batch,
    };
    while pending.len() < args.waiters {
        for _ in 0..batch.min(args.waiters - pending.len()) {
            let stream = timeout(bound, open_long_poll(addr, &path))
                .await
                .context("opening the long-polls timed out")??;
            pending.push(tokio::spawn(read_response(stream, answer_bound)));
        }
        if args.batch > 0 {
            wait_for_gauge(addr, pending.len(), bound).await?;
        }
    }
    let open = opened_at.elapsed();
    let gauge_at = Instant::now();
    wait_for_gauge(addr, args.waiters, bound).await?;
    let gauge_reached = gauge_at.elapsed();
    if opened_at.elapsed() + Duration::from_secs(2) > Duration::from_secs(args.wait_secs) {
        bail!("opening took longer than the long-polls' wait; raise --wait");
    }
    Ok(Opened {
        pending,
        open,
        gauge_reached,
        listen_overflows: procfs::listen_overflows()?.saturating_sub(overflows_before),
    })
}

/// POSTs one message and awaits every waiter's answer.
async fn wake_all(
    args: &LongpollWaitersArgs,
    addr: SocketAddr,
    pid: u32,
    pending: Vec<Pending>,
) -> Result<Woken> {
    let marker = format!("wake-all {}", std::process::id());
    let body = json!({"username": "waker", "message": marker, "client_id": "wake-1"}).to_string();
    let path = format!("/api/rooms/{}/messages", args.room);
    let cpu_before = procfs::cpu_time(pid)?;
    let own_cpu_before = procfs::cpu_time(std::process::id())?;
    let posted_at = Instant::now();
    let answer = timeout(
        Duration::from_secs(args.timeout_secs),
        one_request(addr, "POST", &path, &body),
    )
    .await
    .context("the POST timed out")??;
    let post_answered = posted_at.elapsed();
    if answer.status != 201 {
        bail!("POST answered {}: {}", answer.status, answer.text());
    }
    let (wake, failures) = collect(pending, posted_at, &marker).await;
    Ok(Woken {
        post_answered,
        wake,
        failures,
        wake_cpu: procfs::cpu_time(pid)?.saturating_sub(cpu_before),
        client_cpu: procfs::cpu_time(std::process::id())?.saturating_sub(own_cpu_before),
    })
}

/// Connects and writes one long-poll request; the response is read later.
async fn open_long_poll(addr: SocketAddr, path: &str) -> Result<TcpStream> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    Ok(stream)
}

/// Reads one response from `stream`, with the moment it was complete.
async fn read_response(
    mut stream: TcpStream,
    bound: Duration,
) -> Result<(Instant, Response), String> {
    let response = timeout(bound, Response::read(&mut stream))
        .await
        .map_err(|_| "no response in time".to_owned())?
        .map_err(|err| format!("{err:#}"))?;
    Ok((Instant::now(), response))
}

/// Awaits every waiter: arrival times of the good answers, and what went wrong with the rest.
async fn collect(
    pending: Vec<Pending>,
    posted_at: Instant,
    marker: &str,
) -> (Vec<Duration>, Vec<String>) {
    let mut wake = Vec::with_capacity(pending.len());
    let mut failures = Vec::new();
    for handle in pending {
        match handle.await {
            Ok(Ok((arrived, response))) => {
                if arrived < posted_at {
                    failures.push(format!("answered before the POST: {}", response.text()));
                } else if response.status != 200 || !response.text().contains(marker) {
                    failures.push(format!("{} {}", response.status, response.text()));
                } else {
                    wake.push(arrived - posted_at);
                }
            }
            Ok(Err(err)) => failures.push(err),
            Err(err) => failures.push(format!("waiter task failed: {err}")),
        }
    }
    (wake, failures)
}

/// Waits until `chinwag_long_polls_waiting` is `target`, for at most `bound`.
async fn wait_for_gauge(addr: SocketAddr, target: usize, bound: Duration) -> Result<()> {
    let target = u64::try_from(target)?;
    let started = Instant::now();
    loop {
        let waiting = long_polls_waiting(addr).await?;
        if waiting == target {
            return Ok(());
        }
        if started.elapsed() > bound {
            bail!("chinwag_long_polls_waiting stuck at {waiting} of {target}");
        }
        tokio::time::sleep(GAUGE_POLL).await;
    }
}

/// The gauge once it stops moving after the wake (it should be back to 0).
async fn settled_gauge(addr: SocketAddr, bound: Duration) -> Result<u64> {
    let started = Instant::now();
    loop {
        let waiting = long_polls_waiting(addr).await?;
        if waiting == 0 || started.elapsed() > bound {
            return Ok(waiting);
        }
        tokio::time::sleep(GAUGE_POLL).await;
    }
}

/// Makes sure this process (and so the server it starts) may open `needed` descriptors.
fn ensure_open_files(needed: u64) -> Result<()> {
    let (soft, hard) = procfs::open_files_limit()?;
    if soft >= needed {
        return Ok(());
    }
    if hard >= needed {
        // Raising the soft limit up to the hard one needs no privilege; `prlimit` does it
        // without unsafe code in this process.
        let raised = std::process::Command::new("prlimit")
            .arg(format!("--pid={}", std::process::id()))
            .arg(format!("--nofile={hard}:{hard}"))
            .status();
        if raised.is_ok_and(|status| status.success()) && procfs::open_files_limit()?.0 >= needed {
            progress::note(&format!(
                "raised the open-files soft limit from {soft} to {hard}"
            ));
            return Ok(());
        }
    }
    bail!(
        "{needed} open files are needed but `ulimit -n` is {soft} (hard limit {hard}); \
         run `ulimit -n 20000` in this shell first (raising the hard limit needs root)"
    )
}
