//! `cargo xtask`: the project's own commands, so a fresh machine needs only Rust and cargo.
//!
//! - `cargo xtask run [-- FLAGS]`: installs the frontend toolchain if missing, builds the
//!   browser client with trunk, then runs the server (release build) serving it. FLAGS go to
//!   `chinwag` (e.g. `-- --bind 0.0.0.0:8080`).
//! - `cargo xtask test`: every check CI runs — formatting, clippy (native and wasm), and the
//!   whole test suite.
//! - `cargo xtask frontend`: only build the browser client into `dist/`.
//!
//! Each install step checks first and skips what is already present at the right version, so
//! a second run costs seconds.

mod tools;

use anyhow::{Context, Result, bail};
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
        "frontend" => build_frontend(&root),
        _ => {
            eprintln!("usage: cargo xtask <run [-- chinwag flags] | test | frontend>");
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

/// Installs trunk, wasm-bindgen-cli and wasm-opt as needed, then `trunk build --release`.
fn build_frontend(root: &Path) -> Result<()> {
    let path = tools::ensure_frontend_toolchain(root)?;
    let mut trunk = Command::new("trunk");
    trunk
        .current_dir(root)
        .env("PATH", path)
        .args(["build", "--release", "--offline"]);
    run(&mut trunk)
}

/// Every check of CI, in the order that fails fastest.
fn test_everything(root: &Path) -> Result<()> {
    tools::ensure_wasm_target()?;
    let cargo = |args: &[&str]| -> Result<()> {
        let mut command = Command::new("cargo");
        command.current_dir(root).args(args);
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
    cargo(&[
        "clippy",
        "-p",
        "chinwag-frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ])?;
    cargo(&["test", "--workspace"])?;
    eprintln!("xtask: all checks passed");
    Ok(())
}

/// Runs `command`, echoing it, and fails unless it exits 0.
pub fn run(command: &mut Command) -> Result<()> {
    eprintln!("xtask: $ {}", describe(command));
    let status = command
        .status()
        .with_context(|| format!("cannot start {}", describe(command)))?;
    if !status.success() {
        bail!("{} failed: {status}", describe(command));
    }
    Ok(())
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}
