//! A node dies mid-chat (SIGKILL) while senders keep sending: its clients move to another
//! node, resume with `after=N`, re-send what was not confirmed with the same `client_id`, and
//! nothing is lost or repeated.

use crate::{node, redis::Redis, support::Client};
use serde_json::{Value, json};
use std::collections::HashSet;

const FROM_KILLED: usize = 40;
const FROM_SURVIVOR: usize = 30;

/// A sender that remembers what it has had confirmed.
struct Sender {
    client: Client,
    prefix: &'static str,
    confirmed: HashSet<String>,
    /// Newest id seen on the socket, for resuming.
    last_id: u64,
    epoch: String,
}

impl Sender {
    async fn join(url: &str, prefix: &'static str) -> Sender {
        let (client, frames) = Client::join(url).await;
        let epoch = frames.last().unwrap()["epoch"].as_str().unwrap().to_owned();
        Sender {
            client,
            prefix,
            confirmed: HashSet::new(),
            last_id: 0,
            epoch,
        }
    }

    async fn send(&mut self, n: usize) {
        let message = json!({"type":"send","room":"f","message":format!("{} {n}", self.prefix),"client_id":format!("{}-{n}", self.prefix)});
        self.client.send_json(message).await;
    }

    /// Reads until message `n` is confirmed.
    async fn confirmed(&mut self, n: usize) {
        let wanted = format!("{}-{n}", self.prefix);
        while !self.confirmed.contains(&wanted) {
            let frame = self.client.recv().await;
            assert_ne!(frame["type"], "error", "{frame}");
            self.note(&frame);
        }
    }

    fn note(&mut self, frame: &Value) {
        if frame["type"] == "chat" {
            self.last_id = self.last_id.max(frame["id"].as_u64().unwrap());
            if let Some(id) = frame["client_id"].as_str() {
                self.confirmed.insert(id.to_owned());
            }
        }
    }
}

#[tokio::test]
async fn clients_of_a_killed_node_resume_elsewhere_without_loss_or_duplicates() {
    let redis = Redis::start().await;
    let doomed = node(&redis, "doomed", &[]).await;
    let survivor = node(&redis, "survivor", &[]).await;

    let (mut reader, _) = Client::join(&doomed.ws_url("?room=f")).await;
    let mut sender = Sender::join(&doomed.ws_url("?room=f&username=s"), "s").await;
    let (mut watcher, _) = Client::join(&survivor.ws_url("?room=f")).await;

    // Someone on the surviving node keeps talking throughout.
    let mut other = Sender::join(&survivor.ws_url("?room=f&username=t"), "t").await;
    let talker = tokio::spawn(async move {
        for n in 1..=FROM_SURVIVOR {
            other.send(n).await;
            other.confirmed(n).await;
        }
    });

    for n in 1..=FROM_KILLED / 2 {
        sender.send(n).await;
        sender.confirmed(n).await;
    }
    // One more goes out and the node dies before (or after) storing it: the sender cannot
    // know which, so it re-sends with the same client_id.
    let in_flight = FROM_KILLED / 2 + 1;
    sender.send(in_flight).await;
    let mut reader_frames = Vec::new();
    doomed.server.kill().await;
    while let Some(frame) = reader.recv_within(crate::support::WAIT).await {
        reader_frames.push(frame);
    }

    // Everyone moves to the survivor and resumes from what they saw.
    let reader_last = chat_ids(&reader_frames).last().copied().unwrap_or(0);
    let resume = format!("?room=f&after={reader_last}");
    let (mut reader, frames) = Client::join(&survivor.ws_url(&resume)).await;
    reader_frames.extend(frames);
    let resume = format!(
        "?room=f&username=s&after={}&epoch={}",
        sender.last_id, sender.epoch
    );
    let Sender { confirmed, .. } = sender;
    let mut sender = Sender::join(&survivor.ws_url(&resume), "s").await;
    sender.confirmed = confirmed;
    for n in in_flight..=FROM_KILLED {
        if !sender.confirmed.contains(&format!("s-{n}")) {
            sender.send(n).await;
        }
        sender.confirmed(n).await;
    }
    talker.await.unwrap();

    let total = (FROM_KILLED + FROM_SURVIVOR) as u64;
    while chat_ids(&reader_frames).last().copied() != Some(total) {
        reader_frames.push(reader.recv().await);
    }
    let expected: Vec<u64> = (1..=total).collect();
    assert_eq!(
        chat_ids(&reader_frames),
        expected,
        "the moved reader: no gap, no repeat"
    );
    let mut watched = Vec::new();
    while watched.last().copied() != Some(total) {
        let frame = watcher.recv().await;
        if let Some(id) = frame["id"].as_u64() {
            watched.push(id);
        }
    }
    assert_eq!(
        watched, expected,
        "a client of the survivor saw it all once"
    );

    let (_, history) = survivor
        .get_json("/api/rooms/f/messages?after=0&limit=500")
        .await;
    // Every send has its own text (history shows no client_ids, only texts).
    let texts: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["message"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), FROM_KILLED + FROM_SURVIVOR, "{texts:?}");
    let distinct: HashSet<&&str> = texts.iter().collect();
    assert_eq!(
        distinct.len(),
        texts.len(),
        "the retried message is stored once"
    );
}

fn chat_ids(frames: &[Value]) -> Vec<u64> {
    frames
        .iter()
        .filter(|frame| frame["type"] == "chat")
        .map(|frame| frame["id"].as_u64().unwrap())
        .collect()
}
