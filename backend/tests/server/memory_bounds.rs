//! Memory that one client could grow without bound, held to its bound: the long-poll waiter
//! table and the in-memory tails of recent messages. Each test reads the server's own gauge
//! and its resident memory from `/proc`.

use crate::support::{Client, NO_RATE_LIMIT, Server, http_agent, memory_kib, sample};
use chinwag_shared::MAX_MESSAGE_CHARS;

const ROOMS_POLLED: usize = 3_000;

#[tokio::test]
async fn long_polls_of_many_room_names_leave_no_waiter_behind() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let urls: Vec<String> = (0..ROOMS_POLLED)
        .map(|n| server.http_url(&format!("/api/rooms/r-{n}/messages?after=0&wait=0")))
        .collect();
    tokio::task::spawn_blocking(move || {
        let agent = http_agent();
        for url in urls {
            let response = agent.get(&url).call().expect("long-poll");
            assert_eq!(response.status(), 200);
        }
    })
    .await
    .unwrap();
    let (_, metrics) = server.get_text("/metrics").await;
    assert_eq!(
        sample(&metrics, "chinwag_long_poll_rooms"),
        0.0,
        "every poll is over, so no room is watched"
    );
}

#[tokio::test]
async fn heavy_rooms_are_held_in_memory_within_the_byte_budget() {
    const BUDGET: usize = 4 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let budget = BUDGET.to_string();
    let mut flags = vec!["--recent-tail-bytes", &budget];
    flags.extend_from_slice(&NO_RATE_LIMIT);
    let server = Server::start_with(dir.path(), &flags).await;
    let (mut writer, _) = Client::join(&server.ws_url("?room=w&username=w")).await;
    let rss_before = memory_kib(server.pid(), "VmRSS");
    // 24 rooms × 40 messages of 4,000 emoji: ~30 MB of tails if held by count alone.
    let heavy = "😀".repeat(MAX_MESSAGE_CHARS);
    for room in 0..24 {
        for _ in 0..40 {
            writer.post(&format!("heavy-{room}"), "w", &heavy).await;
        }
    }
    let (_, metrics) = server.get_text("/metrics").await;
    let held = sample(&metrics, "chinwag_recent_tail_bytes");
    #[allow(clippy::cast_precision_loss, reason = "a few MiB is exact in an f64")]
    let budget = BUDGET as f64;
    assert!(held > 0.0 && held <= budget, "tails hold {held} bytes");
    let grown_kib = memory_kib(server.pid(), "VmRSS").saturating_sub(rss_before);
    assert!(
        grown_kib < 20 * 1024,
        "the server grew by {grown_kib} KiB while holding {held} bytes of tails"
    );
}
