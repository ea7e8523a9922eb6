//! Soak: forty clients, random abrupt disconnects, a client that never reads, a flooder and
//! three resource adversaries, all at once against one server, followed by a strict audit.
//!
//! Forty well-behaved clients share the room `soak`, and eight of them post 4,000-character
//! messages with unique `client_id`s. A chaos task drops random clients' TCP connections without
//! a close frame. Each one reconnects with `after=<last id>` and re-sends its unconfirmed
//! messages unchanged. One client never reads and must be closed as a slow consumer (1013). One
//! floods and must get `rate_limited`, then 1008. Meanwhile, each from an address of its own
//! (see [`adversaries`]): sixteen clients ask for the whole 4.8 MB history of a heavy room and
//! never read it; a room flooder tries to create 200 rooms and must be refused
//! `too_many_new_rooms` past its budget; a hoarder opens 800 long-polls and must be held to its
//! address's caps. Afterwards every well-behaved client must have seen exactly the ids 1..=N in
//! order, and history must hold every confirmed send exactly once. The server's resident memory
//! and descriptors, sampled every 100 ms over the whole run ([`peaks`]), must stay under fixed
//! bounds. Nothing is asserted on timing.
//!
//! Traffic runs about 4 s by default (longer only if the never-reader is not yet closed). Long
//! mode, with the numbers printed:
//! `CHINWAG_SOAK_SECS=120 cargo test -p chinwag-backend --test server soak -- --nocapture`
//!
//! The actors are tasks on the test's current-thread runtime (the test binary's tokio has no
//! multi-thread feature); the server is its own process, so both cores are used.

mod adversaries;
mod peaks;

use crate::{
    raw::{RawClient, Received},
    support::{Client, Server, WAIT, descriptor_count, memory_kib, sample},
};
use adversaries::{HEAVY_MESSAGES, HEAVY_READERS, HEAVY_ROOM, RoomFlood};
use futures_util::{SinkExt, StreamExt, stream::SplitSink, stream::SplitStream};
use serde_json::{Value, json};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
    time::Duration,
};
use tokio::{
    net::TcpStream,
    sync::{Notify, mpsc, oneshot, watch},
    task::JoinHandle,
    time::{Instant, MissedTickBehavior},
};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const ROOM: &str = "soak";
const CLIENTS: usize = 40;
/// The first `SENDERS` clients also post.
const SENDERS: usize = 8;
/// Traffic runs this long at least (`CHINWAG_SOAK_SECS` in long mode)...
const SHORT_TRAFFIC: Duration = Duration::from_secs(4);
/// ...and on until the never-reader is gone, for at most this much longer.
const NEVER_READER_GRACE: Duration = Duration::from_secs(20);
/// 40 messages/s per sender: under `--rate-per-sec 50`, with `--rate-burst 100` for the
/// re-sends after a reconnect.
const SEND_INTERVAL: Duration = Duration::from_millis(25);
/// ~1.3 MB/s through the room: the never-reader's socket buffers (a few MB on loopback, where
/// the kernel sizes them by a 64 KiB segment) and then its outbox fill in about 3 s.
const MESSAGE_CHARS: usize = 4_000;
/// A random client (every other time a sender) is dropped every 100–300 ms.
const DROP_PAUSE_MIN_MS: u64 = 100;
const DROP_PAUSE_SPREAD_MS: u64 = 200;
/// How long after the traffic the clients have to settle before the test fails.
const SETTLE: Duration = Duration::from_secs(90);
/// Events one client may handle in a whole run; far above anything a run produces.
const MAX_EVENTS_PER_CLIENT: u64 = 10_000_000;
const MAX_FLOOD_FRAMES: u64 = 50_000;
const HISTORY_PAGE: usize = 500;
/// Resident memory the server may reach at any moment of the run, in KiB: it peaked at
/// 79–92 MiB (the crowd alone, without the adversaries, at 43–47); pages bounded by count
/// alone would add 77 MB for the heavy room's readers.
const RSS_BOUND_KIB: u64 = 128 * 1024;

/// Per-address caps, at their defaults: the crowd holds about 45 connections from 127.0.0.1 at
/// once (40 members, the never-reader, the flooder, a reconnect or two in flight), far within
/// them, and each resource adversary comes from an address of its own and meets them as an
/// attacker on a deployment would. Stated here because the descriptor bound counts with them.
const CONNECTIONS_PER_IP: usize = 256;
const REQUESTS_PER_IP: usize = 64;
const LONG_POLLS_PER_IP: usize = 32;
/// The new-room budget's defaults (per address: a burst, then a rate per minute), which the
/// room flooder must run into.
const NEW_ROOMS_BURST: u64 = 20;
const NEW_ROOMS_PER_MINUTE: u64 = 6;

/// Generous for the crowd's message rate (40/s per sender, and re-sends after a reconnect),
/// tight for slow consumers (256 frames); every other bound as deployed.
fn flags() -> Vec<String> {
    [
        ("--rate-per-sec", 50),
        ("--rate-burst", 100),
        ("--outbox-frames", 256),
        ("--max-connections-per-ip", CONNECTIONS_PER_IP),
        ("--max-requests-per-ip", REQUESTS_PER_IP),
        ("--max-long-polls-per-ip", LONG_POLLS_PER_IP),
        (
            "--new-rooms-burst",
            usize::try_from(NEW_ROOMS_BURST).unwrap(),
        ),
        (
            "--new-rooms-per-minute",
            usize::try_from(NEW_ROOMS_PER_MINUTE).unwrap(),
        ),
    ]
    .into_iter()
    .flat_map(|(flag, value)| [flag.to_owned(), value.to_string()])
    .collect()
}

