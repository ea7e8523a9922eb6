//! Micro-benchmarks of the relay's hot path: decoding a client frame, encoding a broadcast
//! once and handing it to every member, and appending to the SQLite store one at a time
//! versus in a group commit.
//!
//! `cargo bench -p chinwag-backend --bench hot_path`. Figures and their reading are in
//! `docs/benchmarks.md`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chinwag_backend::{
    fanout::{Fanout, Frame},
    hub::rooms::Rooms,
    session::{inbound::decode, outbox::Outbox},
    store::{Author, NewMessage, Store, sqlite::SqliteStore},
};
use chinwag_shared::{ChatRecord, MessageText, RoomName, ServerMsg, Username};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::{hint::black_box, sync::Arc};

/// A chat message of about the size the load generator sends (~140-byte frames).
fn record() -> ChatRecord {
    ChatRecord {
        id: 1_234,
        room: RoomName::parse("general").unwrap(),
        username: Username::parse("alice").unwrap(),
        message: "a message of roughly the length people type in a chat, give or take".into(),
        ts: 1_700_000_000_000,
        client_id: None,
    }
}

fn decoding(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    let frames = [
        (
            "seed_shape",
            r#"{"username":"alice","message":"hello there, how is it going?"}"#,
        ),
        (
            "tagged_send",
            r#"{"type":"send","room":"general","message":"hello there","client_id":"c-17"}"#,
        ),
        ("bad_json", r#"{"type":"send","message":"#),
    ];
    for (name, frame) in frames {
        group.bench_function(name, |b| {
            b.iter(|| decode(black_box(frame)).map(|msg| msg.validate().is_ok()))
        });
    }
    group.finish();
}

/// A room of `members` sessions, each with an outbox roomy enough for one delivery.
fn room_of(members: u64) -> (Rooms, Vec<Outbox>) {
    let rooms = Rooms::default();
    let room = RoomName::parse("general").unwrap();
    let outboxes: Vec<Outbox> = (0..members).map(|_| Outbox::new(4, 1 << 20)).collect();
    for (session, outbox) in (1..).zip(&outboxes) {
        rooms
            .join(&room, session, outbox.sender(), None, None)
            .unwrap();
    }
    (rooms, outboxes)
}

fn broadcasting(c: &mut Criterion) {
    let mut group = c.benchmark_group("broadcast_1000");
    let record = record();
    let epoch: chinwag_backend::store::Epoch = "bench".into();
    // What the relay does: one encode, one shared frame, a refcount per receiver.
    group.bench_function("encode_once_share", |b| {
        b.iter_batched(
            || room_of(1_000),
            |(rooms, outboxes)| {
                rooms.deliver(&Frame::chat(black_box(&record), &epoch));
                (rooms, outboxes)
            },
            BatchSize::PerIteration,
        )
    });
    // The naive alternative, for comparison: serialize the message again for each receiver.
    group.bench_function("encode_per_receiver", |b| {
        b.iter(|| {
            for _ in 0..1_000 {
                black_box(serde_json::to_string(&ServerMsg::Chat(record.clone())).unwrap());
            }
        })
    });
    group.finish();
}

/// Fan-out that goes nowhere: the store benchmark measures the store.
struct Nowhere;

impl Fanout for Nowhere {
    fn publish(&self, frame: Arc<Frame>) {
        black_box(frame);
    }
}

fn message(n: u64) -> NewMessage {
    let username = Username::parse("alice").unwrap();
    NewMessage {
        room: RoomName::parse("bench").unwrap(),
        author: Author::name(&username),
        username,
        text: MessageText::parse(&format!("message number {n}")).unwrap(),
        client_id: None,
    }
}

fn appending(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("bench.db"), Arc::new(Nowhere)).unwrap();
    let mut group = c.benchmark_group("store_append");
    let mut n = 0;
    // One writer waiting for each commit: a commit (WAL write) per message.
    group.bench_function("single", |b| {
        b.iter(|| {
            n += 1;
            runtime.block_on(store.append(message(n))).unwrap()
        })
    });
    // 64 appends in flight: the writer commits whatever has queued in one transaction.
    group.bench_function("batched_64", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let appends = (0..64).map(|_| {
                    n += 1;
                    store.append(message(n))
                });
                for appended in futures_util::future::join_all(appends).await {
                    appended.unwrap();
                }
            })
        })
    });
    group.finish();
    runtime.block_on(store.close());
}

criterion_group!(benches, decoding, broadcasting, appending);
criterion_main!(benches);
