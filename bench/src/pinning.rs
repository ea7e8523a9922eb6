//! CPU pinning: the server on one core, the load generator on the rest.
//!
//! The issue asks for the server on one core and the load on the other, so neither steals the
//! other's CPU and "server CPU per frame" means what it says. There is no safe affinity call in
//! std, so `taskset` (util-linux) does it: once for this process before the runtime starts
//! (threads inherit the mask), and as a wrapper around every server started. Servers started
//! by someone else (`--target`) count as pinned when their own CPU masks, as the kernel
//! reports them, leave out every load CPU. Every report says whether pinning was applied.

use crate::cli::Pin;
use std::process::{Command, Stdio};

/// The outcome of [`apply`], handed to whoever starts servers.
#[derive(Debug, Clone)]
pub struct Pinning {
    /// CPUs for servers (`taskset -c` list), when pinning is on.
    pub server_cpus: Option<String>,
    /// CPUs this process runs on, when pinning is on.
    pub load_cpus: Option<String>,
    /// Why pinning is off, when it is.
    pub reason: Option<String>,
}

impl Pinning {
    /// No pinning, for `reason`.
    fn off(reason: impl Into<String>) -> Self {
        Self {
            server_cpus: None,
            load_cpus: None,
            reason: Some(reason.into()),
        }
    }

    /// Whether servers and load run on separate CPUs.
    pub fn applied(&self) -> bool {
        self.server_cpus.is_some()
    }

    /// Whether this process is pinned and none of `pids` (servers it did not start) may run on
    /// its CPUs.
    pub fn apart_from_load(&self, pids: impl IntoIterator<Item = u32>) -> bool {
        let Some(load) = &self.load_cpus else {
            return false;
        };
        let load = parse_cpu_list(load);
        pids.into_iter().all(|pid| {
            let allowed = allowed_cpus(&pid.to_string());
            !allowed.is_empty() && allowed.iter().all(|cpu| !load.contains(cpu))
        })
    }

    /// One line for the report.
    pub fn describe(&self) -> String {
        match (&self.server_cpus, &self.load_cpus, &self.reason) {
            (Some(server), Some(load), _) => format!("server on CPU {server}, load on CPU {load}"),
            (_, _, Some(reason)) => format!("not pinned: {reason}"),
            _ => "not pinned".into(),
        }
    }
}

/// Pins this process to every allowed CPU but the first, and reserves the first for servers.
/// Call before any thread is started, so every later thread inherits the mask.
pub fn apply(pin: Pin) -> Pinning {
    if pin == Pin::Off {
        return Pinning::off("--pin off");
    }
    let allowed = allowed_cpus("self");
    let [server, load @ ..] = allowed.as_slice() else {
        return Pinning::off("cannot read the allowed CPUs");
    };
    if load.is_empty() {
        return Pinning::off("only one CPU is allowed");
    }
    let load_list = load
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let status = Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            &load_list,
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match status {
        Ok(status) if status.success() => Pinning {
            server_cpus: Some(server.to_string()),
            load_cpus: Some(load_list),
            reason: None,
        },
        Ok(status) => Pinning::off(format!("taskset failed ({status})")),
        Err(_) => Pinning::off("taskset (util-linux) is not installed"),
    }
}

/// The CPUs a process (`self` or a pid) may run on, from `Cpus_allowed_list` in
/// `/proc/<process>/status`; empty when it cannot be read.
fn allowed_cpus(process: &str) -> Vec<usize> {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
                .map(|list| parse_cpu_list(list.trim()))
        })
        .unwrap_or_default()
}

/// `0-2,5` → `[0, 1, 2, 5]`; malformed parts are skipped.
fn parse_cpu_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.split(',').filter(|part| !part.is_empty()) {
        match part.split_once('-') {
            Some((first, last)) => {
                if let (Ok(first), Ok(last)) = (first.parse::<usize>(), last.parse::<usize>()) {
                    cpus.extend(first..=last);
                }
            }
            None => cpus.extend(part.parse::<usize>().ok()),
        }
    }
    cpus
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_expand_ranges() {
        assert_eq!(parse_cpu_list("0-2,5"), [0, 1, 2, 5]);
        assert_eq!(parse_cpu_list("3"), [3]);
        assert_eq!(parse_cpu_list("x,1"), [1]);
    }
}
