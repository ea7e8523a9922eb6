//! Micro-benchmarks of the relay's hot path: decoding a client frame, encoding a broadcast
//! once and handing it to every member, and appending to the SQLite store one at a time
//! versus in a group commit, with the WAL fsynced at each commit (`full`) or not (`normal`).
//!
//! The `frame_guard` groups compare actix-ws decoding client bytes with and without the
//! oversized-frame guard in front (`routes::frame_guard`).
//!
//! `cargo bench -p chinwag-backend --bench hot_path`. Figures and their reading are in
//! `docs/benchmarks.md`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chinwag_backend::{
    delivery::{
        frame::{ChatFrame, Frame},
        outbox::Outbox,
        rooms::Rooms,
    },
    fanout::ChatPublisher,
    session::inbound::decode,
    store::{
        Author, NewMessage, Store,
        sqlite::{SqliteStore, SyncMode},
    },
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
        guest: true,
        bot: false,
        client_id: None,
        change: None,
        deleted: None,
        edited: None,
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
            .join(&room, session, outbox.sender(), None, None, true)
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

impl ChatPublisher for Nowhere {
    fn publish_chat(&self, chat: ChatFrame) {
        black_box(chat);
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
        guest: true,
        bot: false,
    }
}

fn appending(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("store_append");
    // Both durability modes, each on its own file: `normal` writes the WAL at each commit,
    // `full` (the default) also fsyncs it.
    for mode in [SyncMode::Normal, SyncMode::Full] {
        let dir = tempfile::tempdir().unwrap();
        let store =
            SqliteStore::open(&dir.path().join("bench.db"), mode, Arc::new(Nowhere)).unwrap();
        let mut n = 0;
        // One writer waiting for each commit: a commit (WAL write, plus its sync under `full`)
        // per message.
        group.bench_function(format!("single/{}", mode.name()), |b| {
            b.iter(|| {
                n += 1;
                runtime.block_on(store.append(message(n))).unwrap()
            })
        });
        // 64 appends in flight: the writer commits whatever has queued in one transaction.
        group.bench_function(format!("batched_64/{}", mode.name()), |b| {
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
        runtime.block_on(store.close());
    }
    group.finish();
}

/// Client bytes: `frames` masked text frames of `payload` bytes of text each, cut into
/// `chunk`-byte reads the way a socket hands them over (headers straddle the cuts).
fn client_chunks(frames: usize, payload: usize, chunk: usize) -> Vec<actix_web::web::Bytes> {
    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
    let text = vec![b'a'; payload];
    let mut bytes = Vec::new();
    for _ in 0..frames {
        bytes.push(0x81);
        match payload {
            0..=125 => bytes.push(0x80 | u8::try_from(payload).unwrap()),
            126..=65_535 => {
                bytes.push(0x80 | 126);
                bytes.extend(u16::try_from(payload).unwrap().to_be_bytes());
            }
            _ => {
                bytes.push(0x80 | 127);
                bytes.extend(u64::try_from(payload).unwrap().to_be_bytes());
            }
        }
        bytes.extend(KEY);
        bytes.extend(text.iter().zip(KEY.iter().cycle()).map(|(b, k)| b ^ k));
    }
    bytes
        .chunks(chunk)
        .map(actix_web::web::Bytes::copy_from_slice)
        .collect()
}

/// Decodes `chunks` with actix-ws, as the socket route does, with or without the frame guard
/// in front; returns how many messages came out.
fn decode_messages(chunks: Vec<actix_web::web::Bytes>, guarded: bool) -> usize {
    use actix_web::{FromRequest, dev, error::PayloadError, http::header, test::TestRequest, web};
    use chinwag_backend::routes::frame_guard;
    use chinwag_shared::MAX_FRAME_BYTES;
    use futures_util::Stream;
    use std::{pin::Pin, task::Poll};

    let request = TestRequest::default()
        .insert_header((header::UPGRADE, "websocket"))
        .insert_header((header::CONNECTION, "upgrade"))
        .insert_header((header::SEC_WEBSOCKET_VERSION, "13"))
        .insert_header((header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ=="))
        .to_http_request();
    let body: Pin<Box<dyn Stream<Item = Result<web::Bytes, PayloadError>>>> =
        Box::pin(futures_util::stream::iter(chunks.into_iter().map(Ok)));
    let mut body = web::Payload::from_request(&request, &mut dev::Payload::from(body))
        .into_inner()
        .unwrap();
    if guarded {
        body = frame_guard::guard(&request, body, MAX_FRAME_BYTES).unwrap();
    }
    let (_response, _session, stream) = actix_ws::handle(&request, body).unwrap();
    let mut stream = stream.max_frame_size(MAX_FRAME_BYTES);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut messages = 0;
    loop {
        match Pin::new(&mut stream).poll_next(&mut cx) {
            Poll::Ready(Some(Ok(message))) => {
                black_box(message);
                messages += 1;
            }
            Poll::Ready(None) => return messages,
            other => panic!("a valid stream yields messages, then ends: {other:?}"),
        }
    }
}

/// The frame guard in front of actix-ws's frame decoder, against the decoder alone. The guard
/// reads only headers (a few bytes per frame) and skips payloads by counting, so a stream of
/// frames within the limit should cost the same either way.
fn frame_guarding(c: &mut Criterion) {
    use chinwag_backend::routes::frame_guard::HeaderReader;
    use chinwag_shared::MAX_FRAME_BYTES;
    use criterion::Throughput;

    let workloads = [
        // Chat traffic: ~140-byte sends, cut at an Ethernet MSS so headers straddle reads.
        ("chat_64x140B_1448B_reads", client_chunks(64, 140, 1_448)),
        // The largest frames allowed, in 16 KiB reads: the guard skips each payload at once.
        (
            "max_4x64KiB_16KiB_reads",
            client_chunks(4, MAX_FRAME_BYTES, 16 * 1024),
        ),
    ];
    for (name, chunks) in workloads {
        let mut group = c.benchmark_group(format!("frame_guard/{name}"));
        let total: usize = chunks.iter().map(|chunk| chunk.len()).sum();
        group.throughput(Throughput::Bytes(u64::try_from(total).unwrap()));
        for (variant, guarded) in [("actix_ws_alone", false), ("guard_then_actix_ws", true)] {
            group.bench_function(variant, |b| {
                b.iter_batched(
                    || chunks.clone(),
                    |chunks| decode_messages(chunks, guarded),
                    BatchSize::SmallInput,
                )
            });
        }
        // The guard's own work, without the decoder: one header read per frame.
        group.bench_function("header_reader_only", |b| {
            b.iter(|| {
                let mut reader = HeaderReader::new(MAX_FRAME_BYTES);
                for chunk in &chunks {
                    reader.read(black_box(chunk)).unwrap();
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, decoding, broadcasting, appending, frame_guarding);
criterion_main!(benches);
