//! Test harness: the real `chinwag` binary on a free loopback port with its own SQLite file,
//! and WebSocket/HTTP clients whose every wait is bounded by [`WAIT`].
//!
//! Servers start with `--bind 127.0.0.1:0` and report their port on stdout, which
//! `chinwag-testkit`'s launcher waits for. A [`Server`] is killed when dropped, so a failing
//! test leaves nothing running.

use chinwag_testkit::{
    launch::{self, LISTENING_ON, Running},
    procfs,
    socket::JsonSocket,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::{
    net::SocketAddr,
    path::Path,
    process::{ExitStatus, Stdio},
    time::Duration,
};
use tempfile::TempDir;
use tokio_tungstenite::tungstenite::{Message, protocol::CloseFrame};

/// Longest any single wait in a test may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// Flags that lift the per-connection rate limit and the new-room budget, for tests that post
/// in bulk or into a fresh room per round.
pub const NO_RATE_LIMIT: [&str; 10] = [
    "--rate-per-sec",
    "1000000",
    "--rate-burst",
    "1000000",
    "--new-rooms-per-minute",
    "1000000",
    "--new-rooms-burst",
    "1000000",
    "--new-rooms-per-connection",
    "1000000",
];

/// A running `chinwag` process.
pub struct Server {
    running: Running,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts a server on a fresh database in `dir`.
    pub async fn start(dir: &TempDir) -> Server {
        Self::start_with(dir.path(), &[]).await
    }

    /// Starts a server on `dir/chinwag.db` with extra flags.
    pub async fn start_with(dir: &Path, extra: &[&str]) -> Server {
        Self::spawn(dir, "127.0.0.1:0", extra, Stdio::inherit(), &[]).await
    }

    /// Like [`Server::start_with`], with extra environment variables (`CHINWAG_*` settings).
    #[allow(dead_code, reason = "used by the identity tests only")]
    pub async fn start_with_env(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        Self::spawn(dir, "127.0.0.1:0", extra, Stdio::inherit(), env).await
    }

    /// Like [`Server::start_with`] but listening on `bind`, with stderr on a pipe that a
    /// [`StderrTap`] reads: its size and content, as an operator's log file would see them.
    #[allow(
        dead_code,
        reason = "used by the log tests only; the cluster suite shares this file"
    )]
    pub async fn start_capturing_stderr(
        dir: &Path,
        bind: &str,
        extra: &[&str],
    ) -> (Server, StderrTap) {
        Self::start_logging(dir, bind, extra, None).await
    }

    /// Like [`Server::start_capturing_stderr`], logging at `level` (a `RUST_LOG` filter)
    /// instead of the harness's `warn` when one is given.
    #[allow(dead_code, reason = "used by the log tests only")]
    pub async fn start_logging(
        dir: &Path,
        bind: &str,
        extra: &[&str],
        level: Option<&str>,
    ) -> (Server, StderrTap) {
        let env: Vec<(&str, &str)> = level.map(|level| ("RUST_LOG", level)).into_iter().collect();
        let mut server = Self::spawn(dir, bind, extra, Stdio::piped(), &env).await;
        let stderr = server.running.take_stderr().expect("stderr is piped");
        (server, StderrTap::read(stderr))
    }

    async fn spawn(
        dir: &Path,
        bind: &str,
        extra: &[&str],
        stderr: Stdio,
        env: &[(&str, &str)],
    ) -> Server {
        let binary = Path::new(env!("CARGO_BIN_EXE_chinwag"));
        let db = dir.join("chinwag.db");
        let mut command = launch::chinwag_command(binary, bind, &db, &dir.join("no-frontend"));
        command.args(extra).stderr(stderr);
        command.envs(env.iter().copied());
        let running = Running::start(command, LISTENING_ON, WAIT)
            .await
            .expect("server announced its address in time");
        let addr = running.addr;
        Server { running, addr }
    }

    /// The server's process id (for reading its memory use from /proc).
    pub fn pid(&self) -> u32 {
        self.running.pid()
    }

    pub fn ws_url(&self, query: &str) -> String {
        self.running.ws_url(query)
    }

    pub fn http_url(&self, path: &str) -> String {
        self.running.http_url(path)
    }

    /// `GET path`, returning the status and the body parsed as JSON.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let url = self.http_url(path);
        tokio::task::spawn_blocking(move || {
            let agent = http_agent();
            let mut response = agent.get(&url).call().expect("http request");
            let status = response.status().as_u16();
            let body: Value = response.body_mut().read_json().expect("json body");
            (status, body)
        })
        .await
        .expect("http task")
    }

    /// `POST path` with a JSON body and extra headers; returns the status and the JSON body
    /// (`null` when there is none).
    pub async fn post_json(
        &self,
        path: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let url = self.http_url(path);
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        tokio::task::spawn_blocking(move || {
            let agent = http_agent();
            let mut request = agent.post(&url);
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            let mut response = request.send_json(&body).expect("http request");
            let status = response.status().as_u16();
            let text = response.body_mut().read_to_string().expect("body");
            let json = if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).expect("json")
            };
            (status, json)
        })
        .await
        .expect("http task")
    }

    /// `GET path`, returning the status and the body as text.
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let url = self.http_url(path);
        tokio::task::spawn_blocking(move || {
            let agent = http_agent();
            let mut response = agent.get(&url).call().expect("http request");
            let status = response.status().as_u16();
            (
                status,
                response.body_mut().read_to_string().expect("text body"),
            )
        })
        .await
        .expect("http task")
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn terminate(mut self) -> ExitStatus {
        self.running
            .terminate(WAIT)
            .await
            .expect("server exited in time after SIGTERM")
    }

    /// Sends SIGKILL and waits for the process to be gone: a crash, nothing flushed.
    pub async fn kill(mut self) {
        let _ = self.running.kill(WAIT).await;
    }
}

