//! Thousands of concurrent long-poll waiters: what they cost the server and how fast one
//! message wakes them all.
//!
//! It starts its own release server on `127.0.0.1:0` (temporary SQLite file, rate and
//! connection limits lifted), reads the server's `VmRSS` and thread count from
//! `/proc/<pid>/status`, then opens `--waiters` TCP connections (default 5,000), each carrying
//! one hand-written `GET /api/rooms/lab/messages?after=0&wait=30` long-poll. It polls
//! `/metrics` until `chinwag_long_polls_waiting` equals the number of waiters, reads the RSS
//! again, POSTs one message and times every response from just before the POST is written:
//! the slowest is the wake-all latency. Every response must be `200` and carry the message.
//! It prints a table and one JSON line, then kills the server.
//!
//! ```text
//! cargo build --release -p chinwag-backend --examples
//! target/release/examples/longpoll_waiters [--waiters 5000] [--server target/release/chinwag]
//! ```
//!
//! Each waiter needs one descriptor here and one in the server (which inherits this process's
//! limit). When the soft `ulimit -n` is too low the tool raises it to the hard limit with
//! `prlimit`, or stops and says to run `ulimit -n 20000` first.
//!
//! The server's listen queue holds `--listen-backlog` connections (4,096 by default, capped by
//! `net.core.somaxconn`), so connections are opened in batches of `--batch` (default 100), each batch once the gauge shows the
//! previous one waiting. `--batch 0` opens them all at once; the kernel then drops handshakes
//! that overflow the listen queue and each costs its client a 1 s SYN retransmit, which the
//! tool shows as `ListenOverflows` (from `/proc/net/netstat`, for the whole network namespace).

use serde_json::json;
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinHandle,
    time::timeout,
};

mod common;

use common::{BoxError, Server, ms, quantile};

const USAGE: &str = "\
longpoll_waiters: N concurrent long-polls on one room, their memory, and the wake-all latency

usage: longpoll_waiters [--waiters N] [--batch N] [--wait SECS] [--room NAME] [--timeout SECS]
                        [--server PATH]

  --waiters N     concurrent long-poll requests (default 5000)
  --batch N       open this many, then wait until the server counts them (default 100;
                  0: open all at once, which overflows the server's listen queue of 128)
  --wait SECS     the requests' wait= (default 30, the server's maximum)
  --room NAME     room to wait on (default lab)
  --timeout SECS  bound on each phase: opening, reaching the gauge, waking (default 30)
  --server PATH   the chinwag binary (default target/release/chinwag)
";

/// Most waiters one run may open: about what one loopback client address can connect.
const MAX_WAITERS: usize = 50_000;

/// Descriptors this process needs besides one per waiter (server pipes, metrics, the POST).
const SPARE_FILES: u64 = 64;

/// How often `/metrics` is read while waiting for the gauge.
const GAUGE_POLL: Duration = Duration::from_millis(20);

/// Longest response head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// What the command line asks for.
struct Options {
    waiters: usize,
    batch: usize,
    wait_secs: u64,
    room: String,
    timeout: Duration,
    server: PathBuf,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let Some(options) = parse_args()? else {
        print!("{USAGE}");
        return Ok(());
    };
    let waiters = u64::try_from(options.waiters)?;
    ensure_open_files(waiters + SPARE_FILES)?;
    let mut server = Server::start(&options.server).await?;
    let result = measure(&options, &server).await;
    server.stop().await;
    let report = result?;
    print_report(&options, server.addr, &report);
    if report.woken.wake.len() != options.waiters {
        return Err(format!(
            "only {} of {} waiters got the message",
            report.woken.wake.len(),
            options.waiters
        )
        .into());
    }
    Ok(())
}

