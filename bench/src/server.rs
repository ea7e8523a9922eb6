//! The target under test: start it (Chinwag or a baseline, pinned), find its port and pid,
//! check it is still up, stop it; or observe servers already running, one or several.
//!
//! A started Chinwag gets a fresh temporary SQLite file and limits raised out of the way of a
//! load test (`--rate-per-sec`, `--rate-burst`, `--max-connections-per-ip`,
//! `--max-connections` all at 1,000,000). A baseline is this same binary's `serve-baseline`.
//! Either prints `... listening on SCHEME://ADDR` to stdout, which `chinwag-testkit`'s
//! launcher waits for; stderr goes to a log file whose tail is quoted if the server dies. A target given by `--target`/`--pid` is only observed,
//! never started or stopped; it may be several nodes of one cluster (one address and pid
//! each), whose connections [`Target::connector`] deals out in turn, plus `--backing-pid`
//! processes such as their Redis. Every target is on loopback.

use crate::{
    baselines, cli::TargetArgs, cli::TargetKind, client::Connector, pinning::Pinning, procinfo,
};
use anyhow::{Context, Result, bail};
use chinwag_testkit::launch::{self, LISTENING_ON, Running};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};
use tokio::process::Command;

/// How long a started server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a server may take to exit after SIGTERM (Chinwag drains for up to 5 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// Limits a started Chinwag gets, so the load test measures relaying, not admission control.
const CHINWAG_LOAD_FLAGS: [&str; 8] = [
    "--rate-per-sec",
    "1000000",
    "--rate-burst",
    "1000000",
    "--max-connections-per-ip",
    "1000000",
    "--max-connections",
    "1000000",
];

/// Knows how to get a target of each kind.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// Where servers run.
    pub pinning: Pinning,
    server: Option<PathBuf>,
    server_args: Vec<String>,
    server_log: String,
    external: Option<External>,
    kinds: Vec<TargetKind>,
}

/// Servers started by someone else: the nodes (address and pid each) and what they rely on.
#[derive(Debug, Clone)]
struct External {
    addrs: Vec<SocketAddr>,
    pids: Vec<u32>,
    backing: Vec<u32>,
}

impl Launcher {
    /// Reads `args`; `default_kinds` apply when `--target-kind` was not given.
    pub fn new(args: &TargetArgs, pinning: Pinning, default_kinds: &[TargetKind]) -> Result<Self> {
        let mut kinds = if args.target_kind.is_empty() {
            default_kinds.to_vec()
        } else {
            args.target_kind.clone()
        };
        let mut seen = Vec::new();
        kinds.retain(|kind| {
            let new = !seen.contains(kind);
            seen.push(*kind);
            new
        });
        let external = if args.target.is_empty() {
            None
        } else {
            if args.target_kind.len() > 1 {
                bail!("--target is one system under test: give at most one --target-kind");
            }
            if args.pid.len() != args.target.len() {
                bail!(
                    "{} --target address(es) but {} --pid(s): give one pid per address, in order",
                    args.target.len(),
                    args.pid.len()
                );
            }
            kinds.truncate(1);
            let addrs = args
                .target
                .iter()
                .map(|url| loopback_addr(url))
                .collect::<Result<Vec<_>>>()?;
            for &pid in args.pid.iter().chain(&args.backing_pid) {
                procinfo::check_pid(pid).with_context(|| format!("--pid/--backing-pid {pid}"))?;
            }
            Some(External {
                addrs,
                pids: args.pid.clone(),
                backing: args.backing_pid.clone(),
            })
        };
        Ok(Self {
            pinning,
            server: args.server.clone(),
            server_args: args.server_args.clone(),
            server_log: args.server_log.clone(),
            external,
            kinds,
        })
    }

    /// The kinds to measure, in order.
    pub fn kinds(&self) -> &[TargetKind] {
        &self.kinds
    }

