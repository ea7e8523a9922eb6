//! Nodes on a real Redis Cluster (`--redis-cluster`: three masters, each with a replica):
//! rooms spread over the shards, every message reaches everyone once and in order under the
//! same ids, and with `--redis-wait-replicas 1` a master's death loses no confirmed message.
//!
//! Then the same under load, with [`Chatter`]s sending continuously (each message until
//! confirmed, retried with its `client_id`) while the cluster changes under them: a master
//! killed, its replica promoted and the old master restarted as the new one's replica; and
//! busy rooms' exact slots moved to other masters with their keys. Afterwards every confirmed
//! message is in the room's history under its id, each message is stored once, and every
//! member that stayed connected was delivered exactly that history, once each, in id order.

use crate::{
    Node, cluster_node,
    redis_cluster::RedisCluster,
    support::{Client, WAIT},
};
use chinwag_testkit::socket::{JsonSocket, SocketError};
use serde_json::{Value, json};
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::task::JoinHandle;

const PER_CLIENT: usize = 5;

/// One room per master: room names tried in turn until each master owns one's slot.
async fn room_per_master(cluster: &RedisCluster) -> BTreeMap<u16, String> {
    let masters = cluster.masters().await;
    let mut rooms = BTreeMap::new();
    for n in 0..500 {
        let room = format!("shard-{n}");
        let master = cluster.master_of_slot(cluster.slot_of(&room).await).await;
        rooms.entry(master).or_insert(room);
        if rooms.len() == masters.len() {
            return rooms;
        }
    }
    panic!("no room for every master among 500 names");
}

/// Reads until `count` chat frames arrived; (id, text) in arrival order.
async fn chats(client: &mut Client, count: usize) -> Vec<(u64, String)> {
    let mut seen = Vec::with_capacity(count);
    while seen.len() < count {
        let frame = client.recv().await;
        assert_ne!(frame["type"], "error", "{frame}");
        if frame["type"] == "chat" {
            let text = frame["message"].as_str().unwrap().to_owned();
            seen.push((frame["id"].as_u64().unwrap(), text));
        }
    }
    seen
}

#[tokio::test]
async fn rooms_spread_over_the_shards_and_reach_everyone_once_in_order() {
    let cluster = RedisCluster::start().await;
    let nodes = [
        cluster_node(&cluster, "a", &[]).await,
        cluster_node(&cluster, "b", &[]).await,
        cluster_node(&cluster, "c", &[]).await,
    ];
    let rooms = room_per_master(&cluster).await;
    // In each room, one client on every node, all sending at once.
    let mut clients = Vec::new();
    for room in rooms.values() {
        for (n, node) in nodes.iter().enumerate() {
            let url = node.ws_url(&format!("?room={room}&username=u{n}"));
            clients.push((room.clone(), Client::join(&url).await.0));
        }
    }
    for (c, (room, client)) in clients.iter_mut().enumerate() {
        for m in 0..PER_CLIENT {
            let text = format!("c{c}-{m}");
            client
                .send_json(json!({"type":"send","room":room,"message":text,"client_id":text}))
                .await;
        }
    }
    let per_room = nodes.len() * PER_CLIENT;
    let mut seen: BTreeMap<String, Vec<Vec<(u64, String)>>> = BTreeMap::new();
    for (room, client) in &mut clients {
        let sequence = chats(client, per_room).await;
        seen.entry(room.clone()).or_default().push(sequence);
    }
    for (room, sequences) in &seen {
        let ids: Vec<u64> = sequences[0].iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, (1..=per_room as u64).collect::<Vec<_>>(), "{room}");
        for sequence in &sequences[1..] {
            assert_eq!(sequence, &sequences[0], "{room}: same ids, texts, order");
        }
    }
    // Each room's log is on its own master (three different ones), and the others send the
    // asker there: the rooms are sharded.
    for (master, room) in &rooms {
        let key = format!("chinwag:log:{{{room}}}");
        for other in rooms.keys() {
            let exists = cluster.cli(*other, &["EXISTS", &key]).await;
            if other == master {
                assert_eq!(exists.trim(), "1", "{key} on its master {master}");
            } else {
                let moved = format!("127.0.0.1:{master}");
                assert!(
                    exists.contains("MOVED") && exists.contains(&moved),
                    "{exists}"
                );
            }
        }
    }
    // A node reads a room's history from the room's shard.
    let room = rooms.values().next().unwrap();
    let (status, history) = nodes[0]
        .get_json(&format!("/api/rooms/{room}/messages?after=0&limit=100"))
        .await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(
        history_ids(&history),
        (1..=per_room as u64).collect::<Vec<_>>()
    );
}

