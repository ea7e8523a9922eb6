//! `cargo xtask dev [--port P] [--server-port B] [--release]`: the browser client's edit and
//! reload loop, `trunk serve` in front of a debug `chinwag`, until Ctrl-C.
//!
//! trunk serves the client on P (default 8081) with live reload and proxies `/socket`, `/api`
//! and `/panels` to the server on B (default 8080); the panels (the chat's lazily loaded
//! bundle, `panels.html`) are built once at the start, not on every change, and the server
//! serves them. trunk's proxy passes the page's `Origin` (`http://127.0.0.1:P`) through but
//! sets `Host` to the server's, so to the server every request from the page is cross-site
//! and its origin check refuses it (403). This task starts
//! the server with exactly the dev page's origins allowed (`--allowed-origin`, for
//! `127.0.0.1:P` and `localhost:P`); the server's default stays strict. Stripping `Origin` in
//! trunk's proxy would also work, but would let any site's page chat through it.
//!
//! trunk reads `target/dev/P/Trunk.toml`: the root `Trunk.toml` with the proxies pointed at B
//! and its paths made absolute. Its build goes to `target/dev/P/dist`, leaving `dist/` (the
//! release client that `cargo xtask run` and the browser tests serve) alone.
//!
//! As in `cluster.rs`, the children run under a [`Supervisor`]: on Ctrl-C, an early exit of
//! either, or a failure of xtask, it stops trunk's whole group with SIGINT (trunk and any
//! build it is running, as a terminal would), then the server's with SIGTERM (a graceful
//! shutdown), killing what outlives its stop timeout.

use crate::{
    command::run,
    supervisor::{Launch, Stop, Supervisor},
    tools,
};
use anyhow::{Context, Result, bail, ensure};
use nix::sys::signal::Signal;
use std::{
    ffi::OsString,
    fs,
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::Command,
};

/// The client's port in `Trunk.toml`, which the README names.
const DEFAULT_PORT: u16 = 8081;
/// The server's port in `Trunk.toml`'s proxies, and the server's default `--bind`.
const DEFAULT_SERVER_PORT: u16 = 8080;

/// Runs the dev loop until Ctrl-C, or until trunk or the server exits (an error).
pub fn dev(root: &Path, args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let path = tools::ensure_frontend_toolchain(root)?;
    let mut server = Command::new("cargo");
    server
        .current_dir(root)
        .args(["build", "-p", "chinwag-backend"]);
    run(server.args(["--bin", "chinwag"]))?;
    for port in [options.port, options.server_port] {
        TcpListener::bind(loopback(port))
            .with_context(|| format!("port {port} is taken; see `cargo xtask dev --help`"))?;
    }
    let dir = root.join("target/dev").join(options.port.to_string());
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let config = write_trunk_config(root, &dir, options.server_port)?;
    let server_files = dir.join("server");
    build_panels(root, &path, &server_files, &options)?;

    // Dropping `children` stops them, on success, error or panic alike. The server is the
    // first tier, trunk the second: trunk stops first.
    let mut children = Supervisor::new(2)?;
    start_server(&mut children, root, &server_files, &options)?;
    start_trunk(
        &mut children,
        root,
        &path,
        &config,
        &dir.join("dist"),
        &options,
    )?;
    let port = options.port;
    eprintln!(
        "\nxtask: trunk is building the client; then open http://127.0.0.1:{port}/ (it \
         rebuilds and reloads on every change). Ctrl-C stops trunk and the server.\n"
    );
    children.supervise("stopping trunk and the server")
}