/// Descriptors the server may hold at its peak beyond those it had at start: what the caps
/// let each party hold, plus slack.
fn descriptor_allowance() -> usize {
    // Each member's socket, and another while its reconnect overlaps the old one's close; the
    // never-reader, the flooder, the heavy room's fillers, the probe and the test's requests.
    let crowd = 2 * CLIENTS + 10;
    // Fewer than any cap of their addresses, so each holds all it opened.
    let heavy_readers = HEAVY_READERS;
    let room_flooder = 2;
    // The hoarder opens far more: its address's TCP cap is what bounds it.
    let hoarder = CONNECTIONS_PER_IP + REQUESTS_PER_IP;
    // SQLite opens its eight pooled readers lazily (a database and a WAL descriptor each),
    // and an over-cap connection is held for a moment while it is answered 429.
    let slack = 64;
    crowd + heavy_readers + room_flooder + hoarder + slack
}

/// Rooms one address may have created by `elapsed` into its budget, rounding the refill up.
fn new_room_budget(elapsed: Duration) -> u64 {
    NEW_ROOMS_BURST + NEW_ROOMS_PER_MINUTE * elapsed.as_secs() / 60 + 1
}

/// Timing shared by every actor.
#[derive(Debug, Clone, Copy)]
struct Plan {
    started: Instant,
    /// The earliest end of the traffic.
    traffic_min_end: Instant,
    /// The latest end of the traffic.
    traffic_max_end: Instant,
    /// Every client has settled by then, or the test fails.
    settle_end: Instant,
    sends_per_sender: u64,
}

impl Plan {
    /// Messages one sender may post in the longest possible traffic.
    fn sends_per_sender(traffic: Duration) -> u64 {
        let longest = (traffic + NEVER_READER_GRACE).as_millis() / SEND_INTERVAL.as_millis();
        u64::try_from(longest).expect("a sane duration") + 10
    }

    fn starting_now(traffic: Duration) -> Plan {
        let started = Instant::now();
        Plan {
            started,
            traffic_min_end: started + traffic,
            traffic_max_end: started + traffic + NEVER_READER_GRACE,
            settle_end: started + traffic + NEVER_READER_GRACE + SETTLE,
            sends_per_sender: Self::sends_per_sender(traffic),
        }
    }
}

/// How the test steers a member and hears back from it.
struct Wiring {
    /// A message here: drop the connection now.
    drops: mpsc::Receiver<()>,
    /// Whether the traffic is still on.
    traffic: watch::Receiver<bool>,
    /// The room's last id, once nothing more can be stored.
    final_id: watch::Receiver<Option<u64>>,
    /// A sender reports its confirmed `client_id`s here once all are confirmed.
    done: mpsc::Sender<HashMap<String, u64>>,
}

/// What one well-behaved client saw.
#[derive(Debug, Default)]
struct Audit {
    name: String,
    /// Highest id delivered in sequence; every id up to it was delivered exactly once.
    last: u64,
    delivered: u64,
    /// Answers to re-sent `client_id`s that repeat a record: the protocol allows one per
    /// re-send.
    retry_echoes: u64,
    /// Messages re-sent after a reconnect.
    resent: usize,
    drops: u32,
    /// Server closes by code (`"eof"`: the connection ended without a close frame).
    closes: BTreeMap<String, u32>,
    never_reader_left_after: Option<Duration>,
    violations: Vec<String>,
}

impl Audit {
    fn violation(&mut self, what: String) {
        if self.violations.len() < 20 {
            self.violations.push(what);
        }
    }
}

/// A sender's messages, by sequence number; `client_id` is `{prefix}{seq}`.
#[derive(Debug, Default)]
struct Outgoing {
    prefix: String,
    next_seq: u64,
    pending: BTreeSet<u64>,
    /// Re-sends whose answer may still repeat a record, by `client_id`.
    unanswered_resends: HashMap<String, u32>,
    confirmed: HashMap<String, u64>,
}

impl Outgoing {
    fn client_id(&self, seq: u64) -> String {
        format!("{}{seq}", self.prefix)
    }

    fn is_own(&self, client_id: &str) -> bool {
        client_id.starts_with(&self.prefix)
    }

    /// Records that `client_id` is stored as `id`; the same id every time it comes back.
    fn confirm(&mut self, client_id: &str, id: u64, audit: &mut Audit) {
        let seq = client_id
            .strip_prefix(&self.prefix)
            .and_then(|seq| seq.parse().ok());
        if seq.is_some_and(|seq| self.pending.remove(&seq)) {
            self.confirmed.insert(client_id.to_owned(), id);
            return;
        }
        match self.confirmed.get(client_id) {
            Some(&known) if known == id => {}
            Some(known) => audit.violation(format!("{client_id} stored as {known} and as {id}")),
            None => audit.violation(format!("{client_id} confirmed but never sent")),
        }
    }
}

/// The text posted under `client_id`, so history can be checked against it.
fn text_for(client_id: &str) -> String {
    let mut text = format!("{client_id}:");
    while text.len() < MESSAGE_CHARS {
        text.push_str(" the quick brown fox jumps over the lazy dog");
    }
    text.truncate(MESSAGE_CHARS);
    text
}

