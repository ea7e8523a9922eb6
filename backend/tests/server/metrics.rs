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

/// The metric families a server exposes: the names of its `# TYPE` lines.
fn families(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| {
            let mut parts = rest.split_whitespace();
            Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
        })
        .collect()
}

fn repo_file(path: &str) -> String {
    let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|err| panic!("{full}: {err}"))
}

#[tokio::test]
async fn every_metric_is_documented_and_the_dashboard_charts_only_real_ones() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (status, text) = server.get_text("/metrics").await;
    assert_eq!(status, 200);
    let families = families(&text);
    assert!(families.len() >= 10, "too few metric families: {text}");

    // Every family has a row in the operations guide's metrics table, under the name a
    // scrape shows (counters gain `_total`).
    let guide = repo_file("docs/operations.md");
    let undocumented: Vec<&str> = families
        .iter()
        .filter(|(name, kind)| {
            let shown = if kind == "counter" {
                format!("`{name}_total")
            } else {
                format!("`{name}")
            };
            !guide.contains(&shown)
        })
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(
        undocumented.is_empty(),
        "metrics missing from docs/operations.md: {undocumented:?}"
    );

    // Every series the Grafana dashboard queries is one the server exposes.
    let dashboard: serde_json::Value =
        serde_json::from_str(&repo_file("deploy/grafana/chinwag.json")).unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(!panels.is_empty());
    let exposed = |series: &str| {
        families.iter().any(|(name, kind)| {
            let suffixes: &[&str] = match kind.as_str() {
                "counter" => &["_total"],
                "histogram" => &["_bucket", "_count", "_sum"],
                _ => &[""],
            };
            suffixes
                .iter()
                .any(|suffix| series == format!("{name}{suffix}"))
        })
    };
    let mut queried = 0;
    for panel in panels {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for series in expr
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|word| word.starts_with("chinwag_"))
            {
                queried += 1;
                assert!(
                    exposed(series),
                    "panel {:?} queries {series}, which the server does not expose",
                    panel["title"]
                );
            }
        }
    }
    assert!(
        queried >= families.len() / 2,
        "the dashboard charts too little"
    );
}
