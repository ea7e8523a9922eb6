//! The seed lecture's comparison made measurable: the same messages received over a
//! WebSocket, by long-polling and by plain polling, side by side.
//!
//! It starts its own release server on `127.0.0.1:0` (temporary SQLite file, rate limits
//! lifted), then three receivers join one room at once: (a) a WebSocket client
//! (tokio-tungstenite over a TCP stream that counts every byte read and written, handshake
//! included); (b) a long-poll loop, `GET …/messages?after=<last>&wait=25`; (c) a plain poll
//! loop that asks `GET …/messages?after=<last>` and then sleeps `--poll-interval`, as the
//! browser client does. Both HTTP loops are hand-written keep-alive HTTP/1.1 on one connection
//! each, so their bytes are exact too. With `--presence` each HTTP loop also asks
//! `GET …/presence` once per cycle, as the browser client does. Once the long-poll is held
//! (`chinwag_long_polls_waiting` = 1), a sender POSTs (or, with `--sender ws`, sends over its
//! own WebSocket) `--count` messages every `--period` ms, each text carrying its send time in
//! microseconds since a clock this process shares with the receivers.
//!
//! Per transport it reports messages received (anything short of `--count` is reported as
//! loss and the exit status is 1), duplicates, ids out of order, delivery latency
//! p50/p95/max (send time to the moment the receiver has parsed the record), requests made,
//! and TCP payload bytes on the wire per message (IP and TCP headers not counted). A table,
//! then one JSON line.
//!
//! ```text
//! cargo build --release -p chinwag-backend --examples
//! target/release/examples/transport_lab [--period 200] [--count 100] [--poll-interval 1000]
//!     [--sender http|ws] [--presence] [--server target/release/chinwag]
//! ```

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::{
    collections::HashSet,
    io,
    net::SocketAddr,
    path::{Path, PathBuf},
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf},
    net::TcpStream,
    time::{Instant, sleep, sleep_until, timeout, timeout_at},
};
use tokio_tungstenite::{WebSocketStream, client_async, tungstenite::Message};

use chinwag_shared::{ChatRecord, ServerMsg};

mod common;

use common::{BoxError, Server, ms, quantile};

const USAGE: &str = "\
transport_lab: the same messages over a WebSocket, long-polling and polling, side by side

usage: transport_lab [--period MS] [--count N] [--poll-interval MS] [--wait SECS]
                     [--sender http|ws] [--presence] [--room NAME] [--server PATH]

  --period MS         time between two sent messages (default 200)
  --count N           messages sent (default 100)
  --poll-interval MS  the poller's sleep between requests (default 1000)
  --wait SECS         the long-poll's wait= (default 25)
  --sender http|ws    post over HTTP (default) or send over a WebSocket
  --presence          HTTP loops also GET …/presence once per cycle, as the browser does
  --room NAME         room used (default lab)
  --server PATH       the chinwag binary (default target/release/chinwag)
";

/// Longest response head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Bound on one setup step (connect, join, the long-poll being counted) or one POST.
const STEP_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest sending phase (and poll interval) a run may ask for.
const MAX_SENDING: Duration = Duration::from_secs(3600);

/// How long receivers keep going after the last send, beyond one poll interval.
const GRACE: Duration = Duration::from_secs(5);

/// What the command line asks for.
struct Options {
    period: Duration,
    count: usize,
    poll_interval: Duration,
    wait_secs: u64,
    sender: SenderKind,
    presence: bool,
    room: String,
    server: PathBuf,
}

/// How the sender posts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SenderKind {
    Http,
    WebSocket,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let Some(options) = parse_args()? else {
        print!("{USAGE}");
        return Ok(());
    };
    let mut server = Server::start(&options.server).await?;
    let result = run(&options, server.addr).await;
    server.stop().await;
    let (sent, tallies) = result?;
    print_report(&options, &sent, &tallies);
    let short: Vec<String> = tallies
        .iter()
        .filter(|tally| tally.seen.len() < options.count || !tally.errors.is_empty())
        .map(|tally| format!("{}: {} of {}", tally.name, tally.seen.len(), options.count))
        .collect();
    if !short.is_empty() || sent.sent < options.count {
        return Err(format!("loss or errors (sent {}): {}", sent.sent, short.join(", ")).into());
    }
    Ok(())
}

