//! The deployment's own front: Debian's nginx with `deploy/nginx.conf`, round-robin over two
//! nodes. WebSockets and the HTTP API pass through it, requests reach every node, and when a
//! node dies the front sends clients to the other.

use crate::{node, redis::Redis, support::Client};
use std::{collections::BTreeSet, path::Path, process::Stdio, time::Duration};
use tokio::process::{Child, Command};

/// nginx running `deploy/nginx.conf` in the foreground from a temporary prefix; stopped
/// (workers and all) when dropped.
struct Front {
    child: Child,
    port: u16,
    prefix: tempfile::TempDir,
}

impl Drop for Front {
    fn drop(&mut self) {
        // SIGTERM, not the SIGKILL of `kill_on_drop`: a killed master leaves its worker
        // processes running, orphaned; a terminated one stops them first.
        let Some(pid) = self.child.id() else {
            return;
        };
        let _gone = chinwag_testkit::launch::send_signal(pid, "TERM");
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_)) | Err(_)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Front {
    async fn start(upstream_ports: &[u16]) -> Front {
        let prefix = tempfile::tempdir().unwrap();
        let port = chinwag_testkit::launch::free_port().unwrap();
        let template_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nginx.conf");
        let upstreams: Vec<String> = upstream_ports
            .iter()
            .map(|port| format!("server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;"))
            .collect();
        let config = std::fs::read_to_string(template_path)
            .unwrap()
            .replace("{{PREFIX}}", prefix.path().to_str().unwrap())
            .replace("{{LISTEN}}", &format!("127.0.0.1:{port}"))
            .replace("{{UPSTREAMS}}", &upstreams.join("\n"));
        let config_path = prefix.path().join("nginx.conf");
        std::fs::write(&config_path, config).unwrap();
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .expect("nginx is installed (cargo xtask test installs it)");
        let child = Command::new(nginx)
            .arg("-p")
            .arg(prefix.path())
            .arg("-c")
            .arg(&config_path)
            .arg("-e")
            .arg(prefix.path().join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let front = Front {
            child,
            port,
            prefix,
        };
        front.until_answering().await;
        front
    }

    /// nginx says nothing when it is listening; wait until it answers (bounded).
    async fn until_answering(&self) {
        for _ in 0..200 {
            if self
                .get("/readyz")
                .await
                .is_some_and(|(status, _)| status == 200)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("nginx never answered");
    }

    /// `GET path` through the front: status and the `X-Chinwag-Node` that answered.
    async fn get(&self, path: &str) -> Option<(u16, String)> {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        tokio::task::spawn_blocking(move || {
            let response = crate::support::http_agent().get(&url).call().ok()?;
            let node = response
                .headers()
                .get("x-chinwag-node")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            Some((response.status().as_u16(), node))
        })
        .await
        .unwrap()
    }

    /// The access log's text once it holds a line naming `path` (bounded wait).
    async fn logged(&self, path: &str) -> String {
        let log = self.prefix.path().join("access.log");
        for _ in 0..200 {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains(path) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("nginx never logged {path}");
    }

    fn ws_url(&self, query: &str) -> String {
        format!("ws://127.0.0.1:{}/socket{query}", self.port)
    }
}

#[tokio::test]
async fn nginx_round_robins_sockets_and_requests_and_routes_around_a_dead_node() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &["--trusted-proxy", "127.0.0.1"]).await;
    let b = node(&redis, "b", &["--trusted-proxy", "127.0.0.1"]).await;
    let front = Front::start(&[a.addr.port(), b.addr.port()]).await;

    let mut answered_by = BTreeSet::new();
    for _ in 0..4 {
        let (status, node) = front.get("/api/rooms").await.expect("an answer");
        assert_eq!(status, 200);
        answered_by.insert(node);
    }
    assert_eq!(
        answered_by,
        BTreeSet::from(["a".to_owned(), "b".to_owned()]),
        "round-robin"
    );

    let (mut alice, _) = Client::join(&front.ws_url("?room=front&username=alice")).await;
    let (mut bob, _) = Client::join(&front.ws_url("?room=front&username=bob")).await;
    let sent = alice.post("front", "alice", "through nginx").await;
    let seen = bob.recv_type("chat").await;
    assert_eq!(seen, sent);
    let sent = bob.post("front", "bob", "and back").await;
    assert_eq!(alice.recv_type("chat").await, sent);

    // With a node gone, the front keeps serving from the other one.
    a.server.kill().await;
    for _ in 0..4 {
        let (status, node) = front.get("/api/rooms").await.expect("an answer");
        assert_eq!((status, node.as_str()), (200, "b"));
    }
    // Whoever was on the dead node reconnects through the same front and resumes.
    drop((alice, bob));
    let (mut alice, frames) = Client::join(&front.ws_url("?room=front&after=0")).await;
    let ids: Vec<u64> = frames.iter().filter_map(|f| f["id"].as_u64()).collect();
    assert_eq!(ids, [1, 2], "history through the surviving node");
    let (mut bob, _) = Client::join(&front.ws_url("?room=front&after=2&username=bob")).await;
    let sent = bob.post("front", "bob", "still here").await;
    assert_eq!(alice.recv_type("chat").await, sent);
}

#[tokio::test]
async fn the_fronts_access_log_never_holds_a_token_from_the_query() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &["--trusted-proxy", "127.0.0.1"]).await;
    let front = Front::start(&[a.addr.port()]).await;
    // A browser's WebSocket sends its credential in the query; any request may.
    let secret = "cwp_ThisLooksLikeATokenAndMustNotBeLogged";
    let answer = front.get(&format!("/api/me?access_token={secret}")).await;
    assert_eq!(
        answer.map(|(status, _)| status),
        Some(401),
        "an unknown token"
    );
    let log = front.logged("/api/me").await;
    assert!(
        !log.contains(secret),
        "the access log holds the token: {log}"
    );
    assert!(!log.contains("access_token"), "{log}");
}