    /// A running target of `kind`: the `--target` one(s), or a freshly started server.
    pub async fn start(&self, kind: TargetKind) -> Result<Target> {
        if let Some(external) = &self.external {
            let mut target = Target {
                kind,
                addrs: external.addrs.clone(),
                pids: external.pids.clone(),
                backing: external.backing.clone(),
                pinned: false,
                process: None,
            };
            target.check_alive()?;
            target.pinned = self.pinning.apart_from_load(target.all_pids());
            return Ok(target);
        }
        let dir = scratch_dir()?;
        let mut command = self.pinned_command(&self.program(kind)?);
        match kind {
            TargetKind::Chinwag => {
                let (db, static_dir) = (dir.join("bench.db"), dir.join("no-client"));
                launch::chinwag_args(&mut command, "127.0.0.1:0", &db, &static_dir)
                    .args(CHINWAG_LOAD_FLAGS)
                    .args(&self.server_args)
                    .env("RUST_LOG", &self.server_log);
            }
            TargetKind::BareRelay | TargetKind::RawTcp | TargetKind::ActixRelay => {
                command.args(["serve-baseline", "--kind", kind.name()]);
            }
        }
        let prefix = match kind {
            TargetKind::Chinwag => LISTENING_ON.to_owned(),
            TargetKind::BareRelay | TargetKind::RawTcp | TargetKind::ActixRelay => {
                baselines::listening_prefix(kind)
            }
        };
        let process = Process::spawn(command, dir, &prefix).await?;
        Ok(Target {
            kind,
            addrs: vec![process.running.addr],
            pids: vec![process.running.pid()],
            backing: Vec::new(),
            pinned: self.pinning.applied(),
            process: Some(process),
        })
    }

    /// The executable for `kind`.
    fn program(&self, kind: TargetKind) -> Result<PathBuf> {
        match kind {
            TargetKind::Chinwag => {
                let path = self.server.clone().unwrap_or_else(default_server);
                if !path.is_file() {
                    bail!(
                        "no Chinwag server at {}: build it with `cargo build --release -p chinwag-backend` or pass --server",
                        path.display()
                    );
                }
                Ok(path)
            }
            TargetKind::BareRelay | TargetKind::RawTcp | TargetKind::ActixRelay => {
                std::env::current_exe().context("cannot find this executable for serve-baseline")
            }
        }
    }

    /// `program`, behind `taskset -c <server CPUs>` when pinning.
    fn pinned_command(&self, program: &Path) -> Command {
        match &self.pinning.server_cpus {
            Some(cpus) => {
                // taskset execs the program, so the child's pid is the server's.
                let mut command = Command::new("taskset");
                command.arg("-c").arg(cpus).arg(program);
                command
            }
            None => Command::new(program),
        }
    }
}

/// A running target: one server, or the nodes of one cluster given by `--target`.
#[derive(Debug)]
pub struct Target {
    /// What it is.
    pub kind: TargetKind,
    /// Where it listens: one address per node, never empty.
    pub addrs: Vec<SocketAddr>,
    /// The nodes' pids, for memory and CPU (summed over nodes).
    pub pids: Vec<u32>,
    /// Processes the nodes depend on (`--backing-pid`), for their CPU.
    pub backing: Vec<u32>,
    /// Whether it runs pinned apart from the load.
    pub pinned: bool,
    process: Option<Process>,
}

impl Target {
    /// Opens connection number `i` of a step: to node `i mod nodes`, so a crowd numbered from
    /// 0 is spread evenly, and so are its first S members (the senders).
    pub fn connector(&self, i: usize) -> Connector {
        Connector {
            kind: self.kind,
            addr: self.addrs[i % self.addrs.len()],
        }
    }

    /// How many nodes serve the target.
    pub fn nodes(&self) -> usize {
        self.addrs.len()
    }

    /// The nodes' pids, then the backing ones.
    fn all_pids(&self) -> impl Iterator<Item = u32> + '_ {
        self.pids.iter().chain(&self.backing).copied()
    }

    /// Fails if a server this tool started has exited, or any `--target` node or backing
    /// process is gone.
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(process) = &mut self.process {
            return process.check_alive();
        }
        for pid in self.all_pids() {
            procinfo::check_pid(pid)
                .with_context(|| format!("the --target process {pid} is gone"))?;
        }
        Ok(())
    }

    /// Stops a started server with SIGTERM and checks it exited cleanly (Chinwag must exit 0);
    /// leaves a `--target` server running.
    pub async fn stop(mut self) -> Result<()> {
        let Some(mut process) = self.process.take() else {
            return Ok(());
        };
        process.check_alive()?;
        let status = process.terminate().await?;
        if self.kind == TargetKind::Chinwag && !status.success() {
            bail!(
                "chinwag exited with {status} after SIGTERM\n{}",
                process.log_tail()
            );
        }
        Ok(())
    }
}

/// A child server and its scratch directory, both cleaned up on drop.
#[derive(Debug)]
struct Process {
    running: Running,
    dir: PathBuf,
}