fn parse_args() -> Result<Option<Options>, BoxError> {
    let mut options = Options {
        period: Duration::from_millis(200),
        count: 100,
        poll_interval: Duration::from_millis(1000),
        wait_secs: 25,
        sender: SenderKind::Http,
        presence: false,
        room: "lab".to_owned(),
        server: Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/chinwag"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--period" => options.period = Duration::from_millis(value()?.parse()?),
            "--count" => options.count = value()?.parse()?,
            "--poll-interval" => options.poll_interval = Duration::from_millis(value()?.parse()?),
            "--wait" => options.wait_secs = value()?.parse()?,
            "--sender" => {
                options.sender = match value()?.as_str() {
                    "http" => SenderKind::Http,
                    "ws" => SenderKind::WebSocket,
                    other => return Err(format!("--sender is http or ws, not {other}").into()),
                }
            }
            "--presence" => options.presence = true,
            "--room" => options.room = value()?,
            "--server" => options.server = value()?.into(),
            other => return Err(format!("unknown argument {other}; see --help").into()),
        }
    }
    if options.count == 0 || options.count > 100_000 {
        return Err("--count must be between 1 and 100000".into());
    }
    if options.period * u32::try_from(options.count)? > MAX_SENDING
        || options.poll_interval > MAX_SENDING
    {
        return Err("--period × --count and --poll-interval must stay within an hour".into());
    }
    if options.wait_secs == 0 || options.wait_secs > 30 {
        return Err("--wait must be between 1 and 30 (the server's maximum)".into());
    }
    Ok(Some(options))
}

/// Sets the three receivers up, then runs them beside the sender until all is received or
/// the deadline passes.
async fn run(options: &Options, addr: SocketAddr) -> Result<(Sent, Vec<Tally>), BoxError> {
    let clock = Instant::now();
    let ws = timeout(STEP_TIMEOUT, open_socket(addr, &options.room))
        .await
        .map_err(|_| "the WebSocket receiver did not join in time")??;
    let mut long_poll = HttpConn::connect(addr).await?;
    long_poll
        .send("GET", &messages_path(options, 0, true), "")
        .await?;
    let poll = HttpConn::connect(addr).await?;
    timeout(STEP_TIMEOUT, held_long_polls(addr, 1))
        .await
        .map_err(|_| "the long-poll was not counted as waiting in time")??;

    let start = Instant::now() + Duration::from_millis(100);
    let sending = options.period * u32::try_from(options.count)?;
    let deadline = start + sending + options.poll_interval + GRACE;
    let (sent, ws_tally, long_poll_tally, poll_tally) = tokio::join!(
        send_all(options, addr, clock, start),
        receive_socket(ws, options.count, clock, deadline),
        receive_http(options, long_poll, true, clock, deadline),
        receive_http(options, poll, false, clock, deadline),
    );
    Ok((sent, vec![ws_tally, long_poll_tally, poll_tally]))
}

fn messages_path(options: &Options, after: u64, long_poll: bool) -> String {
    let room = &options.room;
    if long_poll {
        format!(
            "/api/rooms/{room}/messages?after={after}&wait={}",
            options.wait_secs
        )
    } else {
        format!("/api/rooms/{room}/messages?after={after}")
    }
}

/// What the sender did.
struct Sent {
    kind: &'static str,
    sent: usize,
    /// Time from sending a message to its confirmation (201 or the `chat` frame), sorted.
    confirm: Vec<Duration>,
    errors: Vec<String>,
}

/// Sends `--count` messages on schedule; each text is `lab <seq> <µs since clock>`.
async fn send_all(options: &Options, addr: SocketAddr, clock: Instant, start: Instant) -> Sent {
    let mut sent = Sent {
        kind: match options.sender {
            SenderKind::Http => "HTTP POST",
            SenderKind::WebSocket => "WebSocket send",
        },
        sent: 0,
        confirm: Vec::with_capacity(options.count),
        errors: Vec::new(),
    };
    let outcome = match options.sender {
        SenderKind::Http => post_all(options, addr, clock, start, &mut sent).await,
        SenderKind::WebSocket => socket_send_all(options, addr, clock, start, &mut sent).await,
    };
    if let Err(err) = outcome {
        sent.errors.push(err.to_string());
    }
    sent.confirm.sort();
    sent
}