/// Like the browser, each member presents its own token, so a reconnect that reaches the
/// server before it has noticed the dropped socket keeps the member's name.
fn member_url(socket_url: &str, name: &str, after: u64) -> String {
    format!("{socket_url}?room={ROOM}&after={after}&username={name}&token={name}-token")
}

async fn connect(url: &str) -> Ws {
    tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("connected in time")
        .expect("websocket handshake")
        .0
}

/// One socket of a member. Reads happen here and writes in a task of their own, as in a
/// browser: a client that stopped reading while one of its writes is blocked would deadlock
/// with a server that does the same.
struct Connection {
    frames: SplitStream<Ws>,
    writes: mpsc::Sender<Message>,
    writer: JoinHandle<()>,
}

impl Connection {
    /// Opens `url`; `max_writes` bounds the frames ever queued on this socket.
    async fn open(url: &str, max_writes: usize) -> Connection {
        let (mut sink, frames) = connect(url).await.split();
        let (writes, mut queue) = mpsc::channel(max_writes);
        let writer = tokio::spawn(async move {
            while let Some(message) = queue.recv().await {
                if sink.send(message).await.is_err() {
                    return; // the read side sees the broken socket and reconnects
                }
            }
        });
        Connection {
            frames,
            writes,
            writer,
        }
    }

    /// Queues `message`. Only a dead writer refuses one (the queue holds every frame a member
    /// ever sends); the message then stays pending with its sender, which re-sends it after
    /// the reconnect the broken socket leads to.
    fn send(&self, message: Message) {
        self.writes.try_send(message).ok();
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.writer.abort();
    }
}

/// A well-behaved client: reads everything, resumes after every disconnect, and (if it is a
/// sender) re-sends what was not confirmed with the same `client_id`.
struct Member {
    socket_url: String,
    conn: Connection,
    max_writes: usize,
    awaiting_joined: bool,
    outgoing: Option<Outgoing>,
    audit: Audit,
    /// When the traffic started, for reporting when things happened.
    started: Instant,
    never_reader_left: Arc<Notify>,
}

impl Member {
    async fn join(
        socket_url: &str,
        index: usize,
        max_writes: usize,
        never_reader_left: Arc<Notify>,
    ) -> Member {
        let name = format!("wb-{index}");
        let mut member = Member {
            socket_url: socket_url.to_owned(),
            conn: Connection::open(&member_url(socket_url, &name, 0), max_writes).await,
            max_writes,
            awaiting_joined: true,
            outgoing: (index < SENDERS).then(|| Outgoing {
                prefix: format!("s{index}-"),
                ..Outgoing::default()
            }),
            audit: Audit {
                name,
                ..Audit::default()
            },
            started: Instant::now(),
            never_reader_left,
        };
        for _ in 0..100 {
            if !member.awaiting_joined {
                return member;
            }
            let message = tokio::time::timeout(WAIT, member.conn.frames.next())
                .await
                .expect("joined in time");
            member.on_message(message).await;
        }
        panic!("{}: no joined frame", member.audit.name);
    }

    async fn run(mut self, plan: Plan, wiring: Wiring) -> Audit {
        let Wiring {
            mut drops,
            traffic: mut traffic_on,
            mut final_id,
            done,
        } = wiring;
        self.started = plan.started;
        let mut tick = tokio::time::interval(SEND_INTERVAL);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut reported = self.outgoing.is_none();
        for _ in 0..MAX_EVENTS_PER_CLIENT {
            let traffic = *traffic_on.borrow();
            if let Some(outgoing) = self.outgoing.as_ref().filter(|out| out.pending.is_empty())
                && !traffic
                && !reported
            {
                reported = true;
                done.send(outgoing.confirmed.clone())
                    .await
                    .expect("the test awaits every sender's report");
            }
            let final_known = *final_id.borrow();
            if final_known.is_some_and(|last_id| self.audit.last >= last_id) {
                return self.audit;
            }
            let can_send = traffic
                && !self.awaiting_joined
                && self
                    .outgoing
                    .as_ref()
                    .is_some_and(|out| out.next_seq < plan.sends_per_sender);
            tokio::select! {
                () = tokio::time::sleep_until(plan.settle_end) => panic!(
                    "{}: not settled in time: at id {}, final id {final_known:?}, pending {:?}",
                    self.audit.name,
                    self.audit.last,
                    self.outgoing.as_ref().map(|out| &out.pending),
                ),
                Some(()) = drops.recv(), if traffic => self.drop_mid_send(can_send).await,
                _ = tick.tick(), if can_send => self.send_next(),
                changed = traffic_on.changed(), if traffic => {
                    changed.expect("the test keeps the traffic switch");
                }
                changed = final_id.changed(), if final_known.is_none() => {
                    changed.expect("the test keeps the final id's sender");
                }
                message = self.conn.frames.next() => self.on_message(message).await,
            }
        }
        panic!(
            "{}: more than {MAX_EVENTS_PER_CLIENT} events",
            self.audit.name
        );
    }

    /// Cuts the connection; a sender does it with a message in flight, which is re-sent
    /// under the same `client_id` after the reconnect. Every other time that message never
    /// left (the re-send stores it); otherwise it was written, so the old session usually
    /// stored it and the re-send is answered as a duplicate.
    async fn drop_mid_send(&mut self, can_send: bool) {
        self.audit.drops += 1;
        if can_send {
            self.send_next();
            if self.audit.drops.is_multiple_of(2) {
                tokio::task::yield_now().await; // lets the writer task put it on the wire
            }
        }
        self.reconnect().await;
    }

