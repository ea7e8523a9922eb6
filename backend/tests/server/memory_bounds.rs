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

/// Posts `count` messages of 4,000 emoji (16 KB each) to `room`.
async fn fill_with_heavy_messages(server: &Server, room: &str, count: usize) {
    let (mut writer, _) = Client::join(&server.ws_url(&format!("?room={room}&username=w"))).await;
    let heavy = "😀".repeat(MAX_MESSAGE_CHARS);
    for _ in 0..count {
        writer.post(room, "w", &heavy).await;
    }
}

/// The `rel="next"` target of a `Link` header, if any.
fn next_link(response: &ureq::http::Response<ureq::Body>) -> Option<String> {
    let link = response.headers().get("link")?.to_str().ok()?;
    let target = link.strip_prefix('<')?.split_once('>')?.0;
    assert!(link.ends_with("rel=\"next\""), "{link}");
    Some(target.to_owned())
}

#[tokio::test]
async fn history_pages_stop_near_a_megabyte_and_link_to_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    fill_with_heavy_messages(&server, "heavy", 200).await;
    let base = server.http_url("");
    let pages = tokio::task::spawn_blocking(move || {
        let agent = http_agent();
        let mut path = Some("/api/rooms/heavy/messages?after=0&limit=500".to_owned());
        let (mut ids, mut pages) = (Vec::new(), 0);
        while let Some(next) = path.take() {
            pages += 1;
            assert!(pages < 20, "paging ends");
            let mut response = agent.get(&format!("{base}{next}")).call().unwrap();
            path = next_link(&response);
            let body = response.body_mut().read_to_string().unwrap();
            assert!(body.len() < 1_100_000, "a page of {} bytes", body.len());
            let page: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
            ids.extend(page.iter().map(|record| record["id"].as_u64().unwrap()));
        }
        (ids, pages)
    })
    .await
    .unwrap();
    let (ids, pages) = pages;
    assert_eq!(
        ids,
        (1..=200).collect::<Vec<u64>>(),
        "every record once, in order"
    );
    assert!(pages >= 3, "3.2 MB of records took {pages} pages");
}

/// Resident memory, sampled while `settle` rounds pass, at its highest.
async fn peak_rss_kib(server: &Server) -> u64 {
    let mut peak = 0;
    for _ in 0..30 {
        peak = peak.max(memory_kib(server.pid(), "VmRSS"));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    peak
}

#[tokio::test]
async fn readers_that_never_read_pin_a_bounded_amount_of_memory() {
    use tokio::io::AsyncWriteExt;
    const HOARDERS: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let mut flags = vec!["--max-connections-per-ip", "1000"];
    flags.extend_from_slice(&NO_RATE_LIMIT);
    let server = Server::start_with(dir.path(), &flags).await;
    fill_with_heavy_messages(&server, "heavy", 500).await;
    let before = memory_kib(server.pid(), "VmRSS");
    // Half ask for the history over HTTP, half replay it over a socket; none reads a byte.
    let mut hoarders = Vec::new();
    for n in 0..HOARDERS {
        let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let request = if n % 2 == 0 {
            format!(
                "GET /api/rooms/heavy/messages?after=0&limit=500 HTTP/1.1\r\nHost: {}\r\n\r\n",
                server.addr
            )
        } else {
            format!(
                "GET /socket?room=heavy&after=0 HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                 Sec-WebSocket-Version: 13\r\n\r\n",
                server.addr
            )
        };
        socket.write_all(request.as_bytes()).await.unwrap();
        hoarders.push(socket);
    }
    let grown_mib = peak_rss_kib(&server).await.saturating_sub(before) / 1024;
    drop(hoarders);
    eprintln!("{HOARDERS} non-readers: server RSS grew by {grown_mib} MiB at its peak");
    // Each asked for 8 MB; by count alone that is 320 MB held for clients that never read.
    assert!(
        grown_mib < 120,
        "{HOARDERS} non-readers grew the server by {grown_mib} MiB"
    );
}

#[tokio::test]
async fn a_replay_of_heavy_history_comes_in_byte_bounded_pages_with_no_gap_or_repeat() {
    const COUNT: u64 = 150; // ~2.4 MB: three store pages
    let dir = tempfile::tempdir().unwrap();
    // A small tail (64 KiB for the room: the newest few messages), so the replay reads the
    // store in byte-bounded pages before the tail answers the rest.
    let mut flags = vec!["--recent-tail-bytes", "1048576"];
    flags.extend_from_slice(&NO_RATE_LIMIT);
    let server = Server::start_with(dir.path(), &flags).await;
    fill_with_heavy_messages(&server, "heavy", 150).await;
    let (mut reader, frames) = Client::join(&server.ws_url("?room=heavy&after=0")).await;
    let every: Vec<u64> = (1..=COUNT).collect();
    assert_eq!(
        crate::support::chat_ids(&frames),
        every,
        "the join's replay"
    );
    // A re-join asking again from 0 is sent the same records once more, then `joined`.
    reader
        .send_json(serde_json::json!({"type": "join", "room": "heavy", "after": 0}))
        .await;
    let again = reader.recv_through("joined").await;
    assert_eq!(
        crate::support::chat_ids(&again),
        every,
        "the re-join's replay"
    );
}
