//! The log cannot be flooded: a client repeating a refused request with a huge header adds a
//! few clipped lines and one count to stderr, not a copy of each header (issue 12, item 9).
//!
//! The server runs with stderr on a pipe, as under systemd or a container runtime, so these
//! tests also see what such a log file receives: no ANSI colour codes.

use crate::{raw, support::Server};

/// Requests in the flood: the number measured in the issue.
const REQUESTS: usize = 2_000;

/// What the whole flood may add to stderr, startup and shutdown lines included. Unclipped,
/// one request alone wrote more than this.
const STDERR_BOUND_BYTES: usize = 64 * 1024;

/// Clients sending this many at once.
const CONCURRENCY: usize = 4;

/// A 120 KB origin (under actix's 128 KiB request-head limit) that is easy to spot in a body.
fn huge_origin() -> String {
    format!("https://{}.example", "flood-".repeat(20_000))
}

/// A cross-site socket upgrade or message post carrying `origin`.
async fn cross_site_request(server: &Server, origin: &str, upgrade: bool) -> (u16, String) {
    let host = server.addr;
    if upgrade {
        let head = format!(
            "GET /socket HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Origin: {origin}\r\n\r\n"
        );
        raw::exchange(server, &head, "").await
    } else {
        let body = r#"{"username":"mallory","message":"hi"}"#;
        let head = format!(
            "POST /api/rooms/general/messages HTTP/1.1\r\nHost: {host}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nOrigin: {origin}\r\n\r\n",
            body.len()
        );
        raw::exchange(server, &head, body).await
    }
}

/// Sums the `left_out=N` counts of the summary lines in `log`.
fn left_out_in(log: &str) -> usize {
    log.lines()
        .filter_map(|line| line.split("left_out=").nth(1))
        .map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<usize>().unwrap()
        })
        .sum()
}

#[tokio::test]
async fn a_flood_of_huge_refused_origins_adds_a_few_clipped_lines_and_one_count() {
    let dir = tempfile::tempdir().unwrap();
    let (server, stderr) = Server::start_capturing_stderr(dir.path(), "127.0.0.1:0", &[]).await;
    let origin = huge_origin();
    let mut workers = tokio::task::JoinSet::new();
    let server = std::sync::Arc::new(server);
    for worker in 0..CONCURRENCY {
        let (server, origin) = (server.clone(), origin.clone());
        workers.spawn(async move {
            let mut answers = Vec::new();
            for i in (worker..REQUESTS).step_by(CONCURRENCY) {
                answers.push(cross_site_request(&server, &origin, i % 2 == 0).await);
            }
            answers
        });
    }
    let answers: Vec<(u16, String)> = workers.join_all().await.into_iter().flatten().collect();
    let server = std::sync::Arc::into_inner(server).expect("every worker is done");
    assert!(server.terminate().await.success());
    let log = stderr.finish().await;

    assert!(
        log.bytes < STDERR_BOUND_BYTES,
        "{REQUESTS} refused requests wrote {} bytes to stderr",
        log.bytes
    );
    assert_eq!(answers.len(), REQUESTS);
    for (status, body) in &answers {
        assert_eq!(*status, 403, "{body}");
        assert!(body.contains("forbidden_origin"), "{body}");
        assert!(!body.contains("flood-flood-"), "the body echoes the header");
        assert!(body.len() < 1024, "a {}-byte 403 body", body.len());
    }
    let refusals = log
        .text
        .lines()
        .filter(|line| line.contains("refused a cross-site request"))
        .collect::<Vec<_>>();
    assert!(
        !refusals.is_empty(),
        "the refusals were logged:\n{}",
        log.text
    );
    for line in &refusals {
        assert!(line.contains("…(+"), "the origin was clipped: {line}");
        assert!(line.len() < 1024, "a {}-byte line", line.len());
    }
    assert_eq!(
        refusals.len() + left_out_in(&log.text),
        REQUESTS,
        "every refusal was either logged or counted in a summary:\n{}",
        log.text
    );
}

#[tokio::test]
async fn a_log_on_a_pipe_carries_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (server, stderr) = Server::start_capturing_stderr(dir.path(), "127.0.0.1:0", &[]).await;
    // One warning for sure: a cross-site request.
    let (status, _) = cross_site_request(&server, "https://evil.example", true).await;
    assert_eq!(status, 403);
    assert!(server.terminate().await.success());
    let log = stderr.finish().await;
    assert!(
        log.text.contains("refused a cross-site request"),
        "a warning was written:\n{}",
        log.text
    );
    assert_eq!(log.escapes, 0, "ESC bytes in:\n{:?}", log.text);
}