fn parse_args() -> Result<Option<Options>, BoxError> {
    let mut options = Options {
        waiters: 5000,
        batch: 100,
        wait_secs: 30,
        room: "lab".to_owned(),
        timeout: Duration::from_secs(30),
        server: Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/chinwag"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--waiters" => options.waiters = value()?.parse()?,
            "--batch" => options.batch = value()?.parse()?,
            "--wait" => options.wait_secs = value()?.parse()?,
            "--room" => options.room = value()?,
            "--timeout" => options.timeout = Duration::from_secs(value()?.parse()?),
            "--server" => options.server = value()?.into(),
            other => return Err(format!("unknown argument {other}; see --help").into()),
        }
    }
    if options.waiters == 0 || options.waiters > MAX_WAITERS {
        return Err(format!("--waiters must be between 1 and {MAX_WAITERS}").into());
    }
    if !(5..=30).contains(&options.wait_secs) {
        return Err("--wait must be between 5 and 30 (the server's maximum)".into());
    }
    Ok(Some(options))
}

/// The figures of one run.
struct Report {
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
    pending: Vec<JoinHandle<Result<(Instant, Response), String>>>,
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
    /// Arrival of each response carrying the message, from just before the POST, sorted.
    wake: Vec<Duration>,
    failures: Vec<String>,
    /// Server CPU time (user + system) from the POST until every waiter was answered.
    wake_cpu: Duration,
    /// This tool's CPU time over the same span: reading the responses competes for the cores.
    client_cpu: Duration,
}

async fn measure(options: &Options, server: &Server) -> Result<Report, BoxError> {
    // One request first, so the RSS baseline is a server that has served HTTP.
    waiting_gauge(server.addr).await?;
    let (rss_before_kib, threads_before) = proc_status(server.pid)?;
    let mut opened = open_waiters(options, server.addr).await?;
    let (rss_waiting_kib, threads_waiting) = proc_status(server.pid)?;
    let pending = std::mem::take(&mut opened.pending);
    let woken = wake_all(options, server, pending).await?;
    let gauge_after = settled_gauge(server.addr, options.timeout).await?;
    let (rss_after_kib, _) = proc_status(server.pid)?;
    Ok(Report {
        rss_before_kib,
        rss_waiting_kib,
        rss_after_kib,
        threads_before,
        threads_waiting,
        opened,
        woken,
        gauge_after,
    })
}

/// Opens every waiter, batch by batch, and waits until the server counts them all.
async fn open_waiters(options: &Options, addr: SocketAddr) -> Result<Opened, BoxError> {
    let overflows_before = listen_overflows()?;
    let opened_at = Instant::now();
    let mut pending = Vec::with_capacity(options.waiters);
    let path = format!(
        "/api/rooms/{}/messages?after=0&wait={}",
        options.room, options.wait_secs
    );
    let bound = Duration::from_secs(options.wait_secs) + options.timeout;
    let batch = match options.batch {
        0 => options.waiters,
        batch => batch,
    };
    while pending.len() < options.waiters {
        for _ in 0..batch.min(options.waiters - pending.len()) {
            let stream = timeout(options.timeout, open_long_poll(addr, &path))
                .await
                .map_err(|_| "opening the long-polls timed out")??;
            pending.push(tokio::spawn(read_response(stream, bound)));
        }
        if options.batch > 0 {
            wait_for_gauge(addr, pending.len(), options.timeout).await?;
        }
    }
    let open = opened_at.elapsed();
    let gauge_at = Instant::now();
    wait_for_gauge(addr, options.waiters, options.timeout).await?;
    let gauge_reached = gauge_at.elapsed();
    if opened_at.elapsed() + Duration::from_secs(2) > Duration::from_secs(options.wait_secs) {
        return Err("opening took longer than the long-polls' wait; raise --wait".into());
    }
    Ok(Opened {
        pending,
        open,
        gauge_reached,
        listen_overflows: listen_overflows()?.saturating_sub(overflows_before),
    })
}