    /// Drops the socket without a close frame, resumes after the last id seen, and re-sends
    /// every unconfirmed message at once, without waiting for the replay.
    async fn reconnect(&mut self) {
        self.conn.writer.abort(); // what was not written yet never will be
        let url = member_url(&self.socket_url, &self.audit.name, self.audit.last);
        self.conn = Connection::open(&url, self.max_writes).await;
        self.awaiting_joined = true;
        let Some(outgoing) = self.outgoing.as_mut() else {
            return;
        };
        let unconfirmed: Vec<String> = outgoing
            .pending
            .iter()
            .map(|&seq| outgoing.client_id(seq))
            .collect();
        for client_id in &unconfirmed {
            *outgoing
                .unanswered_resends
                .entry(client_id.clone())
                .or_default() += 1;
        }
        self.audit.resent += unconfirmed.len();
        for client_id in unconfirmed {
            self.send_chat(&client_id);
        }
    }

    async fn on_message(
        &mut self,
        message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) {
        match message {
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(&text).expect("server JSON");
                self.on_frame(&frame);
            }
            Some(Ok(Message::Close(close))) => {
                let code = close.map_or(0, |close| u16::from(close.code));
                *self.audit.closes.entry(code.to_string()).or_default() += 1;
                if code != 1013 {
                    self.audit
                        .violation(format!("closed with {code}; only 1013 is expected"));
                }
                self.reconnect().await;
            }
            Some(Ok(Message::Binary(_))) => {
                self.audit.violation("a binary frame".to_owned());
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => {
                *self.audit.closes.entry("eof".to_owned()).or_default() += 1;
                self.audit
                    .violation("the server ended the connection without a close frame".into());
                self.reconnect().await;
            }
        }
    }

    fn on_frame(&mut self, frame: &Value) {
        match frame["type"].as_str() {
            Some("chat") => self.on_chat(frame),
            Some("joined") => self.on_joined(frame),
            Some("user_left") if frame["username"] == "never-reader" => {
                self.audit.never_reader_left_after = Some(self.started.elapsed());
                self.never_reader_left.notify_one();
            }
            Some("error") => self.audit.violation(format!("refused: {frame}")),
            _ => {}
        }
    }

    /// Counts `frame` if it is the next id; otherwise it must be the answer to a re-send.
    fn on_chat(&mut self, frame: &Value) {
        let id = frame["id"].as_u64().expect("chat id is a u64");
        if frame["room"] != ROOM {
            self.audit
                .violation(format!("a chat frame of another room: {id}"));
            return;
        }
        let own = frame["client_id"]
            .as_str()
            .filter(|client_id| self.outgoing.as_ref().is_some_and(|o| o.is_own(client_id)));
        if let (Some(outgoing), Some(client_id)) = (self.outgoing.as_mut(), own) {
            outgoing.confirm(client_id, id, &mut self.audit);
        }
        if id == self.audit.last + 1 {
            self.audit.last = id;
            self.audit.delivered += 1;
        } else if let Some(unanswered) = own
            .and_then(|client_id| {
                self.outgoing
                    .as_mut()?
                    .unanswered_resends
                    .get_mut(client_id)
            })
            .filter(|unanswered| **unanswered > 0)
        {
            // Protocol §6: the answer to a retried client_id may repeat a record, out of order.
            *unanswered -= 1;
            self.audit.retry_echoes += 1;
        } else {
            let expected = self.audit.last + 1;
            self.audit
                .violation(format!("expected id {expected}, got {id}"));
        }
    }

    fn on_joined(&mut self, frame: &Value) {
        if !self.awaiting_joined {
            self.audit.violation(format!("an unasked-for {frame}"));
            return;
        }
        self.awaiting_joined = false;
        let last_id = frame["last_id"].as_u64().expect("joined.last_id is a u64");
        if last_id != self.audit.last {
            self.audit.violation(format!(
                "joined.last_id {last_id} after a replay up to {}",
                self.audit.last
            ));
        }
    }

    fn send_next(&mut self) {
        let Some(outgoing) = self.outgoing.as_mut() else {
            return;
        };
        let seq = outgoing.next_seq;
        outgoing.next_seq += 1;
        outgoing.pending.insert(seq);
        let client_id = outgoing.client_id(seq);
        self.send_chat(&client_id);
    }

    fn send_chat(&self, client_id: &str) {
        let frame = json!({
            "type": "send", "room": ROOM, "message": text_for(client_id), "client_id": client_id,
        });
        self.conn.send(Message::text(frame.to_string()));
    }
}

/// Drops a random well-behaved client's connection every so often until the traffic ends.
async fn chaos(
    drops: Vec<mpsc::Sender<()>>,
    traffic: watch::Receiver<bool>,
    traffic_max_end: Instant,
    max_drops: u64,
) -> u64 {
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let clients = u64::try_from(drops.len()).expect("a few clients");
    let senders = u64::try_from(SENDERS).expect("a few senders");
    let mut dropped = 0;
    while *traffic.borrow() && Instant::now() < traffic_max_end && dropped < max_drops {
        let pause = DROP_PAUSE_MIN_MS + dice.below(DROP_PAUSE_SPREAD_MS);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        // Every other drop cuts a sender, so re-sends happen in every run.
        let among = if dropped.is_multiple_of(2) {
            senders
        } else {
            clients
        };
        let victim = usize::try_from(dice.below(among)).expect("an index");
        if drops[victim].try_send(()).is_ok() {
            dropped += 1;
        }
    }
    dropped
}