fn stamped_text(seq: usize, clock: Instant) -> String {
    format!("lab {seq} {}", clock.elapsed().as_micros())
}

async fn post_all(
    options: &Options,
    addr: SocketAddr,
    clock: Instant,
    start: Instant,
    sent: &mut Sent,
) -> Result<(), BoxError> {
    let mut conn = HttpConn::connect(addr).await?;
    let path = format!("/api/rooms/{}/messages", options.room);
    for seq in 0..options.count {
        sleep_until(start + options.period * u32::try_from(seq)?).await;
        let began = Instant::now();
        let body = json!({
            "username": "lab-sender",
            "message": stamped_text(seq, clock),
            "client_id": format!("lab-{seq}"),
        });
        conn.send("POST", &path, &body.to_string()).await?;
        let (status, answer) = timeout(STEP_TIMEOUT, conn.receive())
            .await
            .map_err(|_| format!("POST {seq} was not answered in time"))??;
        if status != 201 {
            let answer = String::from_utf8_lossy(&answer);
            return Err(format!("POST {seq} answered {status}: {answer}").into());
        }
        sent.confirm.push(began.elapsed());
        sent.sent += 1;
    }
    Ok(())
}

async fn socket_send_all(
    options: &Options,
    addr: SocketAddr,
    clock: Instant,
    start: Instant,
    sent: &mut Sent,
) -> Result<(), BoxError> {
    // The sender sits in a room of its own, so the only `chat` frames it gets are the
    // confirmations of its sends (protocol.md, "Sender confirmation").
    let stream = TcpStream::connect(addr).await?;
    let url = format!("ws://{addr}/socket?room={}-sender", options.room);
    let (mut socket, _) = timeout(STEP_TIMEOUT, client_async(url, stream))
        .await
        .map_err(|_| "the sender's WebSocket did not open in time")??;
    for seq in 0..options.count {
        sleep_until(start + options.period * u32::try_from(seq)?).await;
        let began = Instant::now();
        let client_id = format!("lab-{seq}");
        let frame = json!({
            "type": "send",
            "room": options.room,
            "username": "lab-sender",
            "message": stamped_text(seq, clock),
            "client_id": client_id,
        });
        socket.send(Message::text(frame.to_string())).await?;
        timeout(STEP_TIMEOUT, confirmation(&mut socket, &client_id))
            .await
            .map_err(|_| format!("send {seq} was not confirmed in time"))??;
        sent.confirm.push(began.elapsed());
        sent.sent += 1;
    }
    socket.close(None).await?;
    Ok(())
}

/// Reads frames until the `chat` confirming `client_id`; an `error` frame is an error.
async fn confirmation<S>(socket: &mut WebSocketStream<S>, client_id: &str) -> Result<(), BoxError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let Some(frame) = socket.next().await else {
            return Err("the sender's socket closed".into());
        };
        let Message::Text(text) = frame? else {
            continue;
        };
        match serde_json::from_str::<ServerMsg>(&text)? {
            ServerMsg::Chat(record)
                if record.client_id.as_ref().map(|id| id.as_str()) == Some(client_id) =>
            {
                return Ok(());
            }
            ServerMsg::Error(refusal) => return Err(format!("send refused: {refusal:?}").into()),
            _ => {}
        }
    }
}

/// One receiver's account.
struct Tally {
    name: &'static str,
    /// Send-to-receipt time of each distinct message, sorted at the end.
    latencies: Vec<Duration>,
    seen: HashSet<u64>,
    duplicates: usize,
    out_of_order: usize,
    last_id: u64,
    requests: u64,
    /// HTTP answers that carried no record (`[]`).
    empty: u64,
    bytes_read: u64,
    bytes_written: u64,
    /// Bytes before the first message could arrive (the WebSocket handshake, joined, presence).
    setup_bytes: u64,
    errors: Vec<String>,
}

