//! The README's dev loop, `cargo xtask dev`: `trunk serve` in front of the server, used the way
//! a developer uses it. The page, a WebSocket, the history API and a POST all go through
//! trunk's port carrying the page's `Origin`, and each must work, as must the lazily loaded
//! panels' start script (built once by the loop, served by the server behind trunk); the same requests from a
//! foreign origin must still be refused. Then Ctrl-C must stop trunk and the server both.
//!
//! trunk and the server get free ports (`--port`, `--server-port`) and a temp database, so the
//! test cannot collide with a developer's own loop on 8081/8080. `index.html` builds the client
//! in the `wasm-release` profile in both of trunk's modes, so trunk's first build reuses the
//! one `cargo xtask test` has just made and is only wasm-bindgen (a few seconds). The xtask
//! binary is `CHINWAG_XTASK` (set by `cargo xtask test`), else `target/debug/xtask`.

use crate::support::{Browser, Driver, POLL, WAIT, workspace_root};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

/// Environment variable naming the xtask binary; default `<workspace>/target/debug/xtask`.
const CHINWAG_XTASK: &str = "CHINWAG_XTASK";

/// Longest `xtask dev` may take until trunk serves the page: the server build check, then
/// trunk's first build. With the client already built that is seconds; this also covers a
/// cold build (the whole client, with LTO) on two busy cores.
const FIRST_BUILD_WAIT: Duration = Duration::from_secs(420);

/// Longest `xtask dev` may take to exit after Ctrl-C: trunk's stop, then the server's graceful
/// shutdown (5 s at most), each killed after 8 s.
const STOP_WAIT: Duration = Duration::from_secs(30);

/// A page on another site, which must not reach the server through the dev proxy either.
const FOREIGN_ORIGIN: &str = "https://attacker.example";

#[tokio::test]
async fn dev_loop_chats_through_trunk_with_the_page_origin_and_refuses_a_foreign_one() {
    let mut dev = DevLoop::start().await;
    let page_origin = format!("http://{}", dev.addr());

    // The page itself: its WebSocket carries its own origin, as in a developer's browser.
    let driver = Driver::start().await;
    let alice = Browser::open(&driver, dev.addr()).await;
    alice.login("alice").await;
    alice
        .send_confirmed("alice", "from the page on trunk")
        .await;

    let mut socket = connect(&dev.url("ws", "/socket?room=general"), &page_origin).await;
    assert!(
        joins(&mut socket).await,
        "the page's origin joined through trunk"
    );
    send_chat(&mut socket, "bot", "from a socket on trunk").await;

    let body = json!({"username": "poster", "message": "from a POST on trunk"});
    let (status, answer) = post_message(&dev, &page_origin, &body).await;
    assert_eq!(status, 201, "POST with the page's origin: {answer}");

    let (status, answer) = get(dev.url("http", HISTORY)).await;
    assert_eq!(status, 200, "history through trunk: {answer}");
    let texts = messages(&answer);
    for text in [
        "from the page on trunk",
        "from a socket on trunk",
        "from a POST on trunk",
    ] {
        assert!(texts.contains(&text.to_owned()), "{text:?} in {texts:?}");
    }

    // The lazily loaded panels, which the loop builds once and the server serves.
    let (status, boot) = get(dev.url("http", "/panels/boot.js")).await;
    assert_eq!(
        status, 200,
        "the panels' start script through trunk: {boot}"
    );

    // The attacker's requests, through the same proxy.
    let body = json!({"username": "mallory", "message": "cross-site post"});
    let (status, answer) = post_message(&dev, FOREIGN_ORIGIN, &body).await;
    assert_eq!(status, 403, "POST from {FOREIGN_ORIGIN}: {answer}");
    assert!(answer.contains("forbidden_origin"), "{answer}");
    // trunk accepts the upgrade before it dials the server, so a refusal shows as a socket that
    // ends without ever joining.
    let mut hijack = connect(&dev.url("ws", "/socket?room=general"), FOREIGN_ORIGIN).await;
    assert!(
        !joins(&mut hijack).await,
        "{FOREIGN_ORIGIN} joined through trunk"
    );
    let (_, answer) = get(dev.url("http", HISTORY)).await;
    assert!(!messages(&answer).contains(&"cross-site post".to_owned()));

    drop(socket);
    let status = dev.interrupt().expect("xtask dev exits after Ctrl-C");
    assert!(status.success(), "xtask dev after Ctrl-C: {status}");
    dev.assert_nothing_left();
}

