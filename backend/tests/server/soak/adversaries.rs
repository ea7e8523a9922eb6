//! The soak's resource adversaries: a heavy-history room read by clients that never read, a
//! room-creation flood and a long-poll hoarder. Each must run into a bound of the server
//! (history pages of ~1 MiB, the new-room budget, the per-address long-poll and TCP caps)
//! while the crowd chats, and the soak checks memory and descriptors over the whole run.
//!
//! Each comes from its own loopback address (127.0.0.2–4; Linux routes all of 127/8 to `lo`),
//! as another host would: it meets the per-address caps at the values a deployment has,
//! without spending the share of 127.0.0.1 that the well-behaved crowd needs. Each opens a
//! fixed number of connections once, holds them until the traffic ends (or its latest end),
//! and reports what the server answered.

use crate::support::{Client, WAIT};
use chinwag_shared::MAX_MESSAGE_CHARS;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::{
    collections::BTreeMap,
    net::{Ipv4Addr, SocketAddr},
    time::Duration,
};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpSocket, TcpStream},
    sync::{oneshot, watch},
    time::{Instant, MissedTickBehavior},
};
use tokio_tungstenite::tungstenite::Message;

/// The room whose history is heavy: [`HEAVY_MESSAGES`] of 4,000 emoji (16 KB) each.
pub const HEAVY_ROOM: &str = "heavy";
/// ~4.8 MB of history: a reader asking for all of it gets ~1 MiB pages instead.
pub const HEAVY_MESSAGES: u64 = 300;
/// Sockets that fill the heavy room, 100 messages each: within one socket's burst of 100, so
/// the fill is never rate-limited.
const HEAVY_FILLERS: u64 = 3;
/// Readers of the heavy room's history, half over HTTP and half by a socket's replay: each
/// would pin the whole 4.8 MB (77 MB in all) if pages were bounded by count alone.
pub const HEAVY_READERS: usize = 16;
const HEAVY_READERS_FROM: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Room-creating posts over one socket: past its own budget of 10 rooms, under its burst of
/// 100 frames, so every answer is about rooms, not rate.
pub const ROOM_FLOOD_SOCKET_POSTS: u64 = 60;
/// Room-creating posts over HTTP, one per [`ROOM_FLOOD_HTTP_INTERVAL`]: 40/s, under the
/// address's 50 posts/s, for 3.5 s of the traffic.
pub const ROOM_FLOOD_HTTP_POSTS: u64 = 140;
const ROOM_FLOOD_HTTP_INTERVAL: Duration = Duration::from_millis(25);
const ROOM_FLOODER_FROM: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

/// Long-polls the hoarder opens: many times its address's caps of 32 long-polls, 256
/// connections and 320 TCP connections.
pub const HOARDED_POLLS: usize = 800;
const HOARDER_FROM: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 4);
/// The hoarder opens one connection per interval: 250/s, all 800 in 3.2 s of the traffic.
/// The TCP cap answers a connection only once it is accepted, so a burst faster than the
/// server answers costs a descriptor per connection for a moment (800 at once took the
/// server from 410 to 851 descriptors for under 100 ms); the soak bounds what is held.
const HOARD_INTERVAL: Duration = Duration::from_millis(4);
/// An `after` no record reaches in a run, so each long-poll waits its full 30 s.
const AFTER_EVERYTHING: u64 = 1_000_000_000;

/// A TCP connection to `server` from the loopback address `from`.
async fn tcp_from(server: SocketAddr, from: Ipv4Addr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    tokio::time::timeout(WAIT, socket.connect(server))
        .await
        .expect("connected in time")
        .expect("loopback connect")
}

/// Waits until the traffic is switched off, or until `latest`, whichever comes first.
async fn until_traffic_ends(mut traffic: watch::Receiver<bool>, latest: Instant) {
    // Either end will do: a closed switch or the deadline both mean the run is over.
    let _ = tokio::time::timeout_at(latest, traffic.wait_for(|on| !on)).await;
}

