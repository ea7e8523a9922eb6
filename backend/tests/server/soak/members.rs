//! The soak's well-behaved members: each reads everything, resumes after every disconnect
//! with `after=<last id>`, and (the first [`SENDERS`]) re-sends what was not confirmed under
//! the same `client_id`. The test steers each through its [`Wiring`] and gets back its
//! [`Audit`]: every id it saw, in order, and anything that broke the protocol's promises.

use super::{
    MAX_EVENTS_PER_CLIENT, MESSAGE_CHARS, ROOM, SEND_INTERVAL, SENDERS, Ws, audit::Audit,
    plan::Plan,
};
use crate::support::WAIT;
use futures_util::{SinkExt, StreamExt, stream::SplitStream};
use serde_json::{Value, json};
use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};
use tokio::{
    sync::{Notify, mpsc, watch},
    task::JoinHandle,
    time::{Instant, MissedTickBehavior},
};
use tokio_tungstenite::tungstenite::Message;

/// How the test steers a member and hears back from it.
pub(super) struct Wiring {
    /// A message here: drop the connection now.
    pub(super) drops: mpsc::Receiver<()>,
    /// Whether the traffic is still on.
    pub(super) traffic: watch::Receiver<bool>,
    /// The room's last id, once nothing more can be stored.
    pub(super) final_id: watch::Receiver<Option<u64>>,
    /// A sender reports its confirmed `client_id`s here once all are confirmed.
    pub(super) done: mpsc::Sender<HashMap<String, u64>>,
}

/// A sender's messages, by sequence number; `client_id` is `{prefix}{seq}`.
#[derive(Debug, Default)]
pub(super) struct Outgoing {
    prefix: String,
    next_seq: u64,
    pending: BTreeSet<u64>,
    /// Re-sends whose answer may still repeat a record, by `client_id`.
    unanswered_resends: HashMap<String, u32>,
    confirmed: HashMap<String, u64>,
}

impl Outgoing {
    pub(super) fn client_id(&self, seq: u64) -> String {
        format!("{}{seq}", self.prefix)
    }

    pub(super) fn is_own(&self, client_id: &str) -> bool {
        client_id.starts_with(&self.prefix)
    }

    /// Records that `client_id` is stored as `id`; the same id every time it comes back.
    pub(super) fn confirm(&mut self, client_id: &str, id: u64, audit: &mut Audit) {
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
pub(super) fn text_for(client_id: &str) -> String {
    let mut text = format!("{client_id}:");
    while text.len() < MESSAGE_CHARS {
        text.push_str(" the quick brown fox jumps over the lazy dog");
    }
    text.truncate(MESSAGE_CHARS);
    text
}

/// Like the browser, each member presents its own token, so a reconnect that reaches the
/// server before it has noticed the dropped socket keeps the member's name.
pub(super) fn member_url(socket_url: &str, name: &str, after: u64) -> String {
    format!("{socket_url}?room={ROOM}&after={after}&username={name}&token={name}-token")
}

pub(super) async fn connect(url: &str) -> Ws {
    tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("connected in time")
        .expect("websocket handshake")
        .0
}

/// One socket of a member. Reads happen here and writes in a task of their own, as in a
/// browser: a client that stopped reading while one of its writes is blocked would deadlock
/// with a server that does the same.
pub(super) struct Connection {
    frames: SplitStream<Ws>,
    writes: mpsc::Sender<Message>,
    writer: JoinHandle<()>,
}

impl Connection {
    /// Opens `url`; `max_writes` bounds the frames ever queued on this socket.
    pub(super) async fn open(url: &str, max_writes: usize) -> Connection {
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
    pub(super) fn send(&self, message: Message) {
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
pub(super) struct Member {
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
    pub(super) async fn join(
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

    pub(super) async fn run(mut self, plan: Plan, wiring: Wiring) -> Audit {
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
    pub(super) async fn drop_mid_send(&mut self, can_send: bool) {
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
    pub(super) async fn reconnect(&mut self) {
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

    pub(super) async fn on_message(
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

    pub(super) fn on_frame(&mut self, frame: &Value) {
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
    pub(super) fn on_chat(&mut self, frame: &Value) {
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

    pub(super) fn on_joined(&mut self, frame: &Value) {
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

    pub(super) fn send_next(&mut self) {
        let Some(outgoing) = self.outgoing.as_mut() else {
            return;
        };
        let seq = outgoing.next_seq;
        outgoing.next_seq += 1;
        outgoing.pending.insert(seq);
        let client_id = outgoing.client_id(seq);
        self.send_chat(&client_id);
    }

    pub(super) fn send_chat(&self, client_id: &str) {
        let frame = json!({
            "type": "send", "room": ROOM, "message": text_for(client_id), "client_id": client_id,
        });
        self.conn.send(Message::text(frame.to_string()));
    }
}