/// One page of `general`'s history, from the start.
const HISTORY: &str = "/api/rooms/general/messages?after=0&limit=500";

/// `cargo xtask dev` on free ports, with its database in a temp dir.
struct DevLoop {
    xtask: Child,
    port: u16,
    server_port: u16,
    _dir: tempfile::TempDir,
}

impl DevLoop {
    /// Starts `xtask dev` and waits until trunk serves the page.
    async fn start() -> DevLoop {
        let xtask = std::env::var_os(CHINWAG_XTASK).map_or_else(
            || workspace_root().join("target/debug/xtask"),
            PathBuf::from,
        );
        assert!(
            xtask.exists(),
            "no xtask binary at {} (set {CHINWAG_XTASK}); run the suite with `cargo xtask test`",
            xtask.display()
        );
        let dir = tempfile::tempdir().unwrap();
        // Both held at once, so the two differ; freed just before xtask binds them.
        let listeners = [free_port(), free_port()];
        let [port, server_port] = listeners.each_ref().map(|l| l.local_addr().unwrap().port());
        drop(listeners);
        let child = Command::new(&xtask)
            .current_dir(workspace_root())
            .args(["dev", "--port", &port.to_string()])
            .args(["--server-port", &server_port.to_string()])
            .env("CHINWAG_DB", dir.path().join("chinwag.db"))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", xtask.display()));
        let mut dev = DevLoop {
            xtask: child,
            port,
            server_port,
            _dir: dir,
        };
        dev.wait_for_page().await;
        dev
    }

    /// Polls trunk's `/` until it serves the built page, failing if xtask exits first.
    async fn wait_for_page(&mut self) {
        let deadline = Instant::now() + FIRST_BUILD_WAIT;
        loop {
            if let Some(status) = self.xtask.try_wait().unwrap() {
                panic!("xtask dev exited before trunk served the page: {status}");
            }
            if TcpStream::connect(self.addr()).is_ok() {
                let (status, page) = get(self.url("http", "/")).await;
                if status == 200 && page.contains(".wasm") {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "trunk did not serve the page within {FIRST_BUILD_WAIT:?}"
            );
            tokio::time::sleep(POLL * 10).await;
        }
    }

    /// trunk's address.
    fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// `SCHEME://trunk/path`.
    fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{}{path}", self.addr())
    }

    /// Sends SIGINT (a terminal's Ctrl-C) to xtask and waits up to [`STOP_WAIT`] for it to
    /// exit; `None` if it is still running then. Panics on nothing, so `Drop` can use it.
    fn interrupt(&mut self) -> Option<ExitStatus> {
        if let Ok(Some(status)) = self.xtask.try_wait() {
            return Some(status);
        }
        let pid = self.xtask.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let deadline = Instant::now() + STOP_WAIT;
        while Instant::now() < deadline {
            match self.xtask.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) => std::thread::sleep(POLL),
                Err(_) => return None,
            }
        }
        None
    }

    /// After xtask has exited: neither port answers, and no process of the loop is left.
    fn assert_nothing_left(&self) {
        for port in [self.port, self.server_port] {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            assert!(TcpStream::connect(addr).is_err(), "{addr} still answers");
        }
        // trunk's arguments name its config under target/dev/PORT; the server's, its port.
        let marks = [
            format!("target/dev/{}/", self.port),
            format!("127.0.0.1:{}", self.server_port),
        ];
        let left: Vec<String> = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|entry| std::fs::read(entry.ok()?.path().join("cmdline")).ok())
            .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
            .filter(|cmdline| marks.iter().any(|mark| cmdline.contains(mark)))
            .collect();
        assert!(left.is_empty(), "orphans of xtask dev: {left:#?}");
    }
}

