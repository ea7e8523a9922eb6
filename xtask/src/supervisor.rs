//! Long-running children that xtask starts, watches and stops: `cargo xtask dev` (a server
//! and trunk) and `cargo xtask cluster` (Redis, the nodes, nginx).
//!
//! Each child runs in a process group of its own, so a terminal's Ctrl-C reaches only xtask,
//! which then stops the children itself, in reverse start order, tier by tier: every child of
//! a tier is sent its [`Stop`] signal at once, then each gets until [`STOP_TIMEOUT`] to exit
//! before it is killed. The same happens when any child exits early or xtask fails, because a
//! [`Supervisor`] stops everything when dropped. Only a SIGKILL of xtask leaves them running:
//! nothing without `unsafe` can arrange otherwise.

use anyhow::{Context, Result, bail, ensure};
use nix::{
    sys::signal::{Signal, kill, killpg},
    unistd::Pid,
};
use std::{
    fs,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

/// How long a child may take to be ready (a node connects to Redis first; the dev server
/// opens, and may create, its database).
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a child may take to exit after its signal before it is killed: more than the
/// server's default graceful-shutdown timeout of 5 s.
const STOP_TIMEOUT: Duration = Duration::from_secs(8);
/// How often readiness, Ctrl-C and child exits are polled.
const POLL: Duration = Duration::from_millis(100);

/// How a child is asked to stop, and what is killed if it does not.
#[derive(Clone, Copy)]
pub enum Stop {
    /// Signal the whole process group (trunk and the build it runs), as a terminal would.
    Group(Signal),
    /// Signal the child alone, which stops what it started itself (nginx's workers).
    Leader(Signal),
}

/// What to start: a name for messages, the command, how it stops, where its output goes.
pub struct Launch {
    /// Named in messages (`node 0`, `trunk`).
    pub name: String,
    /// The command; its stdin is closed and it gets a process group of its own.
    pub command: Command,
    /// How it is asked to stop.
    pub stop: Stop,
    /// A file for its stdout and stderr, quoted when it exits early; `None`: xtask's own.
    pub log: Option<PathBuf>,
}

/// The running children, by tier in start order, and the Ctrl-C flag.
pub struct Supervisor {
    tiers: Vec<Vec<Supervised>>,
    /// Set by Ctrl-C (or SIGTERM, SIGHUP).
    stop: Arc<AtomicBool>,
}

/// One running child.
struct Supervised {
    name: String,
    child: Child,
    stop: Stop,
    log: Option<PathBuf>,
}

impl Supervisor {
    /// No children yet, `tiers` tiers of them to come; catches Ctrl-C from now on.
    pub fn new(tiers: usize) -> Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .context("cannot catch Ctrl-C")?;
        let tiers = (0..tiers).map(|_| Vec::new()).collect();
        Ok(Supervisor { tiers, stop })
    }

    /// Starts `launch` in `tier`, then polls `ready` until it holds, failing early if any
    /// child exits or Ctrl-C arrives.
    pub fn launch(&mut self, tier: usize, launch: Launch, ready: impl Fn() -> bool) -> Result<()> {
        let Launch {
            name,
            mut command,
            stop,
            log,
        } = launch;
        match &log {
            Some(path) => {
                let out = fs::File::create(path)?;
                command.stdout(out.try_clone()?).stderr(out);
                let shown = crate::command::describe(&command);
                eprintln!("xtask: $ {shown} > {}", path.display());
            }
            None => eprintln!("xtask: $ {}", crate::command::describe(&command)),
        }
        let group_of_its_own = command.stdin(Stdio::null()).process_group(0);
        let child = group_of_its_own
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        let supervised = Supervised {
            name: name.clone(),
            child,
            stop,
            log,
        };
        self.tiers
            .get_mut(tier)
            .context("no such tier")?
            .push(supervised);
        self.until(&format!("{name} to be ready"), ready)
    }

    /// Polls `ready` until it holds, within [`READY_TIMEOUT`], failing early if any child
    /// exits or Ctrl-C arrives: also for a condition of several children at once (a Redis
    /// Cluster formed), after each was launched. `what` names the awaited thing in errors.
    pub fn until(&mut self, what: &str, ready: impl Fn() -> bool) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        while !ready() {
            self.fail_if_any_exited()?;
            ensure!(!self.stopping(), "interrupted while waiting for {what}");
            let late = Instant::now() > deadline;
            ensure!(
                !late,
                "timed out after {READY_TIMEOUT:?} waiting for {what}"
            );
            thread::sleep(POLL);
        }
        Ok(())
    }

    /// Waits for Ctrl-C or for a child to exit, whichever is first; the latter is an error.
    /// Says `stopping` once Ctrl-C came.
    pub fn supervise(&mut self, stopping: &str) -> Result<()> {
        while !self.stopping() {
            self.fail_if_any_exited()?;
            thread::sleep(POLL);
        }
        eprintln!("xtask: {stopping}");
        Ok(())
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn fail_if_any_exited(&mut self) -> Result<()> {
        for supervised in self.tiers.iter_mut().flatten() {
            if let Some(status) = supervised.child.try_wait()? {
                let name = &supervised.name;
                match &supervised.log {
                    Some(log) => {
                        let (tail, log) = (last_lines(log, 15), log.display());
                        bail!("{name} exited ({status}); the end of {log}:\n{tail}");
                    }
                    None => bail!("{name} exited ({status})"),
                }
            }
        }
        Ok(())
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        for tier in self.tiers.iter_mut().rev() {
            stop_all(tier);
        }
    }
}

/// Sends every child of a tier its stop signal at once, then waits for each; a straggler is
/// killed.
fn stop_all(tier: &mut [Supervised]) {
    for supervised in tier.iter_mut() {
        // Only an unreaped child: a reaped one's pid (and group id) may belong to someone
        // else by now. An error means it has just exited, which is the aim.
        if let (Ok(None), Ok(pid)) = (
            supervised.child.try_wait(),
            i32::try_from(supervised.child.id()),
        ) {
            let _ = match supervised.stop {
                Stop::Group(signal) => killpg(Pid::from_raw(pid), signal),
                Stop::Leader(signal) => kill(Pid::from_raw(pid), signal),
            };
        }
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    for supervised in tier.iter_mut() {
        let running = |child: &mut Child| matches!(child.try_wait(), Ok(None));
        while running(&mut supervised.child) && Instant::now() < deadline {
            thread::sleep(POLL);
        }
        if running(&mut supervised.child) {
            supervised.kill();
        }
    }
}

impl Supervised {
    /// Kills what ignored its stop signal: its group, or itself. Errors mean it exited in
    /// between.
    fn kill(&mut self) {
        let (signal, group) = match self.stop {
            Stop::Group(signal) => (signal, true),
            Stop::Leader(signal) => (signal, false),
        };
        eprintln!("xtask: {} ignored {signal}; killing it", self.name);
        match i32::try_from(self.child.id()) {
            Ok(pid) if group => {
                let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
            }
            _ => {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }
}

/// The last `count` lines of the file at `path` (empty if it cannot be read).
pub fn last_lines(path: &Path, count: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}