/// An HTTP answer as the identity tests read it: the status, every header, the JSON body
/// (`null` when there is none).
#[allow(dead_code, reason = "used by the identity tests only")]
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

#[allow(dead_code, reason = "used by the identity tests only")]
impl Reply {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The `Set-Cookie` header that sets the session cookie.
    pub fn session_set_cookie(&self) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, value)| value.as_str())
            .find(|value| value.starts_with("chinwag_session="))
    }

    /// The session cookie's value, as a browser would store it.
    pub fn session_cookie(&self) -> String {
        let header = self
            .session_set_cookie()
            .unwrap_or_else(|| panic!("no session cookie in {self:?}"));
        let pair = header.split(';').next().unwrap_or_default();
        pair.trim_start_matches("chinwag_session=").to_owned()
    }

    /// The error code of a refusal (`{"code","detail"}`).
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

#[allow(dead_code, reason = "used by the identity tests only")]
impl Server {
    /// `method path` with `headers` and an optional JSON body, answered as a [`Reply`].
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(self.http_url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        tokio::task::spawn_blocking(move || {
            let agent = http_agent();
            let mut response = match body {
                Some(body) => agent.run(
                    request
                        .header("content-type", "application/json")
                        .body(body.to_string().into_bytes())
                        .expect("a request"),
                ),
                None => agent.run(request.body(()).expect("a request")),
            }
            .expect("http request");
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect();
            let text = response.body_mut().read_to_string().expect("body");
            let body = if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            };
            Reply {
                status,
                headers,
                body,
            }
        })
        .await
        .expect("http task")
    }

    /// `method path` with the session cookie `cookie`.
    pub async fn call_as(
        &self,
        cookie: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let header = format!("chinwag_session={cookie}");
        self.call(method, path, &[("cookie", &header)], body).await
    }

    /// Signs `username` up with `password` and returns the session cookie's value.
    pub async fn sign_up(&self, username: &str, password: &str) -> String {
        let body = serde_json::json!({"username": username, "password": password});
        let reply = self.call("POST", "/api/accounts", &[], Some(body)).await;
        assert_eq!(reply.status, 201, "signed up {username}: {reply:?}");
        reply.session_cookie()
    }

    /// One HTTP/1.1 request sent from the loopback address `from` (so that per-address rules
    /// see another client), answered as a [`Reply`].
    pub async fn call_from(
        &self,
        from: std::net::Ipv4Addr,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket.bind(SocketAddr::from((from, 0))).expect("bind");
        let mut tcp = tokio::time::timeout(WAIT, socket.connect(self.addr))
            .await
            .expect("connected in time")
            .expect("loopback connect");
        let body = body.map(|body| body.to_string()).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        tcp.write_all(request.as_bytes()).await.expect("request");
        let mut raw = Vec::new();
        tokio::time::timeout(WAIT, tcp.read_to_end(&mut raw))
            .await
            .expect("answered in time")
            .expect("read");
        parse_reply(&String::from_utf8_lossy(&raw))
    }
}