impl Drop for DevLoop {
    /// A failed test still stops the loop the way a developer would, through xtask's Ctrl-C
    /// path (which stops trunk and the server); SIGKILL only if that hangs.
    fn drop(&mut self) {
        if self.interrupt().is_none() {
            let _ = self.xtask.kill();
            let _ = self.xtask.wait();
        }
        // trunk's config and build for this port; nothing else uses them.
        let dir = workspace_root()
            .join("target/dev")
            .join(self.port.to_string());
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn free_port() -> TcpListener {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket to `url` whose handshake carries `Origin: origin`, as a browser's does.
async fn connect(url: &str, origin: &str) -> Socket {
    let mut request = url.into_client_request().unwrap();
    let origin = HeaderValue::from_str(origin).unwrap();
    request.headers_mut().insert("origin", origin);
    let (socket, _response) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("handshake in time")
        .unwrap_or_else(|err| panic!("WebSocket handshake with {url}: {err}"));
    socket
}

/// Whether the server's `joined` frame arrives before the socket ends.
async fn joins(socket: &mut Socket) -> bool {
    while let Some(frame) = next_frame(socket).await {
        if frame["type"] == "joined" {
            return true;
        }
    }
    false
}

/// The next JSON text frame, or `None` once the socket has closed (or broken).
async fn next_frame(socket: &mut Socket) -> Option<Value> {
    loop {
        let next = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame or the end of the socket in time");
        match next? {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(other) => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Sends a chat message over `socket` and waits until it comes back stored.
async fn send_chat(socket: &mut Socket, username: &str, message: &str) {
    let frame =
        json!({"type": "send", "room": "general", "username": username, "message": message});
    socket.send(Message::text(frame.to_string())).await.unwrap();
    loop {
        let frame = next_frame(socket).await.expect("the socket stays open");
        assert_ne!(frame["type"], "error", "send refused: {frame}");
        if frame["type"] == "chat" && frame["message"] == message {
            return;
        }
    }
}

/// `POST /api/rooms/general/messages` through trunk with a JSON body and `Origin: origin`, as
/// the page's `fetch` sends it; returns the status and body, whatever the status.
async fn post_message(dev: &DevLoop, origin: &str, body: &Value) -> (u16, String) {
    let url = dev.url("http", "/api/rooms/general/messages");
    let (origin, body) = (origin.to_owned(), body.clone());
    tokio::task::spawn_blocking(move || {
        let request = agent().post(&url).header("origin", &origin);
        read(&url, request.send_json(body))
    })
    .await
    .unwrap()
}

/// `GET url`; returns the status and body, whatever the status.
async fn get(url: String) -> (u16, String) {
    tokio::task::spawn_blocking(move || read(&url, agent().get(&url).call()))
        .await
        .unwrap()
}

/// An HTTP client that bounds each request by [`WAIT`] and treats no status as an error.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(WAIT))
        .http_status_as_error(false)
        .build()
        .into()
}

fn read(
    url: &str,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> (u16, String) {
    let mut response = response.unwrap_or_else(|err| panic!("{url}: {err}"));
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

/// The `message` of every record in a history page.
fn messages(page: &str) -> Vec<String> {
    let records: Vec<Value> = serde_json::from_str(page)
        .unwrap_or_else(|err| panic!("history is a JSON array ({err}): {page}"));
    records
        .iter()
        .filter_map(|record| record["message"].as_str().map(str::to_owned))
        .collect()
}
