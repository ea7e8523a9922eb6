//! Installing the tools the tasks need, idempotently.
//!
//! What is needed and why each comes from where it does is in `../shared/TOOLCHAIN.md`:
//! the wasm32 target from rustup, trunk 0.21 (0.22 needs a newer rustc) and wasm-bindgen-cli
//! from crates.io, wasm-opt from the npm package `binaryen` (Debian's is too old), and
//! esbuild, which minifies the glue and the styles (`finish.rs`), from npm too. Each
//! step asks the installed tool for its version first and only installs on a mismatch.
//! Chromium, a colour emoji font, Redis and nginx come from Debian, and only when missing.

use crate::command::run;
use anyhow::{Context, Result, bail};
use std::{
    env,
    ffi::OsString,
    fs,
    path::{Path, PathBuf},
    process::Command,
    sync::atomic::{AtomicBool, Ordering},
};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const TRUNK_VERSION_REQ: &str = "~0.21";
const TRUNK_VERSION_PREFIX: &str = "trunk 0.21.";
const BINARYEN_PACKAGE: &str = "binaryen@132";
/// Minifies the client's JavaScript glue and stylesheets (`finish.rs`).
const ESBUILD_PACKAGE: &str = "esbuild@0.28.2";

/// Ensures every frontend tool is installed; returns the `PATH` under which trunk finds them.
pub fn ensure_frontend_toolchain(root: &Path) -> Result<OsString> {
    ensure_wasm_target()?;
    let path = tool_path(root)?;
    ensure_trunk(&path)?;
    ensure_wasm_bindgen(root, &path)?;
    ensure_wasm_opt(root)?;
    ensure_esbuild(root)?;
    Ok(path)
}

/// Adds the wasm32 target to the toolchain if it is missing.
pub fn ensure_wasm_target() -> Result<()> {
    let installed = output_of(Command::new("rustup").args(["target", "list", "--installed"]))
        .context("rustup is needed to add the wasm32 target")?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn ensure_trunk(path: &OsString) -> Result<()> {
    let version = output_of(Command::new("trunk").env("PATH", path).arg("--version"));
    if version.is_ok_and(|v| v.starts_with(TRUNK_VERSION_PREFIX)) {
        return Ok(());
    }
    eprintln!("xtask: installing trunk {TRUNK_VERSION_REQ} (about 9 minutes on 2 cores, once)");
    run(Command::new("cargo").args([
        "install",
        "trunk",
        "--version",
        TRUNK_VERSION_REQ,
        "--locked",
    ]))
}

fn ensure_wasm_bindgen(root: &Path, path: &OsString) -> Result<()> {
    let wanted = locked_version(root, "wasm-bindgen")?;
    let in_trunk_toml = fs::read_to_string(root.join("Trunk.toml"))?;
    if !in_trunk_toml.contains(&format!("wasm_bindgen = \"{wanted}\"")) {
        bail!("Trunk.toml's [tools] wasm_bindgen must be \"{wanted}\", the version in Cargo.lock");
    }
    let version = output_of(
        Command::new("wasm-bindgen")
            .env("PATH", path)
            .arg("--version"),
    );
    if version.is_ok_and(|v| v.trim() == format!("wasm-bindgen {wanted}")) {
        return Ok(());
    }
    eprintln!("xtask: installing wasm-bindgen-cli {wanted} (about 3 minutes, once)");
    // No --locked: the registry copy lacks a version its lockfile pins (see TOOLCHAIN.md).
    run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &wanted]))
}

fn ensure_wasm_opt(root: &Path) -> Result<()> {
    let dir = binaryen_dir(root);
    if dir.join("node_modules/.bin/wasm-opt").exists() {
        return Ok(());
    }
    npm_install(&dir, BINARYEN_PACKAGE)
}

fn binaryen_dir(root: &Path) -> PathBuf {
    root.join("target/tools/binaryen")
}

fn ensure_esbuild(root: &Path) -> Result<()> {
    let version = ESBUILD_PACKAGE.trim_start_matches("esbuild@");
    if output_of(Command::new(esbuild(root)).arg("--version")).is_ok_and(|v| v.trim() == version) {
        return Ok(());
    }
    npm_install(&esbuild_dir(root), ESBUILD_PACKAGE)
}

/// esbuild, as `ensure_frontend_toolchain` installs it.
pub fn esbuild(root: &Path) -> PathBuf {
    esbuild_dir(root).join("node_modules/.bin/esbuild")
}

fn esbuild_dir(root: &Path) -> PathBuf {
    root.join("target/tools/esbuild")
}

