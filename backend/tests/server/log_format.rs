//! `--log-format json`: every line the server writes to stderr is one JSON object a log
//! shipper can read, with the level, the target and the message among its fields; the
//! default stays plain text.

use crate::support::Server;
use serde_json::Value;

#[tokio::test]
async fn json_logs_are_one_object_per_line_and_text_stays_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let (server, stderr) =
        Server::start_capturing_stderr(dir.path(), "127.0.0.1:0", &["--log-format", "json"]).await;
    assert!(server.terminate().await.success());
    let log = stderr.finish().await;
    let lines: Vec<&str> = log.text.lines().filter(|line| !line.is_empty()).collect();
    // The test servers start without a built client, which the server warns about.
    assert!(!lines.is_empty(), "the server logged something");
    for line in &lines {
        let object: Value =
            serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"));
        assert!(object["level"].is_string(), "{line}");
        assert!(object["target"].is_string(), "{line}");
        assert!(object["fields"]["message"].is_string(), "{line}");
    }
    assert!(
        lines.iter().any(|line| line.contains("no built frontend")),
        "{lines:?}"
    );
    assert_eq!(log.escapes, 0, "no colour codes in JSON");

    let dir = tempfile::tempdir().unwrap();
    let (server, stderr) = Server::start_capturing_stderr(dir.path(), "127.0.0.1:0", &[]).await;
    assert!(server.terminate().await.success());
    let log = stderr.finish().await;
    let first = log.text.lines().next().unwrap_or_default();
    assert!(
        serde_json::from_str::<Value>(first).is_err(),
        "plain text by default: {first}"
    );
}
