//! `page-load`: how long from navigation until a room's newest 50 messages are shown (issue
//! 17), on loopback and on a slow link (400 ms round trip, 400 kbit/s), for a first visit
//! (HTTP cache emptied) and a repeat visit, `--runs` times each.
//!
//! It starts the release `chinwag` beside this binary (or `--server`) on a fresh SQLite file,
//! serving `dist/` (or `--dist`), fills a public room over the WebSocket API, and measures in
//! one headless Chromium. See [`chinwag_e2e::page_load`] for what is measured and how.
//!
//! ```text
//! cargo xtask frontend && cargo build --release -p chinwag-backend --bin chinwag
//! cargo run --release -p chinwag-e2e --bin page-load -- --runs 5
//! ```
//!
//! Prints a Markdown table (min / median / max per link and visit) and, per link and visit,
//! the files one visit transferred; with `--json`, one JSON line per navigation on stdout and
//! the tables on stderr.

use anyhow::{Context, Result, bail};
use chinwag_e2e::{
    chromium::Driver,
    page_load::{FILL_FLAGS, Link, Reader, Sample, fill_room, report},
};
use chinwag_testkit::launch::{self, LISTENING_ON, Running};
use clap::Parser;
use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

/// The room the reader opens.
const ROOM: &str = "pageload";

/// How long the server may take to start.
const SERVER_START: Duration = Duration::from_secs(10);

#[derive(Parser)]
#[command(about = "Time from navigation to a room's newest 50 messages shown (issue 17).")]
struct Args {
    /// Navigations per link and visit.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Messages posted to the room before measuring (at least 50).
    #[arg(long, default_value_t = 200)]
    messages: usize,
    /// Which links to measure, in order.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = Link::ALL)]
    links: Vec<Link>,
    /// One JSON line per navigation on stdout (the tables go to stderr).
    #[arg(long)]
    json: bool,
    /// The server binary; default `chinwag` beside this binary (the release build).
    #[arg(long, env = "CHINWAG_BIN")]
    server: Option<PathBuf>,
    /// The built client; default `dist/` in the workspace.
    #[arg(long, env = "CHINWAG_DIST")]
    dist: Option<PathBuf>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let server_bin = match args.server {
        Some(path) => path,
        None => std::env::current_exe()?.with_file_name("chinwag"),
    };
    let dist = args.dist.unwrap_or_else(|| workspace_root().join("dist"));
    if !server_bin.exists() {
        bail!(
            "no server at {}: build it with `cargo build --release -p chinwag-backend --bin \
             chinwag`, or name one with --server",
            server_bin.display()
        );
    }
    if !dist.join("index.html").exists() {
        bail!(
            "no client in {}: build it with `cargo xtask frontend`",
            dist.display()
        );
    }
    eprintln!("page-load: load average at start: {}", load_average());

    let data = tempfile::tempdir()?;
    let mut command = launch::chinwag_command(
        &server_bin,
        "127.0.0.1:0",
        &data.path().join("chinwag.db"),
        &dist,
    );
    command.args(FILL_FLAGS).stderr(Stdio::inherit());
    let server = Running::start(command, LISTENING_ON, SERVER_START)
        .await
        .with_context(|| format!("starting {}", server_bin.display()))?;
    let room = fill_room(server.addr, ROOM, args.messages).await?;
    eprintln!(
        "page-load: {} messages in {ROOM:?} on {}",
        args.messages, server.addr
    );

    let driver = Driver::start().await?;
    let client = driver.open_session().await?;
    let reader = Reader::sign_in(client, &server.http_url(""), &room).await?;
    let mut samples: Vec<Sample> = Vec::new();
    for &link in &args.links {
        for run in 1..=args.runs {
            let pair = reader.visit_twice(link).await?;
            for sample in &pair {
                eprintln!(
                    "page-load: {} {} run {run}: shown at {:.0} ms, {} bytes",
                    link.name(),
                    sample.visit.name(),
                    sample.shown_ms,
                    sample.transfer_bytes()
                );
            }
            samples.extend(pair);
        }
    }
    reader.close().await?;
    eprintln!("page-load: load average at end: {}", load_average());

    let tables = format!("{}{}", report::table(&samples), report::files(&samples));
    if args.json {
        print!("{}", report::json_lines(&samples));
        eprint!("{tables}");
    } else {
        print!("{tables}");
    }
    Ok(())
}

/// The 1, 5 and 15 minute load averages from `/proc/loadavg`, as `uptime` shows them.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|line| {
            line.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|err| format!("unknown ({err})"))
}

/// The workspace root (this crate's parent directory).
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}