/// POSTs one message and awaits every waiter's answer.
async fn wake_all(
    options: &Options,
    server: &Server,
    pending: Vec<JoinHandle<Result<(Instant, Response), String>>>,
) -> Result<Woken, BoxError> {
    let marker = format!("wake-all {}", std::process::id());
    let body = json!({"username": "waker", "message": marker, "client_id": "wake-1"}).to_string();
    let path = format!("/api/rooms/{}/messages", options.room);
    let cpu_before = cpu_ticks(server.pid)?;
    let own_cpu_before = cpu_ticks(std::process::id())?;
    let posted_at = Instant::now();
    let answer = timeout(
        options.timeout,
        one_request(server.addr, "POST", &path, &body),
    )
    .await
    .map_err(|_| "the POST timed out")??;
    let post_answered = posted_at.elapsed();
    if answer.status != 201 {
        return Err(format!("POST answered {}: {}", answer.status, answer.text()).into());
    }
    let (wake, failures) = collect(pending, posted_at, &marker).await;
    let ticks = cpu_ticks(server.pid)?.saturating_sub(cpu_before);
    let own_ticks = cpu_ticks(std::process::id())?.saturating_sub(own_cpu_before);
    Ok(Woken {
        post_answered,
        wake,
        failures,
        wake_cpu: Duration::from_millis(10 * ticks),
        client_cpu: Duration::from_millis(10 * own_ticks),
    })
}

/// Connects and writes one long-poll request; the response is read later.
async fn open_long_poll(addr: SocketAddr, path: &str) -> Result<TcpStream, BoxError> {
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
        .map_err(|err| err.to_string())?;
    Ok((Instant::now(), response))
}

/// Awaits every waiter: arrival times of the good answers, and what went wrong with the rest.
async fn collect(
    pending: Vec<JoinHandle<Result<(Instant, Response), String>>>,
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
    wake.sort();
    (wake, failures)
}

/// Waits until `chinwag_long_polls_waiting` is `target`, for at most `bound`.
async fn wait_for_gauge(addr: SocketAddr, target: usize, bound: Duration) -> Result<(), BoxError> {
    let target = u64::try_from(target)?;
    let started = Instant::now();
    loop {
        let waiting = waiting_gauge(addr).await?;
        if waiting == target {
            return Ok(());
        }
        if started.elapsed() > bound {
            return Err(
                format!("chinwag_long_polls_waiting stuck at {waiting} of {target}").into(),
            );
        }
        tokio::time::sleep(GAUGE_POLL).await;
    }
}

/// The gauge once it stops moving after the wake (it should be back to 0).
async fn settled_gauge(addr: SocketAddr, bound: Duration) -> Result<u64, BoxError> {
    let started = Instant::now();
    loop {
        let waiting = waiting_gauge(addr).await?;
        if waiting == 0 || started.elapsed() > bound {
            return Ok(waiting);
        }
        tokio::time::sleep(GAUGE_POLL).await;
    }
}

/// `chinwag_long_polls_waiting` from `/metrics`.
async fn waiting_gauge(addr: SocketAddr) -> Result<u64, BoxError> {
    let response = timeout(
        Duration::from_secs(5),
        one_request(addr, "GET", "/metrics", ""),
    )
    .await
    .map_err(|_| "/metrics timed out")??;
    let text = response.text();
    let value = text
        .lines()
        .find_map(|line| line.strip_prefix("chinwag_long_polls_waiting "))
        .ok_or("/metrics has no chinwag_long_polls_waiting")?;
    Ok(value.trim().parse::<f64>()?.round() as u64)
}

/// One request on a fresh connection.
async fn one_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> Result<Response, BoxError> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    Response::read(&mut stream).await
}

/// An HTTP/1.1 response: status and body (framed by `Content-Length`).
struct Response {
    status: u16,
    body: Vec<u8>,
}