/// What `cargo xtask dev` was asked for.
struct Options {
    /// trunk's port: the page's origin is `http://127.0.0.1:{port}`.
    port: u16,
    /// The server's port, which trunk proxies to.
    server_port: u16,
    /// Whether trunk also runs wasm-opt (`--release`), as `cargo xtask run` does; both modes
    /// compile in `index.html`'s `wasm-release` profile.
    release: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut options = Options {
            port: DEFAULT_PORT,
            server_port: DEFAULT_SERVER_PORT,
            release: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| -> Result<u16> {
                let text = args
                    .next()
                    .with_context(|| format!("{name} needs a port number"))?;
                text.parse().with_context(|| format!("{name} {text:?}"))
            };
            match arg.as_str() {
                "--port" => options.port = value("--port")?,
                "--server-port" => options.server_port = value("--server-port")?,
                "--release" => options.release = true,
                _ => bail!(
                    "unknown flag {arg:?}; dev takes --port P (trunk, default {DEFAULT_PORT}), \
                     --server-port B (chinwag, default {DEFAULT_SERVER_PORT}), --release"
                ),
            }
        }
        ensure!(
            options.port != options.server_port,
            "--port and --server-port must differ"
        );
        Ok(options)
    }

    /// The origins the dev page has: trunk listens on 127.0.0.1, which `localhost` also names.
    fn page_origins(&self) -> [String; 2] {
        let port = self.port;
        [
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
        ]
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// Writes `dir/Trunk.toml`: the root one with its proxies aimed at `server_port` and its
/// relative `target` made absolute (trunk resolves paths against the config's folder).
fn write_trunk_config(root: &Path, dir: &Path, server_port: u16) -> Result<PathBuf> {
    let original = fs::read_to_string(root.join("Trunk.toml")).context("read Trunk.toml")?;
    let default_backend = format!("127.0.0.1:{DEFAULT_SERVER_PORT}/");
    let index = root.join("index.html");
    let index = index
        .to_str()
        .context("the workspace is not at a UTF-8 path")?;
    let rewrites = [
        (default_backend.clone(), format!("127.0.0.1:{server_port}/")),
        (
            "target = \"index.html\"".to_owned(),
            format!("target = {index:?}"),
        ),
    ];
    let mut config = original;
    for (from, to) in rewrites {
        // A silent miss would serve a client proxying to the wrong place.
        ensure!(
            config.contains(&from),
            "Trunk.toml no longer contains {from:?}; update xtask/src/dev.rs to match"
        );
        config = config.replace(&from, &to);
    }
    let path = dir.join("Trunk.toml");
    fs::write(&path, config).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// Builds the chat's lazily loaded panels (`panels.html`) into `files/panels/`, once: `trunk
/// serve` builds one page, and the server serves these to the page through trunk's proxy.
/// An edit to a panel needs `cargo xtask dev` started again.
fn build_panels(root: &Path, path: &OsString, files: &Path, options: &Options) -> Result<()> {
    let dist = files.join("panels");
    let mut trunk = Command::new("trunk");
    trunk.current_dir(root).env("PATH", path);
    trunk.args(["build", "panels.html", "--offline", "--filehash", "false"]);
    trunk.arg("--dist").arg(&dist);
    trunk.args(["--public-url", "/panels/"]);
    if options.release {
        trunk.arg("--release");
    }
    run(&mut trunk)
}

/// Starts the debug server on `--server-port` with the dev page's origins allowed, serving
/// the panels from `files`, and waits until it listens. Its database is the default,
/// `./chinwag.db` in the workspace root (or `CHINWAG_DB`), as with `cargo run -p
/// chinwag-backend`.
fn start_server(
    children: &mut Supervisor,
    root: &Path,
    files: &Path,
    options: &Options,
) -> Result<()> {
    let mut server = Command::new(crate::command::build_dir(root).join("debug/chinwag"));
    server.current_dir(root);
    server.args(["--bind", &loopback(options.server_port).to_string()]);
    server.arg("--static-dir").arg(files);
    for origin in options.page_origins() {
        server.args(["--allowed-origin", &origin]);
    }
    let launch = Launch {
        name: "chinwag".to_owned(),
        command: server,
        stop: Stop::Group(Signal::SIGTERM),
        log: None,
    };
    let listening = || TcpStream::connect(loopback(options.server_port)).is_ok();
    children.launch(0, launch, listening)
}

/// Starts `trunk serve` with the generated config; it builds first, then listens.
fn start_trunk(
    children: &mut Supervisor,
    root: &Path,
    path: &OsString,
    config: &Path,
    dist: &Path,
    options: &Options,
) -> Result<()> {
    let mut trunk = Command::new("trunk");
    trunk.current_dir(root).env("PATH", path);
    trunk.arg("--config").arg(config);
    trunk.args(["serve", "--offline", "--port", &options.port.to_string()]);
    trunk.arg("--dist").arg(dist);
    if options.release {
        trunk.arg("--release");
    }
    let launch = Launch {
        name: "trunk".to_owned(),
        command: trunk,
        stop: Stop::Group(Signal::SIGINT),
        log: None,
    };
    children.launch(1, launch, || true)
}
