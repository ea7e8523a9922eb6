//! The page-load benchmark's smoke run (issue 17): one first and one repeat visit on
//! loopback, through the same code as `cargo run -p chinwag-e2e --bin page-load`, so the
//! benchmark cannot rot. It checks what the benchmark relies on — the newest messages shown,
//! a clock reading, a repeat visit served from the cache — and sets no time limit: timings
//! belong in `docs/benchmarks.md`, not in a test.

use crate::support::{Driver, Server};
use chinwag_e2e::page_load::{FILL_FLAGS, Link, NEWEST, Reader, Visit, fill_room};

/// A little more than one history page, so "the newest 50" is a part of the room.
const MESSAGES: usize = NEWEST + 10;

#[tokio::test]
async fn the_page_load_benchmark_times_a_first_and_a_repeat_visit() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &FILL_FLAGS).await;
    let room = fill_room(server.addr, "pageload", MESSAGES)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let driver = Driver::start().await;
    let client = driver
        .open_session()
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let reader = Reader::sign_in(client, &server.url(""), &room)
        .await
        .unwrap_or_else(|err| panic!("becoming a returning guest: {err}"));

    let [first, repeat] = reader
        .visit_twice(Link::Loopback)
        .await
        .unwrap_or_else(|err| panic!("measuring: {err}"));

    assert_eq!((first.visit, repeat.visit), (Visit::First, Visit::Repeat));
    for sample in [&first, &repeat] {
        let visit = sample.visit.name();
        assert!(
            sample.rendered >= NEWEST as u64,
            "{visit} visit: {} messages listed when the clock stopped",
            sample.rendered
        );
        assert!(
            sample.shown_ms.is_finite() && sample.shown_ms > 0.0,
            "{visit} visit: shown at {} ms",
            sample.shown_ms
        );
        assert!(
            sample.painted_ms >= sample.shown_ms,
            "{visit} visit: painted at {} ms, before shown at {} ms",
            sample.painted_ms,
            sample.shown_ms
        );
        assert!(
            sample.files.iter().any(|file| file.kind == "navigation"),
            "{visit} visit: the document itself is among the files: {:#?}",
            sample.files
        );
    }
    assert!(
        first
            .files
            .iter()
            .any(|file| file.path.ends_with(".wasm") && file.transfer_bytes > 0),
        "the first visit fetched the wasm over the wire (cache emptied): {:#?}",
        first.files
    );
    for sample in [&first, &repeat] {
        // index.html asks for the session and the room's newest page before the wasm runs
        // (preloads); the app's own requests must be answered by them, not sent again. A
        // preload the app did not use, or an app request that went out itself, shows here.
        let visit = sample.visit.name();
        for path in [
            "/api/auth".to_owned(),
            "/api/me".to_owned(),
            format!("/api/rooms/{}/messages?limit=50", room.name),
        ] {
            let kinds: Vec<&str> = sample
                .files
                .iter()
                .filter(|file| file.path == path)
                .map(|file| file.kind.as_str())
                .collect();
            assert_eq!(
                kinds,
                ["link"],
                "{visit} visit: {path} should be requested once, by its preload: {:#?}",
                sample.files
            );
        }
        let preloads = sample
            .files
            .iter()
            .filter(|file| file.kind == "link" && file.path.starts_with("/api/"))
            .count();
        assert_eq!(preloads, 3, "{visit} visit: {:#?}", sample.files);
    }
    assert!(
        repeat.transfer_bytes() < first.transfer_bytes(),
        "the repeat visit transferred {} bytes, the first {}: the cache served nothing",
        repeat.transfer_bytes(),
        first.transfer_bytes()
    );
    reader.close().await.unwrap_or_else(|err| panic!("{err}"));
}