/// Fills [`HEAVY_ROOM`] with [`HEAVY_MESSAGES`] from several sockets at once (the store
/// commits them in groups), each filler's text its own so each recognises its confirmation.
pub async fn fill_heavy_room(server_ws_url: impl Fn(&str) -> String) {
    let fillers = (0..HEAVY_FILLERS).map(|n| {
        let name = format!("filler-{n}");
        let url = server_ws_url(&format!("?room={HEAVY_ROOM}&username={name}"));
        async move {
            let (mut writer, _) = Client::join(&url).await;
            let text = format!("{n}{}", "😀".repeat(MAX_MESSAGE_CHARS - 1));
            for _ in 0..HEAVY_MESSAGES / HEAVY_FILLERS {
                writer.post(HEAVY_ROOM, &name, &text).await;
            }
        }
    });
    futures_util::future::join_all(fillers).await;
}

/// Asks for the heavy room's whole history [`HEAVY_READERS`] times, over HTTP and by socket
/// replay, and never reads a byte of it; holds the connections until the traffic ends.
/// Returns how many it held.
pub async fn read_heavy_history_unread(
    server: SocketAddr,
    traffic: watch::Receiver<bool>,
    latest: Instant,
) -> usize {
    let mut held = Vec::new();
    for n in 0..HEAVY_READERS {
        let mut tcp = tcp_from(server, HEAVY_READERS_FROM).await;
        let request = if n % 2 == 0 {
            format!(
                "GET /api/rooms/{HEAVY_ROOM}/messages?after=0&limit=500 HTTP/1.1\r\n\
                 Host: {server}\r\n\r\n"
            )
        } else {
            format!(
                "GET /socket?room={HEAVY_ROOM}&after=0 HTTP/1.1\r\nHost: {server}\r\n\
                 Upgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
        };
        tcp.write_all(request.as_bytes()).await.unwrap();
        held.push(tcp);
    }
    until_traffic_ends(traffic, latest).await;
    held.len()
}

/// What the room flooder was answered, over both transports.
#[derive(Debug, Default)]
pub struct RoomFlood {
    pub attempts: u64,
    /// Posts stored, each one a new room.
    pub created: u64,
    /// Posts refused `too_many_new_rooms`.
    pub refused: u64,
    /// Any other answer, by status or code: none is expected.
    pub other: BTreeMap<String, u64>,
}

impl RoomFlood {
    fn answered(&mut self, code: Option<&str>, created: bool) {
        self.attempts += 1;
        match (created, code) {
            (true, _) => self.created += 1,
            (false, Some("too_many_new_rooms")) => self.refused += 1,
            (false, other) => {
                *self
                    .other
                    .entry(other.unwrap_or("no code").to_owned())
                    .or_default() += 1;
            }
        }
    }
}

/// Tries to create [`ROOM_FLOOD_SOCKET_POSTS`] rooms over a socket, then
/// [`ROOM_FLOOD_HTTP_POSTS`] more over HTTP, from one address.
pub async fn flood_rooms(server: SocketAddr) -> RoomFlood {
    let mut flood = RoomFlood::default();
    flood_rooms_by_socket(server, &mut flood).await;
    flood_rooms_by_http(server, &mut flood).await;
    flood
}

async fn flood_rooms_by_socket(server: SocketAddr, flood: &mut RoomFlood) {
    let tcp = tcp_from(server, ROOM_FLOODER_FROM).await;
    let url = format!("ws://{server}/socket?room=lobby&username=room-flooder");
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(url, tcp))
        .await
        .expect("handshake in time")
        .expect("websocket handshake");
    for n in 0..ROOM_FLOOD_SOCKET_POSTS {
        let frame = json!({"type": "send", "room": format!("spam-ws-{n}"), "message": "spam"});
        ws.send(Message::text(frame.to_string())).await.unwrap();
    }
    let deadline = Instant::now() + WAIT;
    // Frames that answer nothing (joined, presence, pings) are skipped, within a bound.
    for _ in 0..ROOM_FLOOD_SOCKET_POSTS * 10 {
        if flood.attempts >= ROOM_FLOOD_SOCKET_POSTS {
            return;
        }
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("the room flooder was answered in time")
            .expect("the room flooder's socket stays open")
            .expect("a valid frame");
        let Message::Text(text) = message else {
            continue;
        };
        let frame: Value = serde_json::from_str(&text).expect("server JSON");
        let is_spam = frame["room"]
            .as_str()
            .is_some_and(|room| room.starts_with("spam-"));
        match frame["type"].as_str() {
            Some("chat") if is_spam => flood.answered(None, true),
            Some("error") => flood.answered(frame["code"].as_str(), false),
            _ => {}
        }
    }
    panic!("the room flooder's socket sent more than answers");
}