/// A whole HTTP/1.1 response (read to EOF, not chunked) as a [`Reply`].
#[allow(dead_code, reason = "used by the identity tests only")]
fn parse_reply(raw: &str) -> Reply {
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let body = serde_json::from_str(body).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

/// An HTTP client that returns error statuses as responses and gives up after [`WAIT`].
pub fn http_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(WAIT))
        .build()
        .into()
}

/// What a server wrote to stderr over its whole life.
#[allow(dead_code, reason = "used by the log tests only")]
pub struct Captured {
    /// Every byte written.
    pub bytes: usize,
    /// ESC (0x1b) bytes among them: ANSI colour codes, which do not belong in a log file.
    pub escapes: usize,
    /// The first [`StderrTap::KEPT_BYTES`] bytes, as text.
    pub text: String,
}

/// Drains a server's stderr as it is written (a full pipe would stall the server), counting
/// it and keeping its beginning.
#[allow(dead_code, reason = "used by the log tests only")]
pub struct StderrTap {
    reader: tokio::task::JoinHandle<Captured>,
}

#[allow(dead_code, reason = "used by the log tests only")]
impl StderrTap {
    /// Bytes of text kept for assertions on content; the rest is only counted.
    pub const KEPT_BYTES: usize = 1024 * 1024;

    fn read(mut stderr: tokio::process::ChildStderr) -> Self {
        use tokio::io::AsyncReadExt;
        let reader = tokio::spawn(async move {
            let (mut bytes, mut escapes, mut kept) = (0, 0, Vec::new());
            let mut buffer = vec![0u8; 64 * 1024];
            while let Ok(read @ 1..) = stderr.read(&mut buffer).await {
                let chunk = &buffer[..read];
                bytes += read;
                escapes += chunk.iter().filter(|&&byte| byte == 0x1b).count();
                let room = Self::KEPT_BYTES.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..read.min(room)]);
            }
            Captured {
                bytes,
                escapes,
                text: String::from_utf8_lossy(&kept).into_owned(),
            }
        });
        StderrTap { reader }
    }

    /// Everything the server wrote, once it has exited (stderr at EOF).
    pub async fn finish(self) -> Captured {
        tokio::time::timeout(WAIT, self.reader)
            .await
            .expect("stderr reached EOF in time")
            .expect("stderr reader")
    }
}

/// A WebSocket client speaking JSON text frames.
pub struct Client {
    socket: JsonSocket,
}

impl Client {
    /// Connects without waiting for anything.
    pub async fn connect(url: &str) -> Client {
        let socket = JsonSocket::connect(url, WAIT)
            .await
            .expect("websocket handshake in time");
        Client { socket }
    }

    /// Connects as a page at `origin` would: with an `Origin` header.
    #[allow(dead_code, reason = "used by the origin tests only")]
    pub async fn connect_from(url: &str, origin: &str) -> Client {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request().expect("a websocket URL");
        let origin = origin.parse().expect("a header value");
        request.headers_mut().insert("origin", origin);
        let socket = JsonSocket::connect(request, WAIT)
            .await
            .expect("websocket handshake in time");
        Client { socket }
    }