/// The ids of a history page, oldest first.
fn history_ids(page: &Value) -> Vec<u64> {
    let records = page.as_array().unwrap();
    records.iter().map(|r| r["id"].as_u64().unwrap()).collect()
}

/// Sends `text` (also its `client_id`) until it is confirmed, or `unavailable` for `tries`
/// times in a row; returns the confirmed id, if any.
async fn send_until_confirmed(
    client: &mut Client,
    room: &str,
    text: &str,
    tries: usize,
) -> Option<u64> {
    for _ in 0..tries {
        client
            .send_json(json!({"type":"send","room":room,"message":text,"client_id":text}))
            .await;
        loop {
            let frame = client.recv().await;
            if frame["type"] == "chat" && frame["client_id"] == text {
                return frame["id"].as_u64();
            }
            if frame["type"] == "error" {
                assert_eq!(frame["code"], "unavailable", "{frame}");
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    None
}

#[tokio::test]
async fn with_wait_replicas_a_dead_master_loses_no_confirmed_message() {
    let mut cluster = RedisCluster::start().await;
    let wait = ["--redis-wait-replicas", "1", "--redis-timeout-ms", "1000"];
    let a = cluster_node(&cluster, "a", &wait).await;
    let b = cluster_node(&cluster, "b", &wait).await;
    let room = "failover";
    let slot = cluster.slot_of(room).await;
    let master = cluster.master_of_slot(slot).await;
    let (mut sender, _) = Client::join(&a.ws_url(&format!("?room={room}&username=ada"))).await;
    let mut confirmed = Vec::new();
    for m in 0..10 {
        let id = send_until_confirmed(&mut sender, room, &format!("before-{m}"), 1).await;
        confirmed.push(id.expect("confirmed while every replica is up"));
    }
    // SIGKILL: whatever the master had not passed on is gone, but each confirmation waited
    // for the replica that now takes over.
    cluster.kill(master);
    let promoted = cluster.wait_promoted(slot).await;
    assert_ne!(promoted, master);
    // The new master has no replica, so nothing more is confirmed: sends are refused as
    // unavailable rather than confirmed unsafely.
    let refused = send_until_confirmed(&mut sender, room, "after-kill", 3).await;
    assert_eq!(refused, None, "confirmed with no replica to wait for");
    // Every confirmed message is on the promoted master, read through the other node, and
    // ids stayed strictly increasing with no duplicate.
    let mut history = Vec::new();
    for _ in 0..(WAIT.as_millis() / 100) {
        let (status, page) = b
            .get_json(&format!("/api/rooms/{room}/messages?after=0&limit=100"))
            .await;
        if status == 200 {
            history = history_ids(&page);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for id in &confirmed {
        assert!(history.contains(id), "confirmed {id} lost: {history:?}");
    }
    assert!(history.windows(2).all(|w| w[0] < w[1]), "{history:?}");
}

/// How long a send waits for its answer (its confirmation, or a refusal) before it is sent
/// again with the same `client_id`.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);
/// The pause between one confirmed message and the next sender's next: a steady load, not a
/// flood, on two shared cores.
const PACE: Duration = Duration::from_millis(100);
/// The pause before a refused message is sent again.
const RETRY_PAUSE: Duration = Duration::from_millis(200);
/// Sends of one message before its sender gives up on it.
const TRIES: usize = 100;
/// Tries a message in hand still gets once the senders are told to stop.
const STOPPING_TRIES: usize = 3;
/// Messages one sender sends at most.
const MAX_MESSAGES: usize = 300;
/// How long a phase of a test (senders reaching a count) may take.
const PHASE: Duration = Duration::from_secs(20);

/// What the senders of a test have done so far, and the signal for them to stop.
#[derive(Default)]
struct Progress {
    confirmed: AtomicUsize,
    refused: AtomicUsize,
    stop: AtomicBool,
}

impl Progress {
    fn confirmed(&self) -> usize {
        self.confirmed.load(Ordering::Relaxed)
    }

    fn refused(&self) -> usize {
        self.refused.load(Ordering::Relaxed)
    }

    /// Polls (bounded by [`PHASE`]) until `count(self)` reaches `at_least`; what fell short,
    /// if it did not.
    async fn until(
        &self,
        what: &str,
        at_least: usize,
        count: impl Fn(&Self) -> usize,
    ) -> Result<(), String> {
        let waited = tokio::time::timeout(PHASE, async {
            while count(self) < at_least {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        waited.await.map_err(|_| {
            format!(
                "{what}: {} of {at_least} within {PHASE:?} (confirmed {}, refused {})",
                count(self),
                self.confirmed(),
                self.refused()
            )
        })
    }
}

/// How a send was answered.
enum Answer {
    Confirmed(u64),
    Refused,
    /// Nothing within [`ANSWER_WITHIN`].
    Silent,
    /// The socket closed.
    Closed,
}

/// A guest in one room on one node who sends numbered messages (each its own `client_id`),
/// sends each again with the same `client_id` until it is confirmed, and keeps every record
/// of the room delivered to it. If the node closes its socket it joins again after the last
/// id it has, but no longer counts as having stayed connected.
struct Chatter {
    name: String,
    room: String,
    /// The node's socket URL, without a query.
    node: String,
    socket: JsonSocket,
    /// The room's records as delivered, in arrival order, as (id, text). The answer to a
    /// retry whose record was delivered already is an answer, not a delivery: left out.
    delivered: Vec<(u64, String)>,
    /// Answers to retries with an id delivered already, as (id, client_id).
    late_answers: Vec<(u64, String)>,
    /// Own messages sent more than once.
    retried: BTreeSet<String>,
    /// The newest id delivered.
    last_id: u64,
    stayed_connected: bool,
    /// Own messages confirmed, as (id, text).
    confirmed: Vec<(u64, String)>,
    /// Own messages never confirmed within [`TRIES`].
    gave_up: Vec<String>,
    /// Sends that had no answer within [`ANSWER_WITHIN`].
    silent: usize,
    progress: Arc<Progress>,
}

impl Chatter {
    /// Joins `room` on `node` as `name`, from the room's start.
    async fn join(node: &Node, room: &str, name: &str, progress: &Arc<Progress>) -> Chatter {
        let node = node.ws_url("");
        let url = format!("{node}?room={room}&username={name}&after=0");
        let socket = JsonSocket::connect(url.as_str(), WAIT).await.unwrap();
        let mut chatter = Chatter {
            name: name.to_owned(),
            room: room.to_owned(),
            node,
            socket,
            delivered: Vec::new(),
            late_answers: Vec::new(),
            retried: BTreeSet::new(),
            last_id: 0,
            stayed_connected: true,
            confirmed: Vec::new(),
            gave_up: Vec::new(),
            silent: 0,
            progress: Arc::clone(progress),
        };
        chatter.until_joined().await.unwrap();
        chatter
    }

    /// Sends messages until told to stop (or [`MAX_MESSAGES`]); gives itself back.
    async fn run(mut self) -> Chatter {
        for m in 0..MAX_MESSAGES {
            if self.progress.stop.load(Ordering::Relaxed) {
                break;
            }
            let text = format!("{}-{m}", self.name);
            self.send_until_confirmed(&text).await;
            tokio::time::sleep(PACE).await;
        }
        self
    }

    async fn send_until_confirmed(&mut self, text: &str) {
        let send = json!({"type":"send","room":self.room,"message":text,"client_id":text});
        for try_ in 0..TRIES {
            // Told to stop: the message in hand gets a few more tries, not all.
            if self.progress.stop.load(Ordering::Relaxed) && try_ >= STOPPING_TRIES {
                break;
            }
            if try_ > 0 {
                self.retried.insert(text.to_owned());
            }
            if self.socket.send_json(&send).await.is_err() {
                self.rejoin().await;
                continue;
            }
            match self.answer(text).await {
                Answer::Confirmed(id) => {
                    self.confirmed.push((id, text.to_owned()));
                    self.progress.confirmed.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Answer::Refused => {
                    self.progress.refused.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                Answer::Silent => self.silent += 1,
                Answer::Closed => self.rejoin().await,
            }
        }
        self.gave_up.push(text.to_owned());
    }

    /// Reads frames until the answer to `text`, within [`ANSWER_WITHIN`].
    async fn answer(&mut self, text: &str) -> Answer {
        let deadline = tokio::time::Instant::now() + ANSWER_WITHIN;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.socket.recv(left).await {
                Ok(frame) => {
                    if let Some(answer) = self.take(&frame, text) {
                        return answer;
                    }
                }
                Err(SocketError::Timeout(_)) => return Answer::Silent,
                Err(_) => return Answer::Closed,
            }
        }
    }

    /// Keeps a chat frame; the answer to `text`, if `frame` is one.
    fn take(&mut self, frame: &Value, text: &str) -> Option<Answer> {
        match frame["type"].as_str() {
            Some("chat") => {
                assert_eq!(frame["room"], self.room.as_str(), "{}: {frame}", self.name);
                let id = frame["id"].as_u64().unwrap();
                let own = frame.get("client_id").is_some();
                if id > self.last_id || !own {
                    let message = frame["message"].as_str().unwrap().to_owned();
                    self.delivered.push((id, message));
                    self.last_id = self.last_id.max(id);
                } else {
                    let client_id = frame["client_id"].as_str().unwrap().to_owned();
                    self.late_answers.push((id, client_id));
                }
                (frame["client_id"] == text).then_some(Answer::Confirmed(id))
            }
            Some("error") => {
                // Only a store that cannot confirm may refuse these sends; a refusal of an
                // earlier try of another message (answered late) is no answer to this one.
                assert_eq!(frame["code"], "unavailable", "{}: {frame}", self.name);
                (frame["client_id"] == text).then_some(Answer::Refused)
            }
            Some("history_reset") => panic!("{}: {frame}", self.name),
            _ => None,
        }
    }

    /// Reads through the `joined` frame of a (re)join, keeping the records replayed.
    async fn until_joined(&mut self) -> Result<(), SocketError> {
        loop {
            let frame = self.socket.recv(WAIT).await?;
            if frame["type"] == "joined" {
                return Ok(());
            }
            self.take(&frame, "");
        }
    }

    /// Joins again after the last id delivered, after the node closed the socket.
    async fn rejoin(&mut self) {
        self.stayed_connected = false;
        let url = format!(
            "{}?room={}&username={}&after={}",
            self.node, self.room, self.name, self.last_id
        );
        for _ in 0..50 {
            if let Ok(socket) = JsonSocket::connect(url.as_str(), WAIT).await {
                self.socket = socket;
                if self.until_joined().await.is_ok() {
                    return;
                }
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
        panic!("{} could not join again", self.name);
    }

    /// Reads (bounded by `within`) until the record `last` of the room is delivered.
    async fn drain_through(&mut self, last: u64, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.last_id < last {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(
                !left.is_zero(),
                "{}: delivered through {} of {last} within {within:?}",
                self.name,
                self.last_id
            );
            match self.socket.recv(left).await {
                Ok(frame) => {
                    self.take(&frame, "");
                }
                Err(SocketError::Timeout(_)) => {}
                Err(_) => self.rejoin().await,
            }
        }
    }
}

/// A room's whole history, read through `node` page by page: (id, text), oldest first.
async fn history(node: &Node, room: &str) -> Vec<(u64, String)> {
    let mut records = Vec::new();
    let mut after = 0;
    for _ in 0..200 {
        let path = format!("/api/rooms/{room}/messages?after={after}&limit=500");
        let (status, page) = node.get_json(&path).await;
        if status != 200 {
            // The node may still be finding the room's new master.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let page = page.as_array().unwrap();
        for record in page {
            let id = record["id"].as_u64().unwrap();
            records.push((id, record["message"].as_str().unwrap().to_owned()));
        }
        match page.last() {
            Some(last) if page.len() == 500 => after = last["id"].as_u64().unwrap(),
            _ => return records,
        }
    }
    panic!("{room}: no whole history through the node");
}

/// Stops the senders and gives them back once each finished its message in hand.
async fn stop(progress: &Progress, senders: Vec<JoinHandle<Chatter>>) -> Vec<Chatter> {
    progress.stop.store(true, Ordering::Relaxed);
    let mut chatters = Vec::with_capacity(senders.len());
    for sender in senders {
        let finished = tokio::time::timeout(PHASE, sender).await;
        chatters.push(finished.expect("a sender stopped in time").unwrap());
    }
    chatters
}

/// Checks one room after the storm: the history has strictly increasing ids and one record
/// per message (`client_id`); every confirmed message is in it under its id; and every member
/// that stayed connected was delivered exactly the history, once each, in id order.
async fn check_room(room: &str, history: &[(u64, String)], chatters: &mut [Chatter]) {
    let ids: Vec<u64> = history.iter().map(|(id, _)| *id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{room}: ids {ids:?}");
    let mut texts = BTreeSet::new();
    for (id, text) in history {
        assert!(
            texts.insert(text),
            "{room}: {text:?} stored twice (again as {id})"
        );
    }
    let by_id: BTreeMap<u64, &str> = (history.iter()).map(|(id, t)| (*id, t.as_str())).collect();
    let last = ids.last().copied().unwrap_or(0);
    let mut stayed = 0;
    for chatter in chatters.iter_mut().filter(|chatter| chatter.room == room) {
        assert!(
            chatter.gave_up.is_empty(),
            "{}: {:?}",
            chatter.name,
            chatter.gave_up
        );
        for (id, text) in &chatter.confirmed {
            assert_eq!(
                by_id.get(id),
                Some(&text.as_str()),
                "confirmed {id} {text} lost"
            );
        }
        chatter.drain_through(last, WAIT).await;
        // An id seen again is only allowed as the answer to a retry of that very message.
        for (id, client_id) in &chatter.late_answers {
            assert!(
                chatter.retried.contains(client_id),
                "{}: {id} again",
                chatter.name
            );
            assert_eq!(by_id.get(id), Some(&client_id.as_str()), "{}", chatter.name);
        }
        println!(
            "{}: {} confirmed, {} delivered, {} late answers, {} silent sends, stayed: {}",
            chatter.name,
            chatter.confirmed.len(),
            chatter.delivered.len(),
            chatter.late_answers.len(),
            chatter.silent,
            chatter.stayed_connected
        );
        if chatter.stayed_connected {
            stayed += 1;
            assert_eq!(
                chatter.delivered, history,
                "{}: delivered ≠ history",
                chatter.name
            );
        }
    }
    assert!(stayed > 0, "{room}: every member was disconnected");
}

/// Waits for `count` more confirmations, across all senders, from now.
async fn more_confirmed(progress: &Progress, what: &str, count: usize) -> Result<(), String> {
    let target = progress.confirmed() + count;
    progress.until(what, target, Progress::confirmed).await
}

/// Panics with `why`, after stopping the senders and printing what each saw and what the
/// rooms' histories hold, read through `node`: the evidence for a bug report.
async fn fail_with_evidence(
    why: String,
    progress: &Progress,
    senders: Vec<JoinHandle<Chatter>>,
    node: &Node,
    cluster: &RedisCluster,
) -> ! {
    let chatters = stop(progress, senders).await;
    let rooms: BTreeSet<&str> = chatters.iter().map(|c| c.room.as_str()).collect();
    for room in rooms {
        let history = history(node, room).await;
        println!(
            "{room}: {} records, last {:?}",
            history.len(),
            history.last()
        );
        // Where the nodes' sharded subscriptions to the room are held.
        let channel = format!("chinwag:fanout:{{{room}}}");
        for port in cluster.live_ports() {
            let role = cluster.cli(port, &["ROLE"]).await;
            let role = role.lines().next().unwrap_or_default().to_owned();
            let subscribers = shard_subscribers(cluster, port, &channel).await;
            println!("{room}: on {port} ({role}): {subscribers} subscribers");
        }
        let slot = cluster.slot_of(room).await;
        println!(
            "{room}: slot {slot} on {}",
            cluster.master_of_slot(slot).await
        );
    }
    for c in &chatters {
        println!(
            "{}: confirmed {} (last {:?}), delivered {} (last {:?}), gave up {:?}, silent {}, \
             late answers {}, stayed {}",
            c.name,
            c.confirmed.len(),
            c.confirmed.last(),
            c.delivered.len(),
            c.delivered.last(),
            c.gave_up,
            c.silent,
            c.late_answers.len(),
            c.stayed_connected
        );
    }
    panic!("{why}");
}

#[tokio::test]
async fn after_a_failover_the_old_master_rejoins_and_the_room_carries_on_losing_nothing() {
    let mut cluster = RedisCluster::start().await;
    let wait = ["--redis-wait-replicas", "1", "--redis-timeout-ms", "1000"];
    let nodes = [
        cluster_node(&cluster, "a", &wait).await,
        cluster_node(&cluster, "b", &wait).await,
    ];
    let room = "carry-on";
    let slot = cluster.slot_of(room).await;
    let master = cluster.master_of_slot(slot).await;
    let progress = Arc::new(Progress::default());
    let mut senders = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        for c in 0..2 {
            let chatter = Chatter::join(node, room, &format!("n{n}c{c}"), &progress).await;
            senders.push(tokio::spawn(chatter.run()));
        }
    }
    let each = 5 * senders.len();
    if let Err(why) = more_confirmed(&progress, "before the kill", each).await {
        fail_with_evidence(why, &progress, senders, &nodes[1], &cluster).await;
    }

    // SIGKILL mid-chat: the replica takes over, but has no replica of its own, so nothing is
    // confirmed until the old master is back as its replica.
    cluster.kill(master);
    let promoted = cluster.wait_promoted(slot).await;
    assert_ne!(promoted, master);
    let refused = progress.refused() + senders.len();
    let refusals = progress.until("refused after the promotion", refused, Progress::refused);
    if let Err(why) = refusals.await {
        fail_with_evidence(why, &progress, senders, &nodes[1], &cluster).await;
    }

    cluster.restart(master).await;
    let rejoined_under = cluster.wait_replica(master).await;
    assert_eq!(
        rejoined_under, promoted,
        "the old master replicates the new one"
    );
    if let Err(why) = more_confirmed(&progress, "after the restart", each).await {
        fail_with_evidence(why, &progress, senders, &nodes[1], &cluster).await;
    }

    let mut chatters = stop(&progress, senders).await;
    let history = history(&nodes[1], room).await;
    check_room(room, &history, &mut chatters).await;
}

#[tokio::test]
async fn moving_busy_rooms_slots_loses_repeats_and_reorders_nothing() {
    let cluster = RedisCluster::start().await;
    let nodes = [
        cluster_node(&cluster, "a", &[]).await,
        cluster_node(&cluster, "b", &[]).await,
        cluster_node(&cluster, "c", &[]).await,
    ];
    let rooms = room_per_master(&cluster).await;
    let masters: Vec<u16> = rooms.keys().copied().collect();
    // Filler keys in each room's slot, so the migration takes many batches and the room's
    // keys move at some point in the middle of it, not all at once.
    for (&master, room) in &rooms {
        let mut set = vec!["MSET".to_owned()];
        for k in 0..2_000 {
            set.extend([format!("filler:{{{room}}}:{k}"), "x".to_owned()]);
        }
        let set: Vec<&str> = set.iter().map(String::as_str).collect();
        assert_eq!(cluster.cli(master, &set).await.trim(), "OK");
    }
    let progress = Arc::new(Progress::default());
    let mut senders = Vec::new();
    for room in rooms.values() {
        for (n, node) in nodes.iter().enumerate() {
            let name = format!("{room}-n{n}");
            let chatter = Chatter::join(node, room, &name, &progress).await;
            senders.push(tokio::spawn(chatter.run()));
        }
    }
    let each = 3 * senders.len();
    if let Err(why) = more_confirmed(&progress, "before the moves", each).await {
        fail_with_evidence(why, &progress, senders, &nodes[0], &cluster).await;
    }

    // Each room's slot to the next master, one after the other, while everyone sends.
    let mut moved = Vec::new();
    for (i, (&from, room)) in rooms.iter().enumerate() {
        let to = masters[(i + 1) % masters.len()];
        let slot = cluster.slot_of(room).await;
        cluster.move_slot(slot, to).await;
        moved.push((room.clone(), from, to));
    }
    if let Err(why) = more_confirmed(&progress, "after the moves", each).await {
        fail_with_evidence(why, &progress, senders, &nodes[0], &cluster).await;
    }

    let mut chatters = stop(&progress, senders).await;
    for (n, (room, from, to)) in moved.iter().enumerate() {
        let history = history(&nodes[n % nodes.len()], room).await;
        check_room(room, &history, &mut chatters).await;
        let key = format!("chinwag:log:{{{room}}}");
        let exists = cluster.cli(*to, &["EXISTS", &key]).await;
        assert_eq!(exists.trim(), "1", "{key} on its new master {to}");
        let asked_old = cluster.cli(*from, &["EXISTS", &key]).await;
        assert!(asked_old.contains("MOVED"), "{asked_old}");
        // The fan-out followed the slot: every node listens to the room on its new master,
        // none on the old one.
        let channel = format!("chinwag:fanout:{{{room}}}");
        let mut counts = (String::new(), String::new());
        for _ in 0..(WAIT.as_millis() / 50) {
            counts = (
                shard_subscribers(&cluster, *to, &channel).await,
                shard_subscribers(&cluster, *from, &channel).await,
            );
            if counts == (nodes.len().to_string(), "0".to_owned()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            counts,
            (nodes.len().to_string(), "0".to_owned()),
            "{room}: subscribers on its new master {to} and its old one {from}"
        );
    }
}

/// How many clients of the node on `port` listen to the sharded `channel`, as it says.
async fn shard_subscribers(cluster: &RedisCluster, port: u16, channel: &str) -> String {
    let answer = cluster.cli(port, &["PUBSUB", "SHARDNUMSUB", channel]).await;
    answer.lines().nth(1).unwrap_or_default().trim().to_owned()
}
