//! The transport lab's three receivers and their accounts: a WebSocket that is pushed every
//! record, and two HTTP loops (long-poll, poll) that ask for records after the newest held.
//!
//! Each keeps a [`Tally`]: distinct messages seen, duplicates, ids out of order, latency from
//! the stamp in each text to the moment the record is parsed, requests and bytes. A receiver
//! stops when it has every message, at the deadline, or at its first error (recorded).

use super::{Plan, STEP_TIMEOUT};
use crate::{
    http::{CountingStream, HttpConn},
    stats::{Histogram, round2},
};
use anyhow::{Result, bail};
use chinwag_shared::{ChatRecord, ServerMsg};
use futures_util::StreamExt;
use serde::Serialize;
use std::{collections::HashSet, net::SocketAddr, time::Duration};
use tokio::{
    net::TcpStream,
    time::{Instant, sleep_until, timeout, timeout_at},
};
use tokio_tungstenite::{WebSocketStream, client_async, tungstenite::Message};

/// One receiver's account.
pub struct Tally {
    /// `websocket`, `long-poll` or `poll`.
    pub name: &'static str,
    /// Send-to-receipt time of each distinct message.
    latencies: Histogram,
    /// Sequence numbers of the distinct messages received.
    pub seen: HashSet<u64>,
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
    /// What went wrong, if anything.
    pub errors: Vec<String>,
}

/// One transport's row of the report (and its JSON).
#[derive(Serialize)]
pub struct Figures {
    transport: &'static str,
    #[serde(skip)]
    count: usize,
    received: usize,
    lost: usize,
    duplicates: usize,
    out_of_order: usize,
    p50_ms: f64,
    p95_ms: f64,
    max_ms: f64,
    requests: u64,
    empty_responses: u64,
    bytes_read: u64,
    bytes_written: u64,
    setup_bytes: u64,
    bytes_per_message: f64,
    errors: Vec<String>,
}

impl Tally {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            latencies: Histogram::default(),
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
            .record(received.saturating_sub(Duration::from_micros(sent_us)));
    }

    fn complete(&self, count: usize) -> bool {
        self.seen.len() >= count
    }

    /// The report row, out of `count` messages sent.
    pub fn figures(&self, count: usize) -> Figures {
        let received = self.seen.len();
        let total = self.bytes_read + self.bytes_written;
        // Setup bytes (handshake, joined, presence) are paid once per connection, not per
        // message.
        let per_message = if received == 0 {
            0.0
        } else {
            total.saturating_sub(self.setup_bytes) as f64 / received as f64
        };
        let latency = self.latencies.summary();
        let pick = |f: fn(&crate::stats::LatencySummary) -> f64| latency.as_ref().map_or(0.0, f);
        Figures {
            transport: self.name,
            count,
            received,
            lost: count.saturating_sub(received),
            duplicates: self.duplicates,
            out_of_order: self.out_of_order,
            p50_ms: round2(pick(|s| s.p50)),
            p95_ms: round2(pick(|s| s.p95)),
            max_ms: round2(pick(|s| s.max)),
            requests: self.requests,
            empty_responses: self.empty,
            bytes_read: self.bytes_read,
            bytes_written: self.bytes_written,
            setup_bytes: self.setup_bytes,
            bytes_per_message: per_message.round(),
            errors: self.errors.clone(),
        }
    }
}

/// Prints the table of every transport's figures.
pub fn print_table(rows: &[Figures]) {
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
    for row in rows {
        println!(
            "{:<10} {:>9} {:>4} {:>4} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>8} {:>6} {:>8} {:>7} {:>7.0}",
            row.transport,
            format!("{}/{}", row.received, row.count),
            row.lost,
            row.duplicates,
            if row.out_of_order == 0 { "ok" } else { "BAD" },
            row.p50_ms,
            row.p95_ms,
            row.max_ms,
            row.requests,
            row.empty_responses,
            row.bytes_read + row.bytes_written,
            row.setup_bytes,
            row.bytes_per_message
        );
        for err in &row.errors {
            println!("  {} error: {err}", row.transport);
        }
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
pub async fn open_socket(addr: SocketAddr, room: &str) -> Result<WebSocketStream<CountingStream>> {
    let stream = CountingStream::new(TcpStream::connect(addr).await?);
    let url = format!("ws://{addr}/socket?room={room}&after=0");
    let (mut socket, _) = client_async(url, stream).await?;
    loop {
        let Some(frame) = socket.next().await else {
            bail!("the receiving socket closed while joining");
        };
        if let Message::Text(text) = frame?
            && let ServerMsg::Presence { .. } = serde_json::from_str::<ServerMsg>(&text)?
        {
            return Ok(socket);
        }
    }
}

/// Receiver (a): every `chat` frame of the room, as pushed.
pub async fn receive_socket(
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
pub async fn receive_http(
    plan: &Plan,
    mut conn: HttpConn,
    long_poll: bool,
    clock: Instant,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::new(if long_poll { "long-poll" } else { "poll" });
    let mut after = 0;
    let mut first = true;
    while !tally.complete(plan.count) && Instant::now() < deadline {
        if !first && !long_poll {
            sleep_until(deadline.min(Instant::now() + plan.poll_interval)).await;
        }
        let step = timeout_at(
            deadline,
            http_cycle(plan, &mut conn, long_poll, first && long_poll, after),
        )
        .await;
        first = false;
        let records = match step {
            Err(_) => break,
            Ok(Err(err)) => {
                tally.errors.push(format!("{err:#}"));
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
    plan: &Plan,
    conn: &mut HttpConn,
    long_poll: bool,
    already_sent: bool,
    after: u64,
) -> Result<Vec<ChatRecord>> {
    if !already_sent {
        if plan.presence {
            let path = format!("/api/rooms/{}/presence", plan.room);
            conn.send("GET", &path, "").await?;
            conn.receive().await?.ok_body()?;
        }
        conn.send("GET", &plan.messages_path(after, long_poll), "")
            .await?;
    }
    let body = conn.receive().await?.ok_body()?;
    Ok(serde_json::from_slice(&body)?)
}