/// A fixed-seed xorshift, so every run drops the same sequence of clients.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What the flooder got back.
#[derive(Debug, Default)]
struct Flood {
    frames_sent: u64,
    refused: u64,
    accepted: HashMap<String, u64>,
    /// The close frame's code; `None` when the connection ended without one.
    close: Option<u16>,
}

/// Posts to the room as fast as the socket takes it, from its own room, until closed.
async fn flood(url: String, start_at: Instant) -> Flood {
    tokio::time::sleep_until(start_at).await;
    let (mut sink, stream) = connect(&url).await.split();
    let mut reader = tokio::spawn(read_flood(stream));
    let mut frames_sent = 0;
    let mut flood = tokio::select! {
        flood = &mut reader => flood.expect("flood reader"),
        () = write_flood(&mut sink, &mut frames_sent) => reader.await.expect("flood reader"),
    };
    flood.frames_sent = frames_sent;
    flood
}

async fn write_flood(sink: &mut SplitSink<Ws, Message>, frames_sent: &mut u64) {
    for n in 0..MAX_FLOOD_FRAMES {
        let frame = json!({
            "type": "send", "room": ROOM, "username": "flooder",
            "message": format!("flood {n}"), "client_id": format!("flood-{n}"),
        });
        match tokio::time::timeout(WAIT, sink.send(Message::text(frame.to_string()))).await {
            Ok(Ok(())) => *frames_sent += 1,
            Ok(Err(_)) | Err(_) => return,
        }
    }
}

async fn read_flood(mut stream: SplitStream<Ws>) -> Flood {
    let mut flood = Flood::default();
    for _ in 0..MAX_FLOOD_FRAMES * 2 {
        let message = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("the flooder heard from the server in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(&text).expect("server JSON");
                let client_id = frame["client_id"].as_str().unwrap_or_default().to_owned();
                match frame["type"].as_str() {
                    Some("error") if frame["code"] == "rate_limited" => flood.refused += 1,
                    Some("chat") => {
                        let id = frame["id"].as_u64().expect("chat id is a u64");
                        flood.accepted.insert(client_id, id);
                    }
                    _ => {}
                }
            }
            Some(Ok(Message::Close(close))) => {
                flood.close = close.map(|close| u16::from(close.code));
                return flood;
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return flood,
        }
    }
    flood
}

/// Reads what the server buffered for a client that never read: the close frame must be last.
async fn drain(raw: &mut RawClient) -> (u64, Received) {
    let mut buffered = 0;
    for _ in 0..1_000_000 {
        match raw.receive().await {
            Received::Text(_) => buffered += 1,
            end => return (buffered, end),
        }
    }
    panic!("a never-ending stream for a client that never read");
}

async fn room_last_id(server: &Server, room: &str) -> u64 {
    let (status, rooms) = server.get_json("/api/rooms").await;
    assert_eq!(status, 200, "{rooms}");
    rooms
        .as_array()
        .expect("a list of rooms")
        .iter()
        .find(|listed| listed["room"] == room)
        .and_then(|listed| listed["last_id"].as_u64())
        .unwrap_or_else(|| panic!("{room} is listed"))
}

/// Every stored record of the room, paged forward with `after=`.
async fn history(server: &Server, last_id: u64) -> Vec<Value> {
    let mut records = Vec::new();
    let mut after = 0;
    // Pages of at least 64 records (the byte budget over the longest soak message).
    let pages = last_id / 64 + 2;
    for _ in 0..pages {
        let path = format!("/api/rooms/{ROOM}/messages?after={after}&limit={HISTORY_PAGE}");
        let (status, page) = server.get_json(&path).await;
        assert_eq!(status, 200, "{page}");
        let page = page.as_array().expect("a page of records").clone();
        // A page may stop short of `limit` at the server's byte budget, so the end is the
        // last id, not a short page.
        let Some(last) = page.last() else {
            return records;
        };
        after = last["id"].as_u64().expect("record id is a u64");
        records.extend(page);
        if after >= last_id {
            return records;
        }
    }
    panic!("history did not end within {pages} pages");
}

/// The `client_id` a stored text was sent with. History shows nobody's `client_id` (only a
/// sender's own confirmation does), so every text here names its own: `text_for` starts
/// with it, and the flooder's `flood {n}` went as `flood-{n}`.
fn client_id_of(text: &str) -> String {
    match text.strip_prefix("flood ") {
        Some(n) => format!("flood-{n}"),
        None => text.split_once(':').map_or(text, |(id, _)| id).to_owned(),
    }
}

/// Checks the stored log against what was confirmed: ids 1..=N, each `client_id` once, and
/// exactly the confirmed sends, each at the id its sender was told.
fn audit_history(records: &[Value], last_id: u64, confirmed: &HashMap<String, u64>) {
    let ids: Vec<u64> = records.iter().filter_map(|r| r["id"].as_u64()).collect();
    assert!(
        ids.iter().copied().eq(1..=last_id),
        "history holds ids 1..={last_id} in order ({} records)",
        ids.len()
    );
    let mut stored = HashMap::new();
    for record in records {
        assert!(
            record.get("client_id").is_none(),
            "history shows no ids: {record}"
        );
        let text = record["message"].as_str().expect("a record has text");
        let client_id = &client_id_of(text);
        let id = record["id"].as_u64().expect("record id is a u64");
        let previous = stored.insert(client_id.to_owned(), id);
        assert_eq!(
            previous, None,
            "{client_id} is stored twice: {previous:?} and {id}"
        );
        if !client_id.starts_with("flood-") {
            assert_eq!(
                record["message"],
                text_for(client_id),
                "text of {client_id}"
            );
        }
    }
    let unconfirmed: Vec<_> = stored
        .keys()
        .filter(|id| !confirmed.contains_key(*id))
        .collect();
    assert!(
        unconfirmed.is_empty(),
        "stored, never confirmed: {unconfirmed:?}"
    );
    for (client_id, id) in confirmed {
        assert_eq!(
            stored.get(client_id),
            Some(id),
            "{client_id} stored where confirmed"
        );
    }
}

