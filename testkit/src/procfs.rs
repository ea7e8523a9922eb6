//! What Linux's `/proc` says about a process and the machine.
//!
//! Per process: `/proc/<pid>/status` (`VmRSS`, `VmHWM`, `Threads`), `/proc/<pid>/stat`
//! (`utime` + `stime`, every thread, in clock ticks), `/proc/<pid>/fd` (descriptors). For the
//! machine: `/proc/stat` (busy time) and `/proc/net/netstat` (`ListenOverflows`); for this
//! process, `/proc/self/limits` (open files). Every reader returns an error, never a guess:
//! an unreadable file or an unexpected layout is [`io::ErrorKind::InvalidData`] or the OS
//! error. Linux only, like every measurement that uses it.

use std::{io, process::Command, sync::OnceLock, time::Duration};

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`, …), in KiB.
pub fn status_kib(pid: u32, field: &str) -> io::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path)?;
    parse_status_kib(&status, field).ok_or_else(|| invalid(format!("no {field} in kB in {path}")))
}

/// Resident set size of `pid`, in KiB.
pub fn rss_kib(pid: u32) -> io::Result<u64> {
    status_kib(pid, "VmRSS")
}

/// Anonymous resident memory of `pid` (heap, stacks; `RssAnon`), in KiB: the resident set
/// without the pages of files mapped in, the program's own code among them, whose residency
/// depends on what ran before and on the page cache rather than on what the process holds.
pub fn rss_anon_kib(pid: u32) -> io::Result<u64> {
    status_kib(pid, "RssAnon")
}

/// Threads of `pid` (`Threads` in `/proc/<pid>/status`).
pub fn threads(pid: u32) -> io::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path)?;
    parse_status_field(&status, "Threads")
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| invalid(format!("no Threads in {path}")))
}

/// Open descriptors of `pid`: the entries of `/proc/<pid>/fd`.
pub fn descriptor_count(pid: u32) -> io::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

/// Open sockets of `pid`: the entries of `/proc/<pid>/fd` that link to `socket:[…]`.
pub fn socket_count(pid: u32) -> io::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count())
}

/// User plus system CPU time `pid` has used so far, all threads included.
pub fn cpu_time(pid: u32) -> io::Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path)?;
    let ticks =
        parse_cpu_ticks(&stat).ok_or_else(|| invalid(format!("unexpected layout of {path}")))?;
    Ok(ticks_to_duration(ticks))
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

/// Busy time of the whole machine, all CPUs, from the first line of `/proc/stat`: user, nice,
/// system, irq and steal, leaving out idle, iowait and softirq (loopback packet processing,
/// which a load run causes but no process is charged for).
pub fn machine_busy() -> io::Result<Duration> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let ticks =
        parse_machine_busy(&stat).ok_or_else(|| invalid("unexpected layout of /proc/stat"))?;
    Ok(ticks_to_duration(ticks))
}

/// How many times, machine-wide (for the network namespace), a listening socket's accept
/// queue was full and a connection attempt was dropped (`TcpExt: ListenOverflows` in
/// `/proc/net/netstat`). Each drop costs that client a SYN retransmission: a second or more.
pub fn listen_overflows() -> io::Result<u64> {
    let netstat = std::fs::read_to_string("/proc/net/netstat")?;
    parse_listen_overflows(&netstat)
        .ok_or_else(|| invalid("no ListenOverflows in /proc/net/netstat"))
}

/// The soft and hard open-files limit (`RLIMIT_NOFILE`) of this process, from
/// `/proc/self/limits`; `unlimited` reads as `u64::MAX`.
pub fn open_files_limit() -> io::Result<(u64, u64)> {
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    parse_open_files(&limits).ok_or_else(|| invalid("no open-files line in /proc/self/limits"))
}

/// The value after `field:` in a `/proc/<pid>/status` text, trimmed.
fn parse_status_field<'a>(status: &'a str, field: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .map(str::trim)
}

/// The `field:   1234 kB` value of a `/proc/<pid>/status` text, in KiB.
fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    parse_status_field(status, field)?
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
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

/// `Max open files   1024   524288   files` → `(1024, 524288)`.
fn parse_open_files(limits: &str) -> Option<(u64, u64)> {
    let line = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))?;
    let mut numbers = line.split_whitespace().map(|value| match value {
        "unlimited" => Some(u64::MAX),
        number => number.parse().ok(),
    });
    Some((numbers.next()??, numbers.next()??))
}

fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::from_secs_f64(ticks as f64 / clock_ticks_per_sec() as f64)
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

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
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
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(12_345));
    }

    #[test]
    fn the_open_files_limit_reads_soft_then_hard() {
        let limits = "Max processes 100 200 processes\nMax open files            1024                 unlimited            files\n";
        assert_eq!(parse_open_files(limits), Some((1024, u64::MAX)));
    }

    #[test]
    fn this_process_is_measurable() {
        let pid = std::process::id();
        assert!(is_alive(pid));
        assert!(rss_kib(pid).unwrap() > 0);
        assert!(threads(pid).unwrap() > 0);
        assert!(descriptor_count(pid).unwrap() > 0);
        cpu_time(pid).unwrap();
        let (soft, hard) = open_files_limit().unwrap();
        assert!(soft <= hard);
    }
}