impl Tally {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            latencies: Vec::new(),
            seen: HashSet::new(),
            duplicates: 0,
            out_of_order: 0,
            last_id: 0,
            requests: 0,
            empty: 0,
            bytes_read: 0,
            bytes_written: 0,
            setup_bytes: 0,
            errors: Vec::new(),
        }
    }

    fn record(&mut self, record: &ChatRecord, clock: Instant) {
        let received = clock.elapsed();
        let Some((seq, sent_us)) = parse_stamp(&record.message) else {
            self.errors
                .push(format!("unexpected message {:?}", record.message));
            return;
        };
        if !self.seen.insert(seq) {
            self.duplicates += 1;
            return;
        }
        if record.id <= self.last_id {
            self.out_of_order += 1;
        }
        self.last_id = self.last_id.max(record.id);
        self.latencies
            .push(received.saturating_sub(Duration::from_micros(sent_us)));
    }

    fn complete(&self, count: usize) -> bool {
        self.seen.len() >= count
    }
}

/// `lab <seq> <µs>` → `(seq, µs)`.
fn parse_stamp(text: &str) -> Option<(u64, u64)> {
    let mut parts = text.split(' ');
    (parts.next()? == "lab").then_some(())?;
    let seq = parts.next()?.parse().ok()?;
    let sent_us = parts.next()?.parse().ok()?;
    Some((seq, sent_us))
}

/// Opens the receiving WebSocket in `room` and reads up to its `presence` frame.
async fn open_socket(
    addr: SocketAddr,
    room: &str,
) -> Result<WebSocketStream<CountingStream>, BoxError> {
    let stream = CountingStream::new(TcpStream::connect(addr).await?);
    let url = format!("ws://{addr}/socket?room={room}&after=0");
    let (mut socket, _) = client_async(url, stream).await?;
    loop {
        let Some(frame) = socket.next().await else {
            return Err("the receiving socket closed while joining".into());
        };
        if let Message::Text(text) = frame?
            && let ServerMsg::Presence { .. } = serde_json::from_str::<ServerMsg>(&text)?
        {
            return Ok(socket);
        }
    }
}