impl Process {
    /// Starts `command` with stderr to `dir/server.log` and waits for its `prefix` line.
    async fn spawn(mut command: Command, dir: PathBuf, prefix: &str) -> Result<Self> {
        let log = std::fs::File::create(dir.join("server.log"))?;
        command.stderr(log);
        match Running::start(command, prefix, START_TIMEOUT).await {
            Ok(running) => Ok(Self { running, dir }),
            Err(err) => {
                let tail = log_tail(&dir);
                let _ = std::fs::remove_dir_all(&dir);
                bail!("the server did not start: {err}\n{tail}")
            }
        }
    }

    fn check_alive(&mut self) -> Result<()> {
        match self.running.try_wait()? {
            None => Ok(()),
            Some(status) => bail!("the server exited ({status})\n{}", self.log_tail()),
        }
    }

    /// SIGTERM, then wait; SIGKILL and fail if it takes longer than [`STOP_TIMEOUT`].
    async fn terminate(&mut self) -> Result<std::process::ExitStatus> {
        match self.running.terminate(STOP_TIMEOUT).await {
            Ok(status) => Ok(status),
            Err(err) => bail!("{err}\n{}", self.log_tail()),
        }
    }

    /// The last lines the server logged, for error messages.
    fn log_tail(&self) -> String {
        log_tail(&self.dir)
    }
}

/// The last lines logged to `dir/server.log`.
fn log_tail(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(20)..].join("\n");
    format!("server log (last lines):\n{tail}")
}

impl Drop for Process {
    fn drop(&mut self) {
        // The child itself is killed by its `Running` (kill on drop).
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `chinwag` next to this executable (so a release bench finds the release server), else
/// `target/release/chinwag` under the working directory.
pub fn default_server() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("chinwag")))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from("target/release/chinwag"))
}

/// A new empty directory under the system temp dir.
fn scratch_dir() -> Result<PathBuf> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("chinwag-bench-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// The socket address of a `ws://` or `tcp://` URL, refused unless it is on loopback.
fn loopback_addr(url: &str) -> Result<SocketAddr> {
    let rest = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("tcp://"))
        .with_context(|| format!("{url}: expected ws://HOST:PORT or tcp://HOST:PORT"))?;
    let hostport = rest.split('/').next().unwrap_or(rest);
    let hostport = hostport.replace("localhost:", "127.0.0.1:");
    let addr: SocketAddr = hostport
        .parse()
        .with_context(|| format!("{url}: expected an IP address and a port"))?;
    if !addr.ip().is_loopback() {
        bail!("{url}: only loopback targets are allowed");
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_are_dealt_to_the_nodes_in_turn() {
        let me = std::process::id();
        let args = TargetArgs {
            server: None,
            target: vec![
                "ws://127.0.0.1:1".into(),
                "ws://127.0.0.1:2".into(),
                "ws://127.0.0.1:3".into(),
            ],
            pid: vec![me; 3],
            backing_pid: vec![me],
            target_kind: Vec::new(),
            server_args: Vec::new(),
            server_log: "warn".into(),
        };
        let unpinned = Pinning {
            server_cpus: None,
            load_cpus: None,
            reason: None,
        };
        let launcher = Launcher::new(&args, unpinned.clone(), &[TargetKind::Chinwag]).unwrap();
        assert_eq!(launcher.kinds(), [TargetKind::Chinwag]);
        let target = launcher.start(TargetKind::Chinwag).await.unwrap();
        assert_eq!(target.nodes(), 3);
        assert!(!target.pinned);
        let ports: Vec<u16> = (0..7).map(|i| target.connector(i).addr.port()).collect();
        assert_eq!(ports, [1, 2, 3, 1, 2, 3, 1]);

        let one_pid_short = TargetArgs {
            pid: vec![me; 2],
            ..args
        };
        assert!(Launcher::new(&one_pid_short, unpinned, &[TargetKind::Chinwag]).is_err());
    }

    #[test]
    fn only_loopback_targets_are_accepted() {
        assert!(loopback_addr("ws://127.0.0.1:8080").is_ok());
        assert!(loopback_addr("ws://localhost:8080/socket").is_ok());
        assert!(loopback_addr("tcp://[::1]:9000").is_ok());
        assert!(loopback_addr("ws://10.0.0.1:8080").is_err());
        assert!(loopback_addr("http://127.0.0.1:8080").is_err());
    }
}
