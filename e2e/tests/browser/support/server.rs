//! The `chinwag` server under test: the prebuilt binary ([`CHINWAG_BIN`]) serving the prebuilt
//! client ([`CHINWAG_DIST`]) from a temp SQLite file, on a free loopback port.
//!
//! It reports its address on stdout, which `chinwag-testkit`'s launcher waits for. A
//! [`Server`] is killed when dropped;
//! [`Server::kill`] is a crash (SIGKILL) and [`Stopped::restart`] brings a new process up on the
//! same address and database, which is what a browser's reconnect needs to find it again;
//! [`Stopped::delete_database`] in between makes it come back with a new, empty history.

use super::{WAIT, required_path, workspace_root};
use chinwag_testkit::launch::{self, LISTENING_ON, Running};
use serde_json::Value;
use std::{
    ffi::OsString,
    io::ErrorKind,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
};

/// Environment variable naming the server binary; default `<workspace>/target/debug/chinwag`.
pub const CHINWAG_BIN: &str = "CHINWAG_BIN";
/// Environment variable naming the built client; default `<workspace>/dist`.
pub const CHINWAG_DIST: &str = "CHINWAG_DIST";

/// A running `chinwag` process.
pub struct Server {
    running: Running,
    /// Where it listens.
    pub addr: SocketAddr,
    db: PathBuf,
}

impl Server {
    /// Starts a server on a free port with a fresh database `dir/chinwag.db`.
    pub async fn start(dir: &Path) -> Server {
        Self::spawn(&dir.join("chinwag.db"), "127.0.0.1:0", &[], None).await
    }

    /// Like [`Server::start`], serving the client built in `dist` instead of [`CHINWAG_DIST`].
    pub async fn start_serving(dir: &Path, dist: &Path) -> Server {
        Self::spawn(&dir.join("chinwag.db"), "127.0.0.1:0", &[], Some(dist)).await
    }

    /// Like [`Server::start`], with extra server flags.
    pub async fn start_with(dir: &Path, extra: &[&str]) -> Server {
        Self::spawn(&dir.join("chinwag.db"), "127.0.0.1:0", extra, None).await
    }

    /// Kills this server like a crash (SIGKILL: nothing flushed, no close frames) and waits
    /// until the process is gone. Returns what [`Server::restart`] needs.
    pub async fn kill(mut self) -> Stopped {
        self.running
            .kill(WAIT)
            .await
            .expect("server died in time after SIGKILL");
        Stopped {
            addr: self.addr,
            db: self.db.clone(),
        }
    }

    /// The SQLite file it stores in, for `chinwag accounts …` run beside it.
    pub fn db(&self) -> &Path {
        &self.db
    }

    async fn spawn(db: &Path, bind: &str, extra: &[&str], dist: Option<&Path>) -> Server {
        let bin = server_binary();
        let dist = dist.map_or_else(built_client, Path::to_path_buf);
        assert!(
            dist.join("index.html").exists(),
            "{} has no index.html: build the client with `cargo xtask test` (or `cargo xtask \
             frontend`), which runs trunk and builds the server first",
            dist.display()
        );
        let mut command = launch::chinwag_command(&bin, bind, db, &dist);
        command.args(extra).stderr(Stdio::inherit());
        let running = Running::start(command, LISTENING_ON, WAIT)
            .await
            .unwrap_or_else(|err| panic!("{} did not start: {err}", bin.display()));
        Server {
            addr: running.addr,
            running,
            db: db.to_path_buf(),
        }
    }

    /// `http://ADDR/path`.
    pub fn url(&self, path: &str) -> String {
        self.running.http_url(path)
    }

    /// `ws://ADDR/socket?query`.
    pub fn ws_url(&self, query: &str) -> String {
        self.running.ws_url(query)
    }

    /// Every stored message of `room` (one page of up to 500: enough for any test here), from
    /// the history API.
    pub async fn history(&self, room: &str) -> Vec<Value> {
        let url = self.url(&format!("/api/rooms/{room}/messages?after=0&limit=500"));
        let body = get_json(url).await;
        body.as_array()
            .unwrap_or_else(|| panic!("history is a JSON array, got {body}"))
            .clone()
    }
}

/// The built client ([`CHINWAG_DIST`]) the servers serve unless told otherwise.
pub fn built_client() -> PathBuf {
    required_path(
        CHINWAG_DIST,
        workspace_root().join("dist"),
        "the built client",
    )
}

/// The `chinwag` binary under test ([`CHINWAG_BIN`]); panics if it is not built.
pub fn server_binary() -> PathBuf {
    required_path(
        CHINWAG_BIN,
        workspace_root().join("target/debug/chinwag"),
        "the chinwag server binary",
    )
}

/// A killed server's address and database, to restart it on.
pub struct Stopped {
    addr: SocketAddr,
    db: PathBuf,
}

impl Stopped {
    /// Deletes the database with its WAL and shared-memory files, as if the server's disk
    /// came back empty: the next [`Stopped::restart`] starts a new history. The database
    /// itself must exist (the WAL files may not), so a wrong path cannot pass unnoticed.
    pub fn delete_database(&self) {
        std::fs::remove_file(&self.db)
            .unwrap_or_else(|err| panic!("delete {}: {err}", self.db.display()));
        for suffix in ["-wal", "-shm"] {
            let mut path = OsString::from(self.db.as_os_str());
            path.push(suffix);
            let path = PathBuf::from(path);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(err) if err.kind() == ErrorKind::NotFound => {}
                Err(err) => panic!("delete {}: {err}", path.display()),
            }
        }
    }

    /// Starts a new server process on the same address and database.
    pub async fn restart(self) -> Server {
        let server = Server::spawn(&self.db, &self.addr.to_string(), &[], None).await;
        assert_eq!(server.addr, self.addr, "restarted on the same address");
        server
    }
}

/// `GET url`, expecting 200 and a JSON body.
async fn get_json(url: String) -> Value {
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(WAIT))
            .build()
            .into();
        let mut response = agent
            .get(&url)
            .call()
            .unwrap_or_else(|err| panic!("GET {url}: {err}"));
        response.body_mut().read_json().expect("JSON body")
    })
    .await
    .expect("http task")
}
