//! `/metrics`: Prometheus text that moves with real traffic.

use crate::support::{Client, Server, sample};

#[tokio::test]
async fn metrics_count_connections_messages_errors_and_store_latency() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut alice, _) = Client::join(&server.ws_url("?room=m")).await;
    let (mut bob, _) = Client::join(&server.ws_url("?room=m")).await;
    alice.post("m", "alice", "counted").await;
    bob.recv_type("chat").await;
    alice.send_text("{not json").await;
    alice.recv_type("error").await;

    let (status, text) = server.get_text("/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(sample(&text, "chinwag_connections_open"), 2.0);
    assert_eq!(sample(&text, "chinwag_messages_in_total"), 1.0);
    assert_eq!(
        sample(&text, "chinwag_error_frames_total{code=\"bad_json\"}"),
        1.0
    );
    assert_eq!(sample(&text, "chinwag_store_append_seconds_count"), 1.0);
    // joined + presence + events + the chat, to each of two clients, plus the error.
    assert!(
        sample(&text, "chinwag_frames_delivered_total") >= 7.0,
        "{text}"
    );
    assert!(
        text.trim_end().ends_with("# EOF"),
        "OpenMetrics text ends with # EOF"
    );
}