/// Receiver (a): every `chat` frame of the room, as pushed.
async fn receive_socket(
    mut socket: WebSocketStream<CountingStream>,
    count: usize,
    clock: Instant,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::new("websocket");
    tally.requests = 1;
    tally.setup_bytes = socket.get_ref().total();
    while !tally.complete(count) {
        let frame = match timeout_at(deadline, socket.next()).await {
            Err(_) => break,
            Ok(None) => {
                tally.errors.push("the server closed the socket".to_owned());
                break;
            }
            Ok(Some(Err(err))) => {
                tally.errors.push(err.to_string());
                break;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Message::Text(text) = frame else {
            continue;
        };
        match serde_json::from_str::<ServerMsg>(&text) {
            Ok(ServerMsg::Chat(record)) => tally.record(&record, clock),
            Ok(_) => {}
            Err(err) => tally.errors.push(format!("undecodable frame: {err}")),
        }
    }
    let counted = socket.get_ref();
    (tally.bytes_read, tally.bytes_written) = (counted.read, counted.written);
    // Closing is not part of the measurement; a failure here changes no figure.
    let _closed = timeout(STEP_TIMEOUT, socket.close(None)).await;
    tally
}

/// Receivers (b) and (c): ask for records after the newest one held, held by the server
/// (`long_poll`, whose first request is already written) or every `--poll-interval`.
async fn receive_http(
    options: &Options,
    mut conn: HttpConn,
    long_poll: bool,
    clock: Instant,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::new(if long_poll { "long-poll" } else { "poll" });
    let mut after = 0;
    let mut first = true;
    while !tally.complete(options.count) && Instant::now() < deadline {
        if !first && !long_poll {
            sleep_until(deadline.min(Instant::now() + options.poll_interval)).await;
        }
        let step = timeout_at(
            deadline,
            http_cycle(options, &mut conn, long_poll, first && long_poll, after),
        )
        .await;
        first = false;
        let records = match step {
            Err(_) => break,
            Ok(Err(err)) => {
                tally.errors.push(err.to_string());
                break;
            }
            Ok(Ok(records)) => records,
        };
        if records.is_empty() {
            tally.empty += 1;
        }
        for record in &records {
            after = after.max(record.id);
            tally.record(record, clock);
        }
    }
    tally.requests = conn.requests;
    (tally.bytes_read, tally.bytes_written) = (conn.stream.read, conn.stream.written);
    tally
}

/// One cycle of an HTTP follower: presence (with `--presence`), then the messages request.
async fn http_cycle(
    options: &Options,
    conn: &mut HttpConn,
    long_poll: bool,
    already_sent: bool,
    after: u64,
) -> Result<Vec<ChatRecord>, BoxError> {
    if !already_sent {
        if options.presence {
            let path = format!("/api/rooms/{}/presence", options.room);
            conn.send("GET", &path, "").await?;
            expect_ok(conn.receive().await?)?;
        }
        conn.send("GET", &messages_path(options, after, long_poll), "")
            .await?;
    }
    let body = expect_ok(conn.receive().await?)?;
    Ok(serde_json::from_slice(&body)?)
}

fn expect_ok((status, body): (u16, Vec<u8>)) -> Result<Vec<u8>, BoxError> {
    if status != 200 {
        let body = String::from_utf8_lossy(&body);
        return Err(format!("answered {status}: {body}").into());
    }
    Ok(body)
}

/// Waits until the server counts `held` long-polls as waiting.
async fn held_long_polls(addr: SocketAddr, held: u64) -> Result<(), BoxError> {
    loop {
        let mut conn = HttpConn::connect(addr).await?;
        conn.send("GET", "/metrics", "").await?;
        let text = String::from_utf8(expect_ok(conn.receive().await?)?)?;
        let waiting = text
            .lines()
            .find_map(|line| line.strip_prefix("chinwag_long_polls_waiting "))
            .ok_or("/metrics has no chinwag_long_polls_waiting")?;
        if waiting.trim().parse::<f64>()? >= held as f64 {
            return Ok(());
        }
        sleep(Duration::from_millis(10)).await;
    }
}

/// A TCP stream that counts the bytes read from and written to it.
struct CountingStream {
    inner: TcpStream,
    read: u64,
    written: u64,
}

impl CountingStream {
    fn new(inner: TcpStream) -> Self {
        Self {
            inner,
            read: 0,
            written: 0,
        }
    }

    fn total(&self) -> u64 {
        self.read + self.written
    }
}

impl AsyncRead for CountingStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            this.read += (buf.filled().len() - before) as u64;
        }
        poll
    }
}

impl AsyncWrite for CountingStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(written)) = poll {
            this.written += written as u64;
        }
        poll
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A keep-alive HTTP/1.1 connection with hand-written requests; responses are framed by
/// `Content-Length` (the server sets it on every response this lab asks for).
struct HttpConn {
    stream: CountingStream,
    host: String,
    /// Bytes read past the end of the last response.
    buf: Vec<u8>,
    requests: u64,
}

impl HttpConn {
    async fn connect(addr: SocketAddr) -> Result<Self, BoxError> {
        let stream = timeout(STEP_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| "connect timed out")??;
        Ok(Self {
            stream: CountingStream::new(stream),
            host: addr.to_string(),
            buf: Vec::with_capacity(4096),
            requests: 0,
        })
    }