fn traffic_duration() -> Duration {
    std::env::var("CHINWAG_SOAK_SECS").map_or(SHORT_TRAFFIC, |secs| {
        Duration::from_secs(
            secs.parse()
                .expect("CHINWAG_SOAK_SECS is a number of seconds"),
        )
    })
}

/// Every actor of a run, started, and the test's ends of their wiring.
struct Crowd {
    clients: Vec<JoinHandle<Audit>>,
    reports: mpsc::Receiver<HashMap<String, u64>>,
    traffic: watch::Sender<bool>,
    final_id: watch::Sender<Option<u64>>,
    chaos: JoinHandle<u64>,
    flooder: JoinHandle<Flood>,
    /// The resource adversaries (see [`adversaries`]).
    heavy_readers: JoinHandle<usize>,
    room_flooder: JoinHandle<RoomFlood>,
    hoarder: JoinHandle<usize>,
    /// Fires once the hoarder has written all its long-polls.
    hoard_opened: Option<oneshot::Receiver<()>>,
}

/// What the crowd did once the traffic stopped and nothing more could be stored.
struct Quiesced {
    /// Every `client_id` the server confirmed (crowd and flooder) → its id.
    confirmed: HashMap<String, u64>,
    flood: Flood,
    drops: u64,
    heavy_readers: usize,
    room_flood: RoomFlood,
    polls_hoarded: usize,
}

impl Crowd {
    fn start(server: &Server, plan: Plan, members: Vec<Member>) -> Crowd {
        let (traffic, traffic_rx) = watch::channel(true);
        let (final_id, final_id_rx) = watch::channel(None);
        let (done, reports) = mpsc::channel(SENDERS);
        let mut drop_switches = Vec::new();
        let mut clients = Vec::new();
        for member in members {
            let (switch, drops) = mpsc::channel(1);
            drop_switches.push(switch);
            let wiring = Wiring {
                drops,
                traffic: traffic_rx.clone(),
                final_id: final_id_rx.clone(),
                done: done.clone(),
            };
            clients.push(tokio::spawn(member.run(plan, wiring)));
        }
        // A bound on the count; at ~5 drops a second the end of the traffic comes first.
        let max_drops = plan.sends_per_sender;
        let chaos = chaos(drop_switches, traffic_rx, plan.traffic_max_end, max_drops);
        let flood_url = server.ws_url("?room=flood&username=flooder");
        let flood_at = plan.started + (plan.traffic_min_end - plan.started) / 4;
        let (opened, hoard_opened) = oneshot::channel();
        let hoard = adversaries::hoard_long_polls(
            server.addr,
            ROOM,
            opened,
            traffic.subscribe(),
            plan.traffic_max_end,
        );
        let heavy_readers = adversaries::read_heavy_history_unread(
            server.addr,
            traffic.subscribe(),
            plan.traffic_max_end,
        );
        Crowd {
            clients,
            reports,
            traffic,
            final_id,
            chaos: tokio::spawn(chaos),
            flooder: tokio::spawn(flood(flood_url, flood_at)),
            heavy_readers: tokio::spawn(heavy_readers),
            room_flooder: tokio::spawn(adversaries::flood_rooms(server.addr)),
            hoarder: tokio::spawn(hoard),
            hoard_opened: Some(hoard_opened),
        }
    }

    /// The long-polls the server holds once the hoarder has written all of its own: waits
    /// until the count reaches the address's cap (or [`WAIT`] passes), then reads it.
    async fn long_polls_held(&mut self, server: &Server, plan: Plan) -> f64 {
        let opened = self.hoard_opened.take().expect("asked once");
        tokio::time::timeout_at(plan.traffic_max_end, opened)
            .await
            .expect("the hoarder opened its long-polls during the traffic")
            .expect("the hoarder reported");
        #[allow(
            clippy::cast_precision_loss,
            reason = "a small count is exact in an f64"
        )]
        let cap = LONG_POLLS_PER_IP as f64;
        let deadline = Instant::now() + WAIT;
        // The server takes the requests in as it gets to them; a reading at most every 50 ms
        // for at most WAIT.
        for _ in 0..WAIT.as_millis() / 50 {
            let (_, metrics) = server.get_text("/metrics").await;
            let waiting = sample(&metrics, "chinwag_long_polls_waiting");
            if waiting >= cap || Instant::now() >= deadline {
                return waiting;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (_, metrics) = server.get_text("/metrics").await;
        sample(&metrics, "chinwag_long_polls_waiting")
    }

    /// Stops the traffic and waits until nothing more can be stored: every sender holds a
    /// confirmation for each of its messages (a late retry of a stored `client_id` gets no
    /// new id) and the flooder is closed.
    async fn quiesce(&mut self, plan: Plan) -> Quiesced {
        self.traffic.send(false).unwrap();
        let mut confirmed = HashMap::new();
        for _ in 0..SENDERS {
            let report = tokio::time::timeout_at(plan.settle_end, self.reports.recv())
                .await
                .expect("every sender had its messages confirmed in time")
                .expect("a sender reported");
            confirmed.extend(report);
        }
        let flood = (&mut self.flooder).await.unwrap();
        confirmed.extend(flood.accepted.clone());
        let drops = (&mut self.chaos).await.unwrap();
        Quiesced {
            confirmed,
            flood,
            drops,
            heavy_readers: (&mut self.heavy_readers).await.unwrap(),
            room_flood: (&mut self.room_flooder).await.unwrap(),
            polls_hoarded: (&mut self.hoarder).await.unwrap(),
        }
    }

    /// Tells every member the room's last id and collects what each saw once it has it.
    async fn settle(self, last_id: u64) -> Vec<Audit> {
        self.final_id.send(Some(last_id)).unwrap();
        let mut audits = Vec::new();
        for client in self.clients {
            audits.push(client.await.unwrap());
        }
        audits
    }
}

