//! `cargo xtask`: the project's own commands, so a fresh machine needs only Rust and cargo.
//!
//! - `cargo xtask run [-- FLAGS]`: installs the frontend toolchain if missing, builds the
//!   browser client with trunk, then runs the server (release build) serving it. FLAGS go to
//!   `chinwag` (e.g. `-- --bind 0.0.0.0:8080`).
//! - `cargo xtask test`: every check CI runs — formatting, clippy (native and wasm), the
//!   native tests, the client's wasm tests in headless Chromium, and the browser end-to-end
//!   suite against the release client and the real server (and the `dev` loop through
//!   trunk). Installs Chromium, chromedriver, a colour emoji font (for the screenshots),
//!   redis-server and nginx from Debian when missing (the cluster tests run the last two).
//! - `cargo xtask dev [--port P] [--server-port B] [--release]`: the client's live-reload
//!   loop, `trunk serve` on P (default 8081) in front of a debug server on B (default 8080)
//!   that allows the dev page's origin, until Ctrl-C stops both. See `dev.rs`.
//! - `cargo xtask frontend`: only build the browser client into `dist/`: the chat, and the
//!   console in `dist/admin/`, the chat's lazily loaded panels in `dist/panels/`
//!   (finished, see [`finish`], and precompressed, see [`precompress`]; [`frontend`] builds it).
//! - `cargo xtask cluster [--nodes N] [--port P] [--redis-cluster] [--check]`: a local
//!   cluster — Redis, N nodes (default 3) and nginx round-robin in front on P (default
//!   8090) — until Ctrl-C. `--redis-cluster` runs a Redis Cluster (three masters, three
//!   replicas) instead of one Redis. `--check` only starts it, probes it through nginx and
//!   stops it. Installs Redis and nginx from Debian when missing. See `cluster.rs`.
//!
//! Each install step checks first and skips what is already present at the right version, so
//! a second run costs seconds. `dev` and `cluster` share one [`supervisor`] of children.

mod cluster;
mod command;
mod dev;
mod finish;
mod frontend;
mod precompress;
mod supervisor;
mod tools;

use anyhow::{Result, bail};
use command::{build_dir, run};
use frontend::build_frontend;
use std::{
    path::{Path, PathBuf},
    process::Command,
};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.skip_while(|arg| arg == "--").collect();
    let root = workspace_root();
    match task.as_str() {
        "run" => run_chinwag(&root, &rest),
        "test" => test_everything(&root),
        "dev" => dev::dev(&root, &rest),
        "frontend" => build_frontend(&root),
        "cluster" => cluster::cluster(&root, &rest),
        _ => {
            eprintln!(
                "usage: cargo xtask <run [-- chinwag flags] | test \
                 | dev [--port P] [--server-port B] [--release] | frontend \
                 | cluster [--nodes N] [--port P] [--redis-cluster] [--check]>"
            );
            bail!("unknown task {task:?}")
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Builds the client and runs the server on the embedded default (SQLite, in-process fan-out).
fn run_chinwag(root: &Path, flags: &[String]) -> Result<()> {
    build_frontend(root)?;
    let mut server = Command::new("cargo");
    server
        .current_dir(root)
        .args([
            "run",
            "--release",
            "-p",
            "chinwag-backend",
            "--bin",
            "chinwag",
            "--",
        ])
        .arg("--static-dir")
        .arg(root.join("dist"))
        .args(flags);
    run(&mut server)
}

/// Every check of CI, in the order that fails fastest.
fn test_everything(root: &Path) -> Result<()> {
    tools::ensure_wasm_target()?;
    let path = tools::tool_path(root)?;
    let cargo = |args: &[&str]| -> Result<()> {
        let mut command = Command::new("cargo");
        command.current_dir(root).env("PATH", &path).args(args);
        run(&mut command)
    };
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    // The client for wasm, as the chat builds it and as the console's build (admin.html)
    // and the panels' (panels.html) do, with the features `console` and `panels`.
    for features in [
        &[][..],
        &["--features", "console"],
        &["--features", "panels"],
    ] {
        let mut args = vec![
            "clippy",
            "-p",
            "chinwag-frontend",
            "--target",
            "wasm32-unknown-unknown",
        ];
        args.extend_from_slice(features);
        args.extend(["--", "-D", "warnings"]);
        cargo(&args)?;
    }
    // The backend's cluster tests start their own redis-server on a free port.
    tools::ensure_redis()?;
    tools::ensure_nginx()?;
    cargo(&["test", "--workspace", "--exclude", E2E_PACKAGE])?;

    // The browser half: client logic in headless Chromium, then the whole app end to end.
    tools::ensure_browser()?;
    tools::ensure_emoji_font()?;
    build_frontend(root)?;
    // The runner kills its Chromium, which leaves scratch directories behind in `TMPDIR`: keep
    // them under target/ rather than in /tmp, one run's worth at a time.
    let scratch = build_dir(root).join("tmp/wasm-tests");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    let mut wasm_tests = Command::new("cargo");
    wasm_tests
        .current_dir(root)
        .env("PATH", &path)
        .env("CHROMEDRIVER", tools::CHROMEDRIVER)
        .env("TMPDIR", &scratch)
        .args([
            "test",
            "-p",
            "chinwag-frontend",
            "--target",
            "wasm32-unknown-unknown",
        ]);
    run(&mut wasm_tests)?;
    cargo(&["build", "-p", "chinwag-backend", "--bin", "chinwag"])?;
    let mut e2e = Command::new("cargo");
    e2e.current_dir(root)
        .env("PATH", &path)
        .env("CHINWAG_BIN", build_dir(root).join("debug/chinwag"))
        .env("CHINWAG_DIST", root.join("dist"))
        .env("CHROMEDRIVER", tools::CHROMEDRIVER)
        // The dev-loop test runs `xtask dev`: this very binary.
        .env("CHINWAG_XTASK", std::env::current_exe()?)
        .args(["test", "-p", E2E_PACKAGE]);
    run(&mut e2e)?;
    eprintln!("xtask: all checks passed");
    Ok(())
}

/// The browser end-to-end suite; it needs the built client and server, so it runs last.
const E2E_PACKAGE: &str = "chinwag-e2e";