    /// Connects with extra request headers (a cookie, `Authorization`).
    #[allow(dead_code, reason = "used by the identity tests only")]
    pub async fn connect_with(url: &str, headers: &[(&str, &str)]) -> Client {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request().expect("a websocket URL");
        for (name, value) in headers {
            let name: tokio_tungstenite::tungstenite::http::HeaderName =
                name.parse().expect("a header name");
            request
                .headers_mut()
                .insert(name, value.parse().expect("a header value"));
        }
        let socket = JsonSocket::connect(request, WAIT)
            .await
            .expect("websocket handshake in time");
        Client { socket }
    }

    /// [`Client::join`] with extra request headers.
    #[allow(dead_code, reason = "used by the identity tests only")]
    pub async fn join_with(url: &str, headers: &[(&str, &str)]) -> (Client, Vec<Value>) {
        let mut client = Self::connect_with(url, headers).await;
        let frames = client.recv_through("joined").await;
        (client, frames)
    }

    /// Connects and waits until the initial join completed (its `joined` frame), returning
    /// the client and every frame that came before and including `joined`.
    pub async fn join(url: &str) -> (Client, Vec<Value>) {
        let mut client = Self::connect(url).await;
        let frames = client.recv_through("joined").await;
        (client, frames)
    }

    pub async fn send_json(&mut self, value: Value) {
        self.send_text(&value.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        let ws = self.socket.ws();
        ws.send(Message::text(text)).await.expect("send frame");
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.socket.ws().send(message).await.expect("send frame");
    }

    /// The next JSON text frame (pings and pongs skipped).
    pub async fn recv(&mut self) -> Value {
        // One deadline across skipped pings, so a stream of pings cannot stretch the wait.
        self.socket
            .recv(WAIT)
            .await
            .expect("a JSON text frame arrived in time")
    }

    /// The next JSON text frame within `limit` (for events that take longer than [`WAIT`]);
    /// `None` if the socket closed first.
    #[allow(
        dead_code,
        reason = "used by the cluster suite, which shares this file"
    )]
    pub async fn recv_within(&mut self, limit: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.ws().next())
                .await
                .expect("a frame arrived in time");
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Some(serde_json::from_str(&text).expect("server JSON"));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                _ => return None,
            }
        }
    }

    /// Frames up to and including the first of type `kind`.
    pub async fn recv_through(&mut self, kind: &str) -> Vec<Value> {
        let mut frames = Vec::new();
        loop {
            let frame = self.recv().await;
            let done = frame["type"] == kind;
            frames.push(frame);
            if done {
                return frames;
            }
        }
    }

    /// The next frame of type `kind`, skipping others.
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        self.recv_through(kind)
            .await
            .pop()
            .expect("at least one frame")
    }

    /// The next `user_joined` / `user_left` event about `username`, skipping others (a joiner
    /// also receives its own arrival, like every member of the room).
    pub async fn recv_user_event(&mut self, kind: &str, username: &str) -> Value {
        // One deadline for the whole wait: pings and other frames arrive meanwhile, and must
        // not keep a wait for an event that never comes alive forever.
        tokio::time::timeout(WAIT, async {
            loop {
                let event = self.recv_type(kind).await;
                if event["username"] == username {
                    return event;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{kind} for {username} arrived in time"))
    }

    /// Sends a chat message and waits for its confirmation (the echoed record).
    pub async fn post(&mut self, room: &str, username: &str, message: &str) -> Value {
        let posted = self.socket.post(room, username, message, WAIT).await;
        posted.unwrap_or_else(|err| panic!("{err}"))
    }

    /// Closes the socket and waits for the server's answering close, by which time the
    /// server has taken the connection out of every room (its name is free again).
    pub async fn close(&mut self) {
        self.send_raw(Message::Close(None)).await;
        self.recv_close().await;
    }

    /// Whether a chat frame with `text` arrives within 3 s (skipping others): a short bound,
    /// so that a miss does not cost the whole suite's patience.
    pub async fn chat_arrives(&mut self, text: &str) -> bool {
        tokio::time::timeout(Duration::from_secs(3), async {
            loop {
                let frame = self.recv().await;
                if frame["type"] == "chat" && frame["message"] == text {
                    return;
                }
            }
        })
        .await
        .is_ok()
    }

    /// Waits for the server's close frame.
    pub async fn recv_close(&mut self) -> Option<CloseFrame> {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.ws().next())
                .await
                .expect("close arrived in time");
            match message {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }
}

/// The ids of the chat frames among `frames`, in arrival order.
pub fn chat_ids(frames: &[Value]) -> Vec<u64> {
    frames
        .iter()
        .filter(|frame| frame["type"] == "chat")
        .map(|frame| frame["id"].as_u64().expect("chat id is a u64"))
        .collect()
}

/// How the message of a "connect, then someone else sends" round is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendVia {
    /// A `send` frame from a client that is already connected.
    Socket,
    /// `POST /api/rooms/{room}/messages`.
    Http,
}

/// Runs `rounds` back-to-back rounds of: a client opens a socket on `listen` with no `after`
/// (the seed page's "live messages only"), and the moment its handshake completes someone else
/// sends a message through `send`. Returns how many listeners never received that message:
/// "live from now" means every message stored after `onopen` fired. Each round uses a fresh
/// room, so the join's first store read is a cold one, as on a freshly started server.
pub async fn missed_after_open(
    listen: &Server,
    send: &Server,
    via: SendVia,
    rounds: usize,
) -> usize {
    let mut sender = match via {
        SendVia::Socket => Some(
            Client::join(&send.ws_url("?room=lobby&username=sender"))
                .await
                .0,
        ),
        SendVia::Http => None,
    };
    // Rooms are fresh in every call too, so that a test may run several on one store.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut missed = 0;
    for round in 0..rounds {
        let room = format!("open-{}-{call}-{round}", via_label(via));
        let mut listener = Client::connect(&listen.ws_url(&format!("?room={room}"))).await;
        let text = format!("sent right after open {round}");
        match sender.as_mut() {
            Some(socket) => {
                socket.post(&room, "sender", &text).await;
            }
            None => {
                let body = serde_json::json!({"username": "sender", "message": text});
                let (status, _) = send
                    .post_json(&format!("/api/rooms/{room}/messages"), body, &[])
                    .await;
                assert_eq!(status, 201, "the post was stored");
            }
        }
        // The message is confirmed, so it is stored: it must reach the listener.
        if !listener.chat_arrives(&text).await {
            missed += 1;
        }
    }
    missed
}

fn via_label(via: SendVia) -> &'static str {
    match via {
        SendVia::Socket => "ws",
        SendVia::Http => "http",
    }
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
pub fn memory_kib(pid: u32, field: &str) -> u64 {
    procfs::status_kib(pid, field).unwrap_or_else(|err| panic!("{field} of {pid}: {err}"))
}

/// Open descriptors of process `pid`: the entries of `/proc/<pid>/fd`.
#[allow(
    dead_code,
    reason = "used by the soak only; the cluster suite shares this file"
)]
pub fn descriptor_count(pid: u32) -> usize {
    procfs::descriptor_count(pid).expect("proc fd")
}

