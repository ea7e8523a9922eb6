//! What the kernel says about the server process: resident memory and CPU time consumed.
//!
//! Read from `/proc/<pid>/status` (`VmRSS`) and `/proc/<pid>/stat` (`utime` + `stime`, every
//! thread of the process, in clock ticks). Works for a server this tool started and for one
//! given by `--pid`; a target of several nodes is measured as the sum of its processes.
//! Linux only, like the rest of the measurement.

use anyhow::{Context, Result, bail};
use std::{
    process::Command,
    sync::OnceLock,
    time::{Duration, Instant},
};

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

/// [`cpu_time`] summed over `pids`.
fn total_cpu_time(pids: &[u32]) -> Result<Duration> {
    pids.iter().map(|&pid| cpu_time(pid)).sum()
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
            machine_busy: machine_busy()?,
        })
    }

    /// Stops measuring.
    pub fn finish(self) -> Result<PhaseCpuUse> {
        let server = self.server.finish()?;
        let backing = self.backing.map(CpuWindow::finish).transpose()?;
        let load = self.load.finish()?;
        let busy = machine_busy()?.saturating_sub(self.machine_busy);
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

/// Busy time of the whole machine, all CPUs, from the first line of `/proc/stat`: user, nice,
/// system, irq and steal, leaving out idle, iowait and softirq (loopback packet processing,
/// which this run causes but no process is charged for).
fn machine_busy() -> Result<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").context("cannot read /proc/stat")?;
    let ticks = parse_machine_busy(&stat).context("unexpected layout of /proc/stat")?;
    Ok(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_sec() as f64,
    ))
}

/// `cpu  user nice system idle iowait irq softirq steal ...` → user+nice+system+irq+steal.
fn parse_machine_busy(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|line| line.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let field = |i: usize| fields.get(i).copied().unwrap_or(0);
    Some(field(0) + field(1) + field(2) + field(5) + field(7))
}

/// Listen-queue overflows over a phase (see [`listen_overflows`]).
#[derive(Debug, Clone, Copy)]
pub struct OverflowWindow(Option<u64>);

impl OverflowWindow {
    /// Opens the window.
    pub fn start() -> Self {
        Self(listen_overflows().ok())
    }

    /// Overflows since the start; `None` when the counter cannot be read.
    pub fn finish(self) -> Option<u64> {
        let after = listen_overflows().ok()?;
        self.0.map(|before| after.saturating_sub(before))
    }
}

/// How many times, machine-wide, a listening socket's accept queue was full and a connection
/// attempt was dropped (`TcpExt: ListenOverflows` in `/proc/net/netstat`). Each drop costs that
/// client a SYN retransmission: a second or more.
pub fn listen_overflows() -> Result<u64> {
    let netstat =
        std::fs::read_to_string("/proc/net/netstat").context("cannot read /proc/net/netstat")?;
    parse_listen_overflows(&netstat).context("no ListenOverflows in /proc/net/netstat")
}

/// The `ListenOverflows` value: `TcpExt:` comes as a line of names then a line of values.
fn parse_listen_overflows(netstat: &str) -> Option<u64> {
    let mut tcp_ext = netstat.lines().filter(|line| line.starts_with("TcpExt:"));
    let names = tcp_ext.next()?.split_whitespace();
    let values = tcp_ext.next()?.split_whitespace();
    names
        .zip(values)
        .find(|(name, _)| *name == "ListenOverflows")
        .and_then(|(_, value)| value.parse().ok())
}

/// Resident set size of `pids` together, in KiB.
pub fn total_rss_kib(pids: &[u32]) -> Result<u64> {
    pids.iter().map(|&pid| rss_kib(pid)).sum()
}

/// Resident set size of `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    parse_vm_rss(&status).with_context(|| format!("no VmRSS line in {path}"))
}

/// User plus system CPU time `pid` has used so far, all threads included.
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    let ticks = parse_cpu_ticks(&stat).with_context(|| format!("unexpected layout of {path}"))?;
    let per_sec = clock_ticks_per_sec();
    Ok(Duration::from_secs_f64(ticks as f64 / per_sec as f64))
}

/// Whether `pid` is still a live process (not gone, not a zombie).
pub fn is_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next().map(|s| s != "Z"))
        })
        .unwrap_or(false)
}

/// The `VmRSS:   1234 kB` value.
fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `utime` + `stime`, fields 14 and 15 of `/proc/<pid>/stat`. The command name (field 2) may
/// hold spaces and parentheses, so fields are counted from the last `)`, after which field 3
/// (the state) comes first.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

/// `sysconf(_SC_CLK_TCK)` through `getconf`, since this crate has no libc binding; 100 (the
/// value on every mainstream Linux) if `getconf` is missing.
fn clock_ticks_per_sec() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .filter(|&ticks| ticks > 0)
            .unwrap_or(100)
    })
}

/// Fails unless `pid` names a live process, so a wrong `--pid` is caught before a run.
pub fn check_pid(pid: u32) -> Result<()> {
    if !is_alive(pid) {
        bail!("no live process with pid {pid}");
    }
    rss_kib(pid).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_counted_from_the_last_parenthesis() {
        let stat = "4242 (we ird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0";
        assert_eq!(parse_cpu_ticks(stat), Some(325));
    }

    #[test]
    fn machine_busy_time_leaves_out_idle_iowait_and_softirq() {
        let stat = "cpu  100 5 50 9000 30 7 40 3 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n";
        assert_eq!(parse_machine_busy(stat), Some(100 + 5 + 50 + 7 + 3));
    }

    #[test]
    fn listen_overflows_are_found_by_name() {
        let netstat = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 42 43\nIpExt: InNoRoutes\nIpExt: 0\n";
        assert_eq!(parse_listen_overflows(netstat), Some(42));
    }

    #[test]
    fn vm_rss_is_read_in_kib() {
        let status = "Name:\tchinwag\nVmPeak:\t  9000 kB\nVmRSS:\t  12345 kB\nThreads:\t4\n";
        assert_eq!(parse_vm_rss(status), Some(12_345));
    }

    #[test]
    fn this_process_is_measurable() {
        let pid = std::process::id();
        assert!(is_alive(pid));
        assert!(rss_kib(pid).unwrap() > 0);
        cpu_time(pid).unwrap();
    }
}