impl Response {
    async fn read(stream: &mut TcpStream) -> Result<Self, BoxError> {
        let mut buf = Vec::with_capacity(1024);
        let head_end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            if buf.len() > MAX_HEAD_BYTES {
                return Err("response head too long".into());
            }
            if stream.read_buf(&mut buf).await? == 0 {
                return Err("connection closed before a response".into());
            }
        };
        let head = std::str::from_utf8(&buf[..head_end])?;
        let status = head
            .split(' ')
            .nth(1)
            .ok_or("no status line")?
            .parse::<u16>()?;
        let length = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .ok_or("response without Content-Length")?;
        while buf.len() < head_end + length {
            if stream.read_buf(&mut buf).await? == 0 {
                return Err("connection closed inside a body".into());
            }
        }
        let body = buf.split_off(head_end);
        Ok(Self { status, body })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `VmRSS` in KiB and `Threads` of process `pid`.
fn proc_status(pid: u32) -> Result<(u64, u64), BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> Result<u64, BoxError> {
        let line = status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .ok_or_else(|| format!("no {name} in /proc/{pid}/status"))?;
        let number = line.split_whitespace().next().unwrap_or_default();
        Ok(number.parse()?)
    };
    Ok((field("VmRSS:")?, field("Threads:")?))
}

/// User plus system CPU ticks (10 ms each on Linux's usual `CLK_TCK` of 100) of process `pid`.
fn cpu_ticks(pid: u32) -> Result<u64, BoxError> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses and may hold spaces: utime and
    // stime are the 14th and 15th fields of the line, the 12th and 13th after it.
    let after_name = stat.rsplit_once(')').ok_or("odd /proc/<pid>/stat")?.1;
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next().ok_or("no utime")?.parse()?;
    let system: u64 = fields.next().ok_or("no stime")?.parse()?;
    Ok(user + system)
}

/// `TcpExt: ListenOverflows` from `/proc/net/netstat`: SYNs or handshakes dropped because a
/// listen queue was full, counted for the whole network namespace.
fn listen_overflows() -> Result<u64, BoxError> {
    let netstat = std::fs::read_to_string("/proc/net/netstat")?;
    let mut tcp_ext = netstat.lines().filter(|line| line.starts_with("TcpExt:"));
    let (names, values) = (
        tcp_ext.next().ok_or("no TcpExt in /proc/net/netstat")?,
        tcp_ext.next().ok_or("no TcpExt values")?,
    );
    let at = names
        .split_whitespace()
        .position(|name| name == "ListenOverflows")
        .ok_or("no ListenOverflows")?;
    let value = values
        .split_whitespace()
        .nth(at)
        .ok_or("short TcpExt line")?;
    Ok(value.parse()?)
}

/// Makes sure this process (and so the server it starts) may open `needed` descriptors.
fn ensure_open_files(needed: u64) -> Result<(), BoxError> {
    let (soft, hard) = open_files_limit()?;
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
        if raised.is_ok_and(|status| status.success()) && open_files_limit()?.0 >= needed {
            eprintln!("raised the open-files soft limit from {soft} to {hard}");
            return Ok(());
        }
    }
    Err(format!(
        "{needed} open files are needed but `ulimit -n` is {soft} (hard limit {hard}); \
         run `ulimit -n 20000` in this shell first (raising the hard limit needs root)"
    )
    .into())
}

/// Soft and hard `RLIMIT_NOFILE` of this process, from `/proc/self/limits`.
fn open_files_limit() -> Result<(u64, u64), BoxError> {
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    let line = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))
        .ok_or("no open-files line in /proc/self/limits")?;
    let mut numbers = line.split_whitespace().map(|value| match value {
        "unlimited" => Ok(u64::MAX),
        number => number.parse::<u64>(),
    });
    let soft = numbers.next().ok_or("no soft limit")??;
    let hard = numbers.next().ok_or("no hard limit")??;
    Ok((soft, hard))
}