/// `npm install package` into a folder of its own under `target/tools/`.
fn npm_install(dir: &Path, package: &str) -> Result<()> {
    fs::create_dir_all(dir)?;
    run(Command::new("npm")
        .current_dir(dir)
        .args(["install", "--no-audit", "--no-fund", package]))
}

/// Debian's chromedriver, matching Debian's chromium.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Installs Debian's Chromium and chromedriver unless both are there.
pub fn ensure_browser() -> Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    apt_install(&["chromium", "chromium-driver"])
}

/// Debian's colour emoji font, which `fonts-noto-color-emoji` installs.
const EMOJI_FONT: &str = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";

/// Installs Debian's colour emoji font unless it is there: without it Chromium draws emoji
/// as empty boxes, and the end-to-end suite's screenshots (`target/screenshots/`) show them so.
pub fn ensure_emoji_font() -> Result<()> {
    if Path::new(EMOJI_FONT).exists() {
        return Ok(());
    }
    apt_install(&["--no-install-recommends", "fonts-noto-color-emoji"])
}

/// Installs Debian's Redis unless `redis-server` and `redis-cli` are both on `PATH`.
///
/// The backend's cluster tests and `cargo xtask cluster` start their own `redis-server` on a
/// port of their choosing, so only the binaries matter; `redis-cli` (in `redis-tools`, which
/// `redis-server` depends on) creates, inspects and reshards a Redis Cluster. The package's own
/// service does not start in a container without an init system (Docker-built images usually
/// also have a `policy-rc.d` that forbids it); where it does start, it holds 6379, which
/// nothing here uses.
pub fn ensure_redis() -> Result<()> {
    let installed = ["redis-server", "redis-cli"].map(find_on_path);
    if installed.iter().all(Option::is_some) {
        return Ok(());
    }
    apt_install(&["--no-install-recommends", "redis-server", "redis-tools"])
}

/// Installs Debian's nginx unless [`nginx_binary`] finds one.
///
/// `nginx` (not `nginx-light`, which on bookworm is only `nginx` plus an echo module) has the
/// proxy, upstream and map modules `deploy/nginx.conf` uses. As with Redis, a system service
/// the package might start holds port 80, which the cluster does not use.
pub fn ensure_nginx() -> Result<()> {
    if nginx_binary().is_ok() {
        return Ok(());
    }
    apt_install(&["--no-install-recommends", "nginx"])
}

/// Where nginx is: on `PATH`, or in `/usr/sbin`, which Debian uses and a non-root `PATH` lacks.
pub fn nginx_binary() -> Result<PathBuf> {
    find_on_path("nginx")
        .or_else(|| Some(PathBuf::from(NGINX_SBIN)).filter(|sbin| sbin.is_file()))
        .context("nginx is neither on PATH nor at /usr/sbin/nginx")
}

const NGINX_SBIN: &str = "/usr/sbin/nginx";

/// `apt-get install -y ARGS`, refreshing the package lists first, once per xtask run (a second
/// install in the same run would only fetch the same lists again).
fn apt_install(args: &[&str]) -> Result<()> {
    static UPDATED: AtomicBool = AtomicBool::new(false);
    eprintln!("xtask: apt-get install {} (needs root)", args.join(" "));
    if !UPDATED.swap(true, Ordering::Relaxed) {
        run(Command::new("apt-get").args(["update", "-qq"]))?;
    }
    run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq"])
        .args(args))
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// `PATH` with cargo's install directory and the local wasm-opt in front.
pub fn tool_path(root: &Path) -> Result<OsString> {
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?;
    let mut dirs = vec![
        cargo_home.join("bin"),
        binaryen_dir(root).join("node_modules/.bin"),
    ];
    dirs.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
    Ok(env::join_paths(dirs)?)
}

/// The version of `package` that Cargo.lock pins.
fn locked_version(root: &Path, package: &str) -> Result<String> {
    let lock = fs::read_to_string(root.join("Cargo.lock")).context("read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"")
            && let Some(version) = lines
                .next()
                .and_then(|next| next.strip_prefix("version = \""))
                .and_then(|rest| rest.strip_suffix('"'))
        {
            return Ok(version.to_owned());
        }
    }
    bail!("{package} is not in Cargo.lock")
}

/// Runs `command` quietly and returns its stdout; an error if it cannot start or fails.
fn output_of(command: &mut Command) -> Result<String> {
    let output = command.output()?;
    if !output.status.success() {
        bail!("exit {}", output.status);
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