async fn flood_rooms_by_http(server: SocketAddr, flood: &mut RoomFlood) {
    let mut tick = tokio::time::interval(ROOM_FLOOD_HTTP_INTERVAL);
    // No catch-up bursts after a stall of the test's runtime: the rate stays under 50/s.
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    for n in 0..ROOM_FLOOD_HTTP_POSTS {
        tick.tick().await;
        let body = json!({"username": "room-flooder", "message": "spam"}).to_string();
        let head = format!(
            "POST /api/rooms/spam-http-{n}/messages HTTP/1.1\r\nHost: {server}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let (status, answer) = exchange_from(server, ROOM_FLOODER_FROM, &head, &body).await;
        match status {
            201 => flood.answered(None, true),
            _ => {
                let code = serde_json::from_str::<Value>(&answer)
                    .ok()
                    .and_then(|body| body["code"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| format!("HTTP {status}"));
                flood.answered(Some(&code), false);
            }
        }
    }
}

/// One request on a fresh connection from `from`; the status and the body.
async fn exchange_from(
    server: SocketAddr,
    from: Ipv4Addr,
    head: &str,
    body: &str,
) -> (u16, String) {
    let mut tcp = tcp_from(server, from).await;
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(body.as_bytes()).await.unwrap();
    let mut reader = BufReader::new(tcp);
    let answer = tokio::time::timeout(WAIT, async {
        let mut status_line = String::new();
        reader.read_line(&mut status_line).await.unwrap();
        let status = status_line[9..12].parse().unwrap();
        let mut length = 0;
        for _ in 0..100 {
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                let mut body = vec![0u8; length];
                reader.read_exact(&mut body).await.unwrap();
                return (status, String::from_utf8(body).unwrap());
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
        }
        panic!("a response head of more than 100 lines");
    });
    answer.await.expect("answered in time")
}

/// Opens [`HOARDED_POLLS`] long-polls of `room` that wait 30 s and never reads an answer;
/// says `opened` once all are written, and holds them until the traffic ends. Returns how
/// many it opened.
pub async fn hoard_long_polls(
    server: SocketAddr,
    room: &'static str,
    opened: oneshot::Sender<()>,
    traffic: watch::Receiver<bool>,
    latest: Instant,
) -> usize {
    let request = format!(
        "GET /api/rooms/{room}/messages?after={AFTER_EVERYTHING}&wait=30 HTTP/1.1\r\n\
         Host: {server}\r\n\r\n"
    );
    let mut held = Vec::new();
    let mut tick = tokio::time::interval(HOARD_INTERVAL);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    for _ in 0..HOARDED_POLLS {
        tick.tick().await;
        let mut tcp = tcp_from(server, HOARDER_FROM).await;
        tcp.write_all(request.as_bytes()).await.unwrap();
        held.push(tcp);
    }
    // The test may have stopped listening (it gave up waiting): nothing to tell then.
    let _ = opened.send(());
    until_traffic_ends(traffic, latest).await;
    held.len()
}
