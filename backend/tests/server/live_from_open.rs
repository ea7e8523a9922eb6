//! "Live from now" has no window: a client that opens `/socket` without `after` receives every
//! message stored after its handshake completed (the moment the browser's `onopen` fires), and
//! a `join` frame without `after` every message stored after the server read it.
//!
//! The race these tests hunt: the 101 goes back before the session has joined its room, so a
//! message stored in between must still reach it. Each round opens a fresh room (a cold store
//! read on join, the slow case), and history readers keep the store busy meanwhile.

use crate::support::{Client, NO_RATE_LIMIT, SendVia, Server, WAIT, missed_after_open};
use serde_json::json;
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

const ROUNDS: usize = 200;

/// Keeps the store busy with history reads until dropped (bounded: at most 10,000 reads).
struct BusyReaders {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl BusyReaders {
    async fn start(server: &Server) -> BusyReaders {
        let (mut writer, _) = Client::join(&server.ws_url("?room=busy&username=w")).await;
        for n in 0..200 {
            writer.post("busy", "w", &format!("filler {n}")).await;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = (0..2)
            .map(|_| {
                let (stop, url) = (
                    Arc::clone(&stop),
                    server.http_url("/api/rooms/busy/messages?after=0&limit=500"),
                );
                tokio::task::spawn_blocking(move || {
                    let agent = crate::support::http_agent();
                    for _ in 0..5_000 {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let _ = agent.get(&url).call();
                    }
                })
            })
            .collect();
        BusyReaders { stop, tasks }
    }

    async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            tokio::time::timeout(WAIT, task)
                .await
                .expect("reader stopped in time")
                .expect("reader task");
        }
    }
}

#[tokio::test]
async fn a_message_sent_over_the_socket_right_after_open_is_never_missed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    let busy = BusyReaders::start(&server).await;
    let missed = missed_after_open(&server, &server, SendVia::Socket, ROUNDS).await;
    busy.stop().await;
    assert_eq!(
        missed, 0,
        "{missed} of {ROUNDS} listeners missed the message"
    );
}

#[tokio::test]
async fn a_message_posted_over_http_right_after_open_is_never_missed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    let busy = BusyReaders::start(&server).await;
    let missed = missed_after_open(&server, &server, SendVia::Http, ROUNDS).await;
    busy.stop().await;
    assert_eq!(
        missed, 0,
        "{missed} of {ROUNDS} listeners missed the message"
    );
}

#[tokio::test]
async fn a_join_frame_without_after_gets_what_is_sent_the_moment_its_arrival_shows() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    let busy = BusyReaders::start(&server).await;
    let (mut listener, _) = Client::join(&server.ws_url("?room=home&username=l")).await;
    let (mut sender, _) = Client::join(&server.ws_url("?room=home&username=s")).await;
    let mut missed = 0;
    for round in 0..ROUNDS {
        let room = format!("frame-{round}");
        sender
            .send_json(json!({"type": "join", "room": room}))
            .await;
        sender.recv_type("joined").await;
        listener
            .send_json(json!({"type": "join", "room": room}))
            .await;
        // The listener's arrival is announced when the server registers it, which is after
        // the server read its join frame: what is stored from here on is "from now" for it.
        sender.recv_user_event("user_joined", "l").await;
        let text = format!("after the join frame {round}");
        sender.post(&room, "s", &text).await;
        if !listener.chat_arrives(&text).await {
            missed += 1;
        }
        for client in [&mut listener, &mut sender] {
            client
                .send_json(json!({"type": "leave", "room": room}))
                .await;
            client.recv_type("left").await;
        }
    }
    busy.stop().await;
    assert_eq!(missed, 0, "{missed} of {ROUNDS} joins missed the message");
}