#[tokio::test]
async fn soak_with_drops_slow_readers_floods_and_hoarders_loses_nothing_and_stays_bounded() {
    let traffic = traffic_duration();
    let dir = tempfile::tempdir().unwrap();
    let flags = flags();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let server = Server::start_with(dir.path(), &flags).await;
    let descriptors_start = descriptor_count(server.pid());
    let (stop_sampling, sampling) = watch::channel(false);
    let whole_run = traffic + NEVER_READER_GRACE + SETTLE + Duration::from_secs(120);
    let sampler = tokio::spawn(peaks::sample_peaks(
        server.pid(),
        sampling,
        Instant::now() + whole_run,
    ));
    let filling = Instant::now();
    adversaries::fill_heavy_room(|query| server.ws_url(query)).await;
    let filled_in = filling.elapsed();
    assert_eq!(
        room_last_id(&server, HEAVY_ROOM).await,
        HEAVY_MESSAGES,
        "the heavy room is filled"
    );
    // A socket carries at most every new send plus one re-send of each.
    let max_writes = usize::try_from(Plan::sends_per_sender(traffic) * 2).unwrap();
    let never_reader_left = Arc::new(Notify::new());
    let mut members = Vec::new();
    for index in 0..CLIENTS {
        let left = Arc::clone(&never_reader_left);
        members.push(Member::join(&server.ws_url(""), index, max_writes, left).await);
    }
    let mut never_reader =
        RawClient::open_with_small_buffer(&server, "?room=soak&username=never-reader").await;
    let rss_start = memory_kib(server.pid(), "VmRSS");

    let plan = Plan::starting_now(traffic);
    let mut crowd = Crowd::start(&server, plan, members);
    let long_polls_held = crowd.long_polls_held(&server, plan).await;
    tokio::time::sleep_until(plan.traffic_min_end).await;
    // The traffic goes on until the never-reader's session is gone (its name leaves the room).
    let never_reader_gone =
        tokio::time::timeout_at(plan.traffic_max_end, never_reader_left.notified())
            .await
            .is_ok();
    let traffic_ran = plan.started.elapsed();
    let Quiesced {
        confirmed,
        flood,
        drops,
        heavy_readers,
        room_flood,
        polls_hoarded,
    } = crowd.quiesce(plan).await;
    let last_id = room_last_id(&server, ROOM).await;
    let audits = crowd.settle(last_id).await;
    let settled = plan.started.elapsed();

    let records = history(&server, last_id).await;
    let (mut probe, _) = Client::join(&server.ws_url("?room=soak")).await;
    let present = probe.recv_type("presence").await["users"].clone();
    let (buffered, never_reader_end) = drain(&mut never_reader).await;
    let rss_end = memory_kib(server.pid(), "VmRSS");
    stop_sampling.send(true).unwrap();
    let peaks = sampler.await.unwrap();
    let rss_peak = memory_kib(server.pid(), "VmHWM").max(peaks.rss_kib);
    let rooms_listed = rooms_listed(&server).await;

    let mut closes = BTreeMap::new();
    for (code, count) in audits.iter().flat_map(|audit| &audit.closes) {
        *closes.entry(code.clone()).or_insert(0) += count;
    }
    let never_reader_left_after = audits
        .iter()
        .filter_map(|a| a.never_reader_left_after)
        .min();
    let retry_echoes: u64 = audits.iter().map(|a| a.retry_echoes).sum();
    let resent: usize = audits.iter().map(|a| a.resent).sum();
    let sender_drops: u32 = audits.iter().take(SENDERS).map(|a| a.drops).sum();
    eprintln!(
        "soak: traffic ran {traffic_ran:?} (at least {traffic:?}), all settled after {settled:?}; \
         room {ROOM} ends at id {last_id} ({} from the flooder)",
        flood.accepted.len()
    );
    eprintln!(
        "soak: {drops} abrupt drops ({sender_drops} of senders); server closes of the crowd \
         {closes:?}; {resent} messages re-sent, {retry_echoes} retry echoes"
    );
    eprintln!(
        "soak: flooder sent {} frames, {} refused as rate_limited, close {:?}",
        flood.frames_sent, flood.refused, flood.close
    );
    eprintln!(
        "soak: never-reader left the room after {never_reader_left_after:?} (before the \
         traffic's latest end: {never_reader_gone}); {buffered} frames were buffered for it, \
         then {never_reader_end:?}; in the room at the end: {present}"
    );
    eprintln!(
        "soak: heavy room filled with {HEAVY_MESSAGES} messages in {filled_in:?}; \
         {heavy_readers} of its readers never read; the hoarder held {polls_hoarded} \
         connections, of which the server kept {long_polls_held} long-polls waiting"
    );
    eprintln!(
        "soak: room flooder tried {} rooms: {} created, {} refused too_many_new_rooms, \
         other answers {:?}; {rooms_listed} rooms listed",
        room_flood.attempts, room_flood.created, room_flood.refused, room_flood.other
    );
    eprintln!(
        "soak: server VmRSS {rss_start} KiB at start, {rss_end} KiB at end, peak {rss_peak} KiB \
         (bound {RSS_BOUND_KIB}); descriptors {descriptors_start} at start, peak {} (bound {}); \
         {} samples",
        peaks.descriptors,
        descriptors_start + descriptor_allowance(),
        peaks.samples
    );

    for audit in &audits {
        assert!(
            audit.violations.is_empty(),
            "{} ({} drops, {} delivered): {:#?}",
            audit.name,
            audit.drops,
            audit.delivered,
            audit.violations
        );
        assert_eq!(audit.last, last_id, "{} saw every id", audit.name);
        assert_eq!(audit.delivered, last_id, "{} saw each id once", audit.name);
    }
    audit_history(&records, last_id, &confirmed);
    assert!(flood.refused > 0, "the flooder was told rate_limited");
    assert_eq!(flood.close, Some(1008), "the flooder was closed for abuse");
    let users = present.as_array().expect("presence lists users");
    assert!(
        !users.contains(&json!("never-reader")),
        "the never-reader's session ended: {present}"
    );
    // The server closed it as a slow consumer. If the test read it within the idle timeout
    // it finds the 1013 behind its backlog; in a long run it may not have, and then the server
    // cut the socket off (discarding the backlog and the close frame) rather than keep it.
    // Members too slow for the room (the test's one thread serves forty of them) are closed
    // 1013 as well and resume, and the heavy room's socket readers may be by now.
    let (_, metrics) = server.get_text("/metrics").await;
    let slow_closes = sample(
        &metrics,
        "chinwag_server_closes_total{reason=\"slow_consumer\"}",
    );
    let crowd_slow = closes.get("1013").copied().unwrap_or(0);
    #[allow(
        clippy::cast_precision_loss,
        reason = "small counts are exact in an f64"
    )]
    let (least, most) = (
        f64::from(crowd_slow + 1),
        f64::from(crowd_slow + 1) + (HEAVY_READERS / 2) as f64,
    );
    assert!(
        (least..=most).contains(&slow_closes),
        "the server counted the never-reader's and the crowd's {crowd_slow} slow-consumer \
         closes (and perhaps the heavy room's readers'): {slow_closes}"
    );
    // The counter appears once it counts.
    let cut_off = metrics
        .lines()
        .find_map(|line| line.strip_prefix("chinwag_peers_cut_off_total "))
        .and_then(|count| count.parse::<f64>().ok())
        .is_some_and(|count| count >= 1.0);
    assert!(
        matches!(never_reader_end, Received::Close(1013))
            || (cut_off && matches!(never_reader_end, Received::Eof)),
        "the never-reader was closed as a slow consumer, got {never_reader_end:?}"
    );
    assert_resource_adversaries_held(
        &room_flood,
        rooms_listed,
        plan.started.elapsed(),
        long_polls_held,
    );
    assert!(
        rss_peak < RSS_BOUND_KIB,
        "server memory stays bounded: {rss_peak} KiB at its peak"
    );
    assert!(
        peaks.descriptors < descriptors_start + descriptor_allowance(),
        "server descriptors stay bounded: {} at their peak, {descriptors_start} at start",
        peaks.descriptors
    );
}