/// The value of the `/metrics` sample line `name` (exact, labels included).
pub fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {name} in:\n{text}"))
}

/// How the people of a test identify themselves: with a client token each, as the browser
/// does, or by username alone, as the terminal client does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// `&token=<name>-token` on the socket URL and in HTTP bodies.
    Token,
    /// No token: the username is all the server knows.
    NameOnly,
}

impl Identity {
    /// The query parameters naming `who` on a socket URL.
    pub fn query(self, who: &str) -> String {
        match self {
            Identity::Token => format!("username={who}&token={who}-token"),
            Identity::NameOnly => format!("username={who}"),
        }
    }

    /// `who`'s token in an HTTP body (`null` without one).
    pub fn token(self, who: &str) -> Value {
        match self {
            Identity::Token => Value::from(format!("{who}-token")),
            Identity::NameOnly => Value::Null,
        }
    }
}

/// [`someone_else_uses_the_client_id_first`] for a browser (token) and a terminal client (name
/// only), Mallory going over a socket and over HTTP, each in a room of its own.
pub async fn the_client_id_attack_every_way(vic_at: &Server, mallory_at: &Server) {
    let cases = [
        ("browser-ws", Identity::Token, SendVia::Socket),
        ("browser-http", Identity::Token, SendVia::Http),
        ("terminal-ws", Identity::NameOnly, SendVia::Socket),
        ("terminal-http", Identity::NameOnly, SendVia::Http),
    ];
    for (room, identity, via) in cases {
        someone_else_uses_the_client_id_first(vic_at, mallory_at, room, identity, via).await;
    }
}