    /// Writes one request; a non-empty `body` is sent as JSON.
    async fn send(&mut self, method: &str, path: &str, body: &str) -> Result<(), BoxError> {
        let host = &self.host;
        let request = if body.is_empty() {
            format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n\r\n")
        } else {
            format!(
                "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        self.stream.write_all(request.as_bytes()).await?;
        self.requests += 1;
        Ok(())
    }

    /// Reads one response: status and body.
    async fn receive(&mut self) -> Result<(u16, Vec<u8>), BoxError> {
        let head_end = loop {
            if let Some(at) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            if self.buf.len() > MAX_HEAD_BYTES {
                return Err("response head too long".into());
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err("the server closed the connection".into());
            }
        };
        let head = std::str::from_utf8(&self.buf[..head_end])?;
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
        while self.buf.len() < head_end + length {
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err("the server closed the connection inside a body".into());
            }
        }
        let rest = self.buf.split_off(head_end + length);
        let body = self.buf.split_off(head_end);
        self.buf = rest;
        Ok((status, body))
    }
}

fn print_report(options: &Options, sent: &Sent, tallies: &[Tally]) {
    println!(
        "{} messages, one every {} ms by {}; poll interval {} ms, long-poll wait {} s{}",
        options.count,
        options.period.as_millis(),
        sent.kind,
        options.poll_interval.as_millis(),
        options.wait_secs,
        if options.presence {
            "; HTTP loops poll presence"
        } else {
            ""
        }
    );
    println!(
        "sender: {} sent, confirmed p50 {:.2} ms, max {:.2} ms",
        sent.sent,
        ms(quantile(&sent.confirm, 0.5)),
        ms(sent.confirm.last().copied().unwrap_or_default())
    );
    for err in &sent.errors {
        println!("sender error: {err}");
    }
    println!(
        "{:<10} {:>9} {:>4} {:>4} {:>5} {:>8} {:>8} {:>8} {:>8} {:>6} {:>8} {:>7} {:>7}",
        "transport",
        "received",
        "lost",
        "dup",
        "order",
        "p50 ms",
        "p95 ms",
        "max ms",
        "requests",
        "empty",
        "bytes",
        "setup B",
        "B/msg"
    );
    let rows: Vec<_> = tallies
        .iter()
        .map(|tally| print_row(options.count, tally))
        .collect();
    let line = json!({
        "tool": "transport_lab",
        "count": options.count,
        "period_ms": options.period.as_millis(),
        "poll_interval_ms": options.poll_interval.as_millis(),
        "wait_secs": options.wait_secs,
        "sender": sent.kind,
        "presence": options.presence,
        "sent": sent.sent,
        "confirm_p50_ms": ms(quantile(&sent.confirm, 0.5)),
        "transports": rows,
    });
    println!("{line}");
}

/// Prints one transport's row of the table and returns its JSON.
fn print_row(count: usize, tally: &Tally) -> serde_json::Value {
    let mut latencies = tally.latencies.clone();
    latencies.sort();
    let received = tally.seen.len();
    let lost = count.saturating_sub(received);
    let total = tally.bytes_read + tally.bytes_written;
    // Setup bytes (handshake, joined, presence) are paid once per connection, not per message.
    let per_message = if received == 0 {
        0.0
    } else {
        total.saturating_sub(tally.setup_bytes) as f64 / received as f64
    };
    let (p50, p95) = (quantile(&latencies, 0.5), quantile(&latencies, 0.95));
    let max = latencies.last().copied().unwrap_or_default();
    println!(
        "{:<10} {:>9} {:>4} {:>4} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>8} {:>6} {:>8} {:>7} {:>7.0}",
        tally.name,
        format!("{received}/{count}"),
        lost,
        tally.duplicates,
        if tally.out_of_order == 0 { "ok" } else { "BAD" },
        ms(p50),
        ms(p95),
        ms(max),
        tally.requests,
        tally.empty,
        total,
        tally.setup_bytes,
        per_message
    );
    for err in &tally.errors {
        println!("  {} error: {err}", tally.name);
    }
    json!({
        "transport": tally.name,
        "received": received,
        "lost": lost,
        "duplicates": tally.duplicates,
        "out_of_order": tally.out_of_order,
        "p50_ms": ms(p50),
        "p95_ms": ms(p95),
        "max_ms": ms(max),
        "requests": tally.requests,
        "empty_responses": tally.empty,
        "bytes_read": tally.bytes_read,
        "bytes_written": tally.bytes_written,
        "setup_bytes": tally.setup_bytes,
        "bytes_per_message": per_message.round(),
        "errors": tally.errors,
    })
}
