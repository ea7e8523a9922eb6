//! What the kernel says about the server process over a measured phase: resident memory,
//! CPU time consumed, listen-queue overflows.
//!
//! The readings themselves come from `chinwag-testkit`'s [`procfs`] (`/proc/<pid>/status`,
//! `/proc/<pid>/stat`, `/proc/stat`, `/proc/net/netstat`); this module turns them into
//! windows over a phase. Works for a server this tool started and for one given by `--pid`;
//! a target of several nodes is measured as the sum of its processes. Linux only, like the
//! rest of the measurement.

use anyhow::{Context, Result, bail};
use chinwag_testkit::procfs;
use std::time::{Duration, Instant};

/// The CPU some processes (a server's nodes, say) used over a window of wall time (a
/// measured phase of a step).
#[derive(Debug, Clone)]
pub struct CpuWindow {
    pids: Vec<u32>,
    cpu: Duration,
    wall: Instant,
}

/// CPU used and wall time passed over a [`CpuWindow`].
#[derive(Debug, Clone, Copy)]
pub struct CpuUse {
    /// User + system time of every thread of the processes.
    pub cpu: Duration,
    /// Wall time of the window.
    pub wall: Duration,
}

impl CpuUse {
    /// CPU time as a share of one core (1.0 = one core busy all the time).
    pub fn share(&self) -> f64 {
        self.cpu.as_secs_f64() / self.wall.as_secs_f64().max(1e-9)
    }

    /// Microseconds of server CPU per unit of work (`count` frames, messages, ...).
    pub fn micros_per(&self, count: u64) -> Option<f64> {
        (count > 0).then(|| self.cpu.as_secs_f64() * 1e6 / count as f64)
    }
}

impl CpuWindow {
    /// Opens a window now over `pids`.
    pub fn start(pids: &[u32]) -> Result<Self> {
        Ok(Self {
            pids: pids.to_vec(),
            cpu: total_cpu_time(pids)?,
            wall: Instant::now(),
        })
    }

    /// Closes it.
    pub fn finish(self) -> Result<CpuUse> {
        let cpu = total_cpu_time(&self.pids)?.saturating_sub(self.cpu);
        Ok(CpuUse {
            cpu,
            wall: self.wall.elapsed(),
        })
    }
}

/// CPU time summed over `pids`.
fn total_cpu_time(pids: &[u32]) -> Result<Duration> {
    pids.iter()
        .map(|&pid| procfs::cpu_time(pid).with_context(|| format!("CPU time of {pid}")))
        .sum()
}

/// CPU over one measured phase: the server's, its backing processes', this load
/// generator's, and everyone else's.
#[derive(Debug, Clone)]
pub struct PhaseCpu {
    server: CpuWindow,
    backing: Option<CpuWindow>,
    load: CpuWindow,
    machine_busy: Duration,
}

/// What [`PhaseCpu`] measured.
#[derive(Debug, Clone, Copy)]
pub struct PhaseCpuUse {
    /// The server process(es): every node of the target.
    pub server: CpuUse,
    /// What the nodes depend on (their Redis), when given.
    pub backing: Option<CpuUse>,
    /// This process.
    pub load: CpuUse,
    /// Every other process, in cores (machine busy time less softirq, server, backing and
    /// load).
    pub others: f64,
}

impl PhaseCpu {
    /// Starts measuring the server `pids`, the `backing` ones, this process and the machine.
    pub fn start(pids: &[u32], backing: &[u32]) -> Result<Self> {
        Ok(Self {
            server: CpuWindow::start(pids)?,
            backing: if backing.is_empty() {
                None
            } else {
                Some(CpuWindow::start(backing)?)
            },
            load: CpuWindow::start(&[std::process::id()])?,
            machine_busy: procfs::machine_busy()?,
        })
    }

    /// Stops measuring.
    pub fn finish(self) -> Result<PhaseCpuUse> {
        let server = self.server.finish()?;
        let backing = self.backing.map(CpuWindow::finish).transpose()?;
        let load = self.load.finish()?;
        let busy = procfs::machine_busy()?.saturating_sub(self.machine_busy);
        let others = busy
            .saturating_sub(server.cpu)
            .saturating_sub(backing.map_or(Duration::ZERO, |b| b.cpu))
            .saturating_sub(load.cpu);
        Ok(PhaseCpuUse {
            server,
            backing,
            load,
            others: others.as_secs_f64() / server.wall.as_secs_f64().max(1e-9),
        })
    }
}

/// Listen-queue overflows over a phase (see [`listen_overflows`]).
#[derive(Debug, Clone, Copy)]
pub struct OverflowWindow(Option<u64>);

impl OverflowWindow {
    /// Opens the window.
    pub fn start() -> Self {
        Self(procfs::listen_overflows().ok())
    }

    /// Overflows since the start; `None` when the counter cannot be read.
    pub fn finish(self) -> Option<u64> {
        let after = procfs::listen_overflows().ok()?;
        self.0.map(|before| after.saturating_sub(before))
    }
}

/// Resident set size of `pids` together, in KiB.
pub fn total_rss_kib(pids: &[u32]) -> Result<u64> {
    pids.iter().map(|&pid| rss_kib(pid)).sum()
}

/// Resident set size of `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Result<u64> {
    procfs::rss_kib(pid).with_context(|| format!("cannot read the VmRSS of {pid}"))
}

/// Anonymous resident memory (`RssAnon`) of every pid in `pids`, summed, in KiB.
pub fn total_rss_anon_kib(pids: &[u32]) -> Result<u64> {
    pids.iter()
        .map(|&pid| {
            procfs::rss_anon_kib(pid).with_context(|| format!("cannot read the RssAnon of {pid}"))
        })
        .sum()
}

/// Fails unless `pid` names a live process, so a wrong `--pid` is caught before a run.
pub fn check_pid(pid: u32) -> Result<()> {
    if !procfs::is_alive(pid) {
        bail!("no live process with pid {pid}");
    }
    rss_kib(pid).map(|_| ())
}