/// The room flooder was refused past its budget and the hoarder's long-polls were capped.
fn assert_resource_adversaries_held(
    room_flood: &RoomFlood,
    rooms_listed: usize,
    elapsed: Duration,
    long_polls_held: f64,
) {
    let budget = new_room_budget(elapsed);
    assert!(
        room_flood.refused > 0,
        "the room flooder was refused too_many_new_rooms: {room_flood:?}"
    );
    assert!(
        room_flood.created <= budget,
        "the room flooder created at most its budget of {budget} rooms: {room_flood:?}"
    );
    assert!(
        room_flood.other.is_empty(),
        "every answer to the room flooder is about rooms: {room_flood:?}"
    );
    // The soak's room and the heavy room are the only others made.
    assert_eq!(
        u64::try_from(rooms_listed).unwrap(),
        room_flood.created + 2,
        "the room list holds the flooder's rooms and the test's two"
    );
    #[allow(
        clippy::cast_precision_loss,
        reason = "a small count is exact in an f64"
    )]
    let cap = LONG_POLLS_PER_IP as f64;
    assert!(
        (long_polls_held - cap).abs() < f64::EPSILON,
        "the hoarder's address held its cap of {LONG_POLLS_PER_IP} long-polls: {long_polls_held}"
    );
}

/// How many rooms `/api/rooms` lists, in one page of 200: far more than any budget allows.
async fn rooms_listed(server: &Server) -> usize {
    let (status, rooms) = server.get_json("/api/rooms?limit=200").await;
    assert_eq!(status, 200, "{rooms}");
    let rooms = rooms.as_array().expect("a list of rooms").len();
    assert!(rooms < 200, "one page holds every room: {rooms}");
    rooms
}
