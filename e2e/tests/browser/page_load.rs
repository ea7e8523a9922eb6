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
    assert!(
        repeat.transfer_bytes() < first.transfer_bytes(),
        "the repeat visit transferred {} bytes, the first {}: the cache served nothing",
        repeat.transfer_bytes(),
        first.transfer_bytes()
    );
    reader.close().await.unwrap_or_else(|err| panic!("{err}"));
}
