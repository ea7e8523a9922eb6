//! The server's resource peaks over a whole soak: resident memory and open descriptors,
//! read from `/proc/<pid>` every [`SAMPLE_EVERY`] by a task of their own.
//!
//! The kernel keeps a high-water mark of memory (`VmHWM`) but none of descriptors, so the
//! sampler takes both and the soak asserts on the higher memory figure. A peak that lasts
//! less than a sample period can slip past the descriptor count; the adversaries hold their
//! connections for seconds, so theirs cannot.

use crate::support::{descriptor_count, memory_kib};
use std::time::Duration;
use tokio::{
    sync::watch,
    time::{Instant, MissedTickBehavior},
};

/// How often the server is sampled.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// The highest figures seen, and how many samples they come from.
#[derive(Debug, Default, Clone, Copy)]
pub struct Peaks {
    pub rss_kib: u64,
    pub descriptors: usize,
    pub samples: u64,
}

/// Samples process `pid` until `stop` turns true (or its sender is gone), or until `latest`.
pub async fn sample_peaks(pid: u32, mut stop: watch::Receiver<bool>, latest: Instant) -> Peaks {
    let mut peaks = Peaks::default();
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let most =
        latest.saturating_duration_since(Instant::now()).as_millis() / SAMPLE_EVERY.as_millis() + 1;
    for _ in 0..most {
        tokio::select! {
            _ = tick.tick() => {
                peaks.rss_kib = peaks.rss_kib.max(memory_kib(pid, "VmRSS"));
                peaks.descriptors = peaks.descriptors.max(descriptor_count(pid));
                peaks.samples += 1;
            }
            stopped = stop.wait_for(|stop| *stop) => {
                // Stopped or the switch is gone: either way the run is over.
                let _ = stopped;
                return peaks;
            }
            () = tokio::time::sleep_until(latest) => return peaks,
        }
    }
    peaks
}