/// Issue 12's attack: Mallory learns (or guesses) Vic's next `client_id` and posts "I quit.
/// Bye all." with it first. Then Vic sends with that id. Vic's message must be stored and Vic
/// confirmed with Vic's own record: no record of Mallory's may reach Vic carrying the id.
/// Mallory may be refused or get a record of her own. Vic is on `vic_at`, Mallory on
/// `mallory_at` (another node of a cluster, or the same server). Returns Vic's confirmation.
pub async fn someone_else_uses_the_client_id_first(
    vic_at: &Server,
    mallory_at: &Server,
    room: &str,
    identity: Identity,
    mallory_via: SendVia,
) -> Value {
    const HERS: &str = "I quit. Bye all.";
    const HIS: &str = "see you at three";
    let client_id = format!("cli-{room}-7");
    let vic_url = vic_at.ws_url(&format!("?room={room}&{}", identity.query("vic")));
    let (mut vic, _) = Client::join(&vic_url).await;
    let hers = serde_json::json!({"room": room, "message": HERS, "client_id": client_id});
    let mallory_answer = match mallory_via {
        SendVia::Socket => {
            let url = mallory_at.ws_url(&format!("?room={room}&{}", identity.query("mallory")));
            let (mut mallory, _) = Client::join(&url).await;
            let mut send = hers.clone();
            send["type"] = "send".into();
            mallory.send_json(send).await;
            loop {
                let frame = mallory.recv().await;
                if frame["type"] == "error" || frame["message"] == HERS {
                    break frame;
                }
            }
        }
        SendVia::Http => {
            let mut body = hers.clone();
            body["username"] = "mallory".into();
            body["token"] = identity.token("mallory");
            let path = format!("/api/rooms/{room}/messages");
            let (status, answer) = mallory_at.post_json(&path, body, &[]).await;
            assert!(status == 201 || status == 409, "{status} {answer}");
            answer
        }
    };
    let mallory_stored = mallory_answer["message"] == HERS;
    assert!(
        mallory_stored || mallory_answer["code"] == "client_id_reused",
        "Mallory got her own record or a refusal, nothing else: {mallory_answer}"
    );
    if mallory_stored {
        assert_eq!(mallory_answer["username"], "mallory", "{mallory_answer}");
    }

    vic.send_json(serde_json::json!({
        "type": "send", "room": room, "message": HIS, "client_id": client_id
    }))
    .await;
    let confirmation = loop {
        let frame = vic.recv().await;
        assert_ne!(frame["type"], "error", "Vic's send was refused: {frame}");
        if frame["type"] == "chat" && frame["client_id"] == client_id.as_str() {
            break frame;
        }
    };
    assert_eq!(
        (
            confirmation["username"].as_str(),
            confirmation["message"].as_str()
        ),
        (Some("vic"), Some(HIS)),
        "Vic is confirmed with Vic's own record: {confirmation}"
    );

    let path = format!("/api/rooms/{room}/messages?after=0");
    let (_, history) = vic_at.get_json(&path).await;
    let stored: Vec<(&Value, &Value)> = history
        .as_array()
        .expect("a page of records")
        .iter()
        .map(|record| (&record["id"], &record["message"]))
        .collect();
    let his = (&confirmation["id"], &Value::from(HIS));
    assert_eq!(
        stored
            .iter()
            .filter(|record| record.1 == his.1)
            .collect::<Vec<_>>(),
        [&his],
        "Vic's message is stored once, under the id Vic was told"
    );
    assert_eq!(
        stored.len(),
        1 + usize::from(mallory_stored),
        "nothing else is stored: {history}"
    );
    confirmation
}