fn print_report(options: &Options, addr: SocketAddr, report: &Report) {
    let figures = Figures::of(options.waiters, report);
    let (opened, woken) = (&report.opened, &report.woken);
    let rows = [
        (
            "opened (ms)",
            format!(
                "{:.1} in batches of {}, {} listen-queue overflows",
                ms(opened.open),
                options.batch,
                opened.listen_overflows
            ),
        ),
        (
            "gauge = waiters after (ms)",
            format!("{:.1}", ms(opened.gauge_reached)),
        ),
        (
            "server RSS before (KiB)",
            format!(
                "{} ({} threads)",
                report.rss_before_kib, report.threads_before
            ),
        ),
        (
            "server RSS, all waiting (KiB)",
            format!(
                "{} ({} threads)",
                report.rss_waiting_kib, report.threads_waiting
            ),
        ),
        (
            "RSS per waiter (B)",
            format!("{}", figures.per_waiter_bytes),
        ),
        (
            "POST answered (ms)",
            format!("{:.2}", ms(woken.post_answered)),
        ),
        (
            "wake p50 / p99 (ms)",
            format!("{:.2} / {:.2}", ms(figures.p50), ms(figures.p99)),
        ),
        ("wake-all, slowest (ms)", format!("{:.2}", ms(figures.max))),
        (
            "CPU for the wake (ms)",
            format!(
                "server {:.0}, this client {:.0}",
                ms(woken.wake_cpu),
                ms(woken.client_cpu)
            ),
        ),
        (
            "delivered",
            format!("{} of {}", woken.wake.len(), options.waiters),
        ),
        (
            "server RSS after (KiB)",
            format!(
                "{}; gauge back to {}",
                report.rss_after_kib, report.gauge_after
            ),
        ),
    ];
    println!(
        "{} long-poll waiters on http://{addr}/api/rooms/{}/messages?after=0&wait={}",
        options.waiters, options.room, options.wait_secs
    );
    for (name, value) in rows {
        println!("  {name:<30} {value}");
    }
    for failure in woken.failures.iter().take(5) {
        println!("  failure: {failure}");
    }
    println!("{}", json_line(options, report, &figures));
}

/// The figures derived from a run's measurements.
struct Figures {
    /// Server RSS growth from before the waiters to all waiting, per waiter.
    per_waiter_bytes: u64,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

impl Figures {
    fn of(waiters: usize, report: &Report) -> Self {
        let delta_kib = report.rss_waiting_kib.saturating_sub(report.rss_before_kib);
        let wake = &report.woken.wake;
        Self {
            per_waiter_bytes: delta_kib * 1024 / u64::try_from(waiters.max(1)).unwrap_or(1),
            p50: quantile(wake, 0.5),
            p99: quantile(wake, 0.99),
            max: wake.last().copied().unwrap_or_default(),
        }
    }
}

fn json_line(options: &Options, report: &Report, figures: &Figures) -> serde_json::Value {
    let (opened, woken) = (&report.opened, &report.woken);
    json!({
        "tool": "longpoll_waiters",
        "waiters": options.waiters,
        "wait_secs": options.wait_secs,
        "batch": options.batch,
        "open_ms": ms(opened.open),
        "listen_overflows": opened.listen_overflows,
        "gauge_reached_ms": ms(opened.gauge_reached),
        "rss_before_kib": report.rss_before_kib,
        "rss_waiting_kib": report.rss_waiting_kib,
        "rss_after_kib": report.rss_after_kib,
        "rss_per_waiter_bytes": figures.per_waiter_bytes,
        "threads_before": report.threads_before,
        "threads_waiting": report.threads_waiting,
        "post_ms": ms(woken.post_answered),
        "wake_p50_ms": ms(figures.p50),
        "wake_p99_ms": ms(figures.p99),
        "wake_all_ms": ms(figures.max),
        "wake_cpu_ms": ms(woken.wake_cpu),
        "client_cpu_ms": ms(woken.client_cpu),
        "delivered": woken.wake.len(),
        "failures": woken.failures.len(),
        "gauge_after": report.gauge_after,
    })
}