/// Runs the `chinwag` binary once with `args` (a command such as `accounts list --db …`),
/// `stdin` on its standard input; its exit status and output, within [`WAIT`].
pub async fn run_chinwag(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_chinwag"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("chinwag runs");
    let mut input = child.stdin.take().expect("a stdin pipe");
    let stdin = stdin.to_vec();
    // Written beside the wait, so a command that never reads (or a big export) cannot
    // deadlock against a full pipe.
    let feed = tokio::spawn(async move {
        let _reader_gone = input.write_all(&stdin).await;
    });
    let output = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .expect("chinwag finished in time")
        .expect("chinwag ran");
    let _ = feed.await;
    output
}

/// A server-sent event stream read off a raw HTTP/1.1 connection (`GET /api/admin/live`):
/// the status, then one event at a time, every read bounded by [`WAIT`].
pub struct Sse {
    pub status: u16,
    stream: tokio::net::TcpStream,
    /// Bytes read and not yet de-chunked.
    raw: Vec<u8>,
    /// The body de-chunked so far, not yet cut into events.
    body: String,
    ended: bool,
}

impl Sse {
    /// Opens `path` on `server` with `headers`, and reads the response's head.
    pub async fn open(server: &Server, path: &str, headers: &[(&str, &str)]) -> Sse {
        use tokio::io::AsyncWriteExt;
        let mut stream = tokio::time::timeout(WAIT, tokio::net::TcpStream::connect(server.addr))
            .await
            .expect("connected in time")
            .expect("connected");
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n", server.addr);
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await.expect("sent");
        let mut sse = Sse {
            status: 0,
            stream,
            raw: Vec::new(),
            body: String::new(),
            ended: false,
        };
        let head_end = loop {
            if let Some(at) = sse.raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
            assert!(sse.read_more().await, "the head arrived");
        };
        let head = String::from_utf8_lossy(&sse.raw[..head_end]).to_string();
        sse.raw.drain(..head_end + 4);
        sse.status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("a status line");
        assert!(
            sse.status != 200 || head.to_ascii_lowercase().contains("text/event-stream"),
            "{head}"
        );
        sse
    }

    /// Reads more bytes; false at the end of the connection.
    async fn read_more(&mut self) -> bool {
        use tokio::io::AsyncReadExt;
        let mut buf = [0_u8; 8192];
        let read = tokio::time::timeout(WAIT, self.stream.read(&mut buf))
            .await
            .expect("bytes arrived in time")
            .unwrap_or(0);
        self.raw.extend_from_slice(&buf[..read]);
        read > 0
    }

    /// Moves every complete chunk from `raw` into `body`.
    fn dechunk(&mut self) {
        loop {
            let Some(line_end) = self.raw.windows(2).position(|w| w == b"\r\n") else {
                return;
            };
            let size =
                usize::from_str_radix(String::from_utf8_lossy(&self.raw[..line_end]).trim(), 16)
                    .expect("a chunk size");
            if size == 0 {
                self.ended = true;
                return;
            }
            let start = line_end + 2;
            if self.raw.len() < start + size + 2 {
                return;
            }
            self.body
                .push_str(&String::from_utf8_lossy(&self.raw[start..start + size]));
            self.raw.drain(..start + size + 2);
        }
    }

    /// The next event's name and data, or `None` once the stream ended.
    pub async fn next_event(&mut self) -> Option<(String, Value)> {
        loop {
            self.dechunk();
            if let Some(end) = self.body.find("\n\n") {
                let event: String = self.body.drain(..end + 2).collect();
                let mut name = String::new();
                let mut data = String::new();
                for line in event.lines() {
                    if let Some(value) = line.strip_prefix("event: ") {
                        name = value.to_owned();
                    } else if let Some(value) = line.strip_prefix("data: ") {
                        data.push_str(value);
                    }
                }
                let data = serde_json::from_str(&data).expect("an event's data is JSON");
                return Some((name, data));
            }
            if self.ended || !self.read_more().await {
                return None;
            }
        }
    }
}
