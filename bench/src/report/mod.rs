//! Results: one [`StepReport`] per step, printed as JSON lines or as human tables
//! ([`table`]), plus the Chinwag ÷ baseline ratios for steps of the same size.
//!
//! A step *passes* when nothing was lost, duplicated or refused and no connection failed; the
//! broadcast ramp additionally asks for p95 under its limit. Ratios divide Chinwag's figure by
//! the baseline's at the same client count and rate, so a ratio above 1 means Chinwag is slower
//! (latency, CPU) or, for rates, faster.

use crate::{
    cli::{Resume, TargetKind},
    procinfo::PhaseCpuUse,
    signin::AuthKind,
    stats::LatencySummary,
};
use serde::{Deserialize, Serialize};

mod table;
pub use table::tables;

/// Which mode produced a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Fixed-rate broadcast to N clients.
    #[default]
    Broadcast,
    /// Senders as fast as accepted.
    Throughput,
    /// Idle connections, memory.
    Idle,
    /// Drop-and-resume storm.
    Storm,
}

/// Everything measured in one step. Fields a mode does not measure are absent from the JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StepReport {
    /// The mode.
    pub mode: Mode,
    /// The target measured.
    pub target: Option<TargetKind>,
    /// Whether the server ran pinned to its own CPU.
    pub pinned: bool,
    /// Nodes the connections were spread over, when more than one (`--target` repeated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<usize>,
    /// Connections in the step.
    pub clients: usize,
    /// Sending connections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub senders: Option<usize>,
    /// Offered messages per second (all senders).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_per_s: Option<f64>,
    /// Messages each sender may have in flight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<usize>,
    /// Length of the measured phase, in seconds.
    pub duration_s: f64,
    /// Bytes of one `send` frame as the bench writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_frame_bytes: Option<usize>,
    /// Seconds to open and join every connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_s: Option<f64>,
    /// Messages sent.
    pub sent: u64,
    /// Deliveries due (each message to each receiver).
    pub expected: u64,
    /// Deliveries that arrived (first copies only).
    pub delivered: u64,
    /// Deliveries that never arrived.
    pub lost: u64,
    /// Deliveries that arrived twice.
    pub duplicates: u64,
    /// Error frames, failed or closed connections.
    pub errors: u64,
    /// The first few errors, verbatim.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub error_samples: Vec<String>,
    /// Delivery latency, send to receipt, over every receiver; for a storm, each client's
    /// time from the reconnect signal to caught up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<LatencySummary>,
    /// Deliveries per second over the sending phase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_per_s: Option<f64>,
    /// Messages the server accepted and echoed per second (throughput mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_per_s: Option<f64>,
    /// How far the slowest send fell behind its schedule: large means the load generator, not
    /// the server, was the bottleneck.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_lag_max_ms: Option<f64>,
    /// Server CPU (user + system, all threads) during the measured phase, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_cpu_s: Option<f64>,
    /// That CPU as a share of one core.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_cpu_share: Option<f64>,
    /// CPU of the `--backing-pid` processes (the nodes' Redis) over the same phase, as a share
    /// of one core; not included in the server figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backing_cpu_share: Option<f64>,
    /// This load generator's CPU over the same phase, as a share of one core: near
    /// `1.0` (with one load core) means the generator, not the server, set the pace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_cpu_share: Option<f64>,
    /// CPU used by every other process on the machine over the same phase, in cores
    /// (busy time from `/proc/stat`, less softirq, less server, backing and generator):
    /// anything well above zero means the figures were disturbed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_cpu_share: Option<f64>,
    /// Server CPU per delivered frame, in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_cpu_us_per_frame: Option<f64>,
    /// Server CPU per message accepted, in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_cpu_us_per_message: Option<f64>,
    /// Server CPU spent per connection opened and joined (idle mode's setup), microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_cpu_us_per_connection: Option<f64>,
    /// Server RSS before the connections opened, KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_before_kib: Option<u64>,
    /// Server RSS with every connection open, KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_after_kib: Option<u64>,
    /// (after − before) / clients, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_per_connection_bytes: Option<f64>,
    /// The same for anonymous memory alone (`RssAnon`: heap and stacks, not the pages of the
    /// program's code, whose residency varies from start to start), in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_anon_per_connection_bytes: Option<f64>,
    /// Server RSS once every connection closed again, KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_after_close_kib: Option<u64>,
    /// Storm: from the reconnect signal until every client holds every id up to the target
    /// (the per-client distribution is in `latency_ms`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catch_up_ms: Option<f64>,
    /// Storm: whether the clients resumed with `after=` (`on`, Chinwag) or reconnected
    /// live-only (`off`, the only reconnect a baseline has).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume: Option<Resume>,
    /// Storm: how long the clients were away (the missed messages were posted meanwhile).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outage_ms: Option<f64>,
    /// Storm: messages each client had to replay at least.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missed: Option<u64>,
    /// Storm: whether the clients were guests or presented a session on every connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthKind>,
    /// Storm: which round of an alternating run (`--rounds`), from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    /// Storm: seconds from the last client's first join to the reconnect signal. A session
    /// checked at its first join is this old, up to `connect_s` more, when it is checked again
    /// (the server trusts a check from memory for 10 s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joined_to_reconnect_s: Option<f64>,
    /// Storm with sessions: response times of the sign-ups made before it, one at a time
    /// (each about one Argon2id hash on the server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_up_ms: Option<LatencySummary>,
    /// Storm with sessions: wall time per sign-in made before it, two at a time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_ms_each: Option<f64>,
    /// Connection attempts dropped because a listen queue was full (machine-wide, over the
    /// step's connecting phase; the storm's reconnect included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen_overflows: Option<u64>,
    /// Storm: reconnect attempts that failed and were retried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconnect_retries: Option<u64>,
    /// Storm: why the first few retried reconnects failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retry_samples: Vec<String>,
    /// Issue 15: the share of posts that were edits or deletions, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes_percent: Option<u32>,
    /// Issue 15, broadcast: the latency of messages alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_latency_ms: Option<LatencySummary>,
    /// Issue 15, broadcast: the latency of edits and deletions alone (HTTP request to frame).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_latency_ms: Option<LatencySummary>,
    /// Issue 15, broadcast: the latency of deletions alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_latency_ms: Option<LatencySummary>,
    /// Issue 15: edits and deletions made (each one record delivered like a message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes_sent: Option<u64>,
    /// Storm: bytes of the frames replayed on the reconnect (`after=` up to `joined`), all
    /// clients together (frame text, not WebSocket headers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_bytes: Option<u64>,
    /// Storm: chat frames (messages and change records) replayed on the reconnects, all
    /// clients together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_records: Option<u64>,
    /// No loss, duplicate or error.
    pub passed: bool,
    /// Broadcast: passed and p95 under the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_p95_limit: Option<bool>,
    /// Chinwag ÷ baseline at the same size and rate (on Chinwag's steps only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratios: Option<Ratios>,
}

impl StepReport {
    /// A step of `mode` against `target` with `clients` connections.
    pub fn new(mode: Mode, target: TargetKind, pinned: bool, clients: usize) -> Self {
        Self {
            mode,
            target: Some(target),
            pinned,
            clients,
            ..Self::default()
        }
    }

    /// The report of a step that could not run at all: failed, with the reason.
    pub fn failed(mode: Mode, target: TargetKind, clients: usize, err: &anyhow::Error) -> Self {
        let mut report = Self::new(mode, target, false, clients);
        report.errors = 1;
        report.error_samples = vec![format!("{err:#}")];
        report
    }

    /// Fills the CPU fields from a measured phase; `work` frames were delivered and `messages`
    /// accepted in it.
    pub fn set_cpu(&mut self, usage: &PhaseCpuUse, frames: u64, messages: u64) {
        self.server_cpu_s = Some(usage.server.cpu.as_secs_f64());
        self.server_cpu_share = Some(usage.server.share());
        self.backing_cpu_share = usage.backing.map(|b| b.share());
        self.load_cpu_share = Some(usage.load.share());
        self.other_cpu_share = Some(usage.others);
        self.server_cpu_us_per_frame = usage.server.micros_per(frames);
        self.server_cpu_us_per_message = usage.server.micros_per(messages);
    }

    /// Sets `passed` from the counts.
    pub fn judge(&mut self) {
        self.lost = self.expected.saturating_sub(self.delivered);
        self.passed = self.lost == 0 && self.duplicates == 0 && self.errors == 0;
    }

    /// The target's name for tables.
    pub fn target_name(&self) -> &'static str {
        self.target.map_or("?", TargetKind::name)
    }

    /// The target's name, with its node count when there were several (`chinwag ×3`).
    pub fn target_label(&self) -> String {
        let name = match self.nodes {
            Some(nodes) => format!("{} ×{nodes}", self.target_name()),
            None => self.target_name().into(),
        };
        match self.changes_percent {
            Some(percent) => format!("{name} {percent}% chg"),
            None => name,
        }
    }
}

/// Chinwag ÷ each baseline.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Ratios {
    /// Against the bare tokio-tungstenite relay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_bare_relay: Option<RatioSet>,
    /// Against the raw-TCP fan-out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_raw_tcp: Option<RatioSet>,
    /// Against the bare actix-ws relay: what Chinwag's features cost over its framework.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_actix_relay: Option<RatioSet>,
}

/// Chinwag's figure divided by a baseline's, per metric both have.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RatioSet {
    /// Median latency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50: Option<f64>,
    /// 95th percentile latency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95: Option<f64>,
    /// 99th percentile latency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99: Option<f64>,
    /// Server CPU per delivered frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_per_frame: Option<f64>,
    /// Deliveries per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_per_s: Option<f64>,
    /// Accepted messages per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_per_s: Option<f64>,
    /// Server memory per idle connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_per_connection: Option<f64>,
    /// Storm: time until every client was back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catch_up: Option<f64>,
}

/// Fills `ratios` on each Chinwag step from the baseline steps of the same mode and size.
pub fn attach_ratios(steps: &mut [StepReport]) {
    let baselines: Vec<StepReport> = steps
        .iter()
        .filter(|s| s.target != Some(TargetKind::Chinwag))
        .cloned()
        .collect();
    for step in steps
        .iter_mut()
        .filter(|s| s.target == Some(TargetKind::Chinwag))
    {
        let against = |kind: TargetKind| {
            baselines
                .iter()
                .find(|b| b.target == Some(kind) && same_shape(step, b))
                .map(|b| ratio_set(step, b))
                .filter(RatioSet::any)
        };
        let ratios = Ratios {
            vs_bare_relay: against(TargetKind::BareRelay),
            vs_raw_tcp: against(TargetKind::RawTcp),
            vs_actix_relay: against(TargetKind::ActixRelay),
        };
        if ratios.vs_bare_relay.is_some()
            || ratios.vs_raw_tcp.is_some()
            || ratios.vs_actix_relay.is_some()
        {
            step.ratios = Some(ratios);
        }
    }
}

impl RatioSet {
    /// Whether any metric could be compared (a step that failed to run has none).
    fn any(&self) -> bool {
        [
            self.p50,
            self.p95,
            self.p99,
            self.cpu_per_frame,
            self.delivered_per_s,
            self.accepted_per_s,
            self.rss_per_connection,
            self.catch_up,
        ]
        .iter()
        .any(Option::is_some)
    }
}

fn same_shape(a: &StepReport, b: &StepReport) -> bool {
    a.mode == b.mode
        && a.clients == b.clients
        && a.senders == b.senders
        && a.rate_per_s == b.rate_per_s
        && a.window == b.window
        // A resumed storm replays what a plain reconnect does not: not the same work.
        && a.resume == b.resume
}

fn ratio_set(chinwag: &StepReport, base: &StepReport) -> RatioSet {
    let div = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    let lat = |s: &StepReport, f: fn(&LatencySummary) -> f64| s.latency_ms.as_ref().map(f);
    RatioSet {
        p50: div(lat(chinwag, |l| l.p50), lat(base, |l| l.p50)),
        p95: div(lat(chinwag, |l| l.p95), lat(base, |l| l.p95)),
        p99: div(lat(chinwag, |l| l.p99), lat(base, |l| l.p99)),
        cpu_per_frame: div(
            chinwag.server_cpu_us_per_frame,
            base.server_cpu_us_per_frame,
        ),
        delivered_per_s: div(chinwag.delivered_per_s, base.delivered_per_s),
        accepted_per_s: div(chinwag.accepted_per_s, base.accepted_per_s),
        rss_per_connection: div(
            chinwag.rss_per_connection_bytes,
            base.rss_per_connection_bytes,
        ),
        catch_up: div(chinwag.catch_up_ms, base.catch_up_ms),
    }
}

/// The steps as JSON lines.
pub fn json_lines(steps: &[StepReport]) -> String {
    steps
        .iter()
        .filter_map(|step| serde_json::to_string(step).ok())
        .map(|line| line + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broadcast(kind: TargetKind, p95: f64, cpu: f64) -> StepReport {
        let mut step = StepReport::new(Mode::Broadcast, kind, true, 1000);
        step.rate_per_s = Some(20.0);
        step.senders = Some(10);
        step.latency_ms = Some(LatencySummary {
            samples: 1,
            p50: p95 / 2.0,
            p95,
            p99: p95,
            max: p95,
            mean: p95,
        });
        step.server_cpu_us_per_frame = Some(cpu);
        step
    }

    #[test]
    fn ratios_divide_chinwag_by_the_baseline_of_the_same_size() {
        let mut steps = vec![
            broadcast(TargetKind::Chinwag, 10.0, 6.0),
            broadcast(TargetKind::BareRelay, 5.0, 2.0),
            broadcast(TargetKind::RawTcp, 2.0, 1.0),
            broadcast(TargetKind::ActixRelay, 8.0, 4.0),
        ];
        steps.push(StepReport {
            clients: 5000,
            ..broadcast(TargetKind::BareRelay, 1.0, 1.0)
        });
        let failed = anyhow::anyhow!("setup failed");
        let mut unrun = StepReport::failed(Mode::Broadcast, TargetKind::Chinwag, 5000, &failed);
        unrun.senders = Some(10);
        unrun.rate_per_s = Some(20.0);
        steps.push(unrun);
        attach_ratios(&mut steps);
        let ratios = steps[0].ratios.as_ref().unwrap();
        assert_eq!(ratios.vs_bare_relay.as_ref().unwrap().p95, Some(2.0));
        assert_eq!(
            ratios.vs_bare_relay.as_ref().unwrap().cpu_per_frame,
            Some(3.0)
        );
        assert_eq!(ratios.vs_raw_tcp.as_ref().unwrap().p95, Some(5.0));
        let actix = ratios.vs_actix_relay.as_ref().unwrap();
        assert_eq!(actix.p95, Some(1.25));
        assert_eq!(actix.cpu_per_frame, Some(1.5));
        assert!(steps[1].ratios.is_none());
        assert!(
            steps[5].ratios.is_none(),
            "a step that never ran has nothing to compare"
        );
        let table = tables(&steps);
        assert!(table.contains("2.00×"), "{table}");
    }

    #[test]
    fn a_storm_is_compared_only_with_a_baseline_that_reconnected_the_same_way() {
        let storm = |kind, resume, catch_up_ms| {
            let mut step = StepReport::new(Mode::Storm, kind, true, 4000);
            step.rate_per_s = Some(20.0);
            step.resume = Some(resume);
            step.catch_up_ms = Some(catch_up_ms);
            step
        };
        let mut steps = vec![
            storm(TargetKind::Chinwag, Resume::On, 900.0),
            storm(TargetKind::Chinwag, Resume::Off, 600.0),
            storm(TargetKind::ActixRelay, Resume::Off, 400.0),
        ];
        attach_ratios(&mut steps);
        assert!(
            steps[0].ratios.is_none(),
            "a resume replays, a relay cannot"
        );
        let actix = steps[1].ratios.as_ref().unwrap().vs_actix_relay.as_ref();
        assert_eq!(actix.unwrap().catch_up, Some(1.5));
        let table = tables(&steps);
        assert!(table.contains("1.50×"), "{table}");
        let json = json_lines(&steps);
        assert!(json.contains(r#""resume":"off""#), "{json}");
    }

    #[test]
    fn a_step_with_any_loss_fails_and_round_trips_through_json() {
        let mut step = broadcast(TargetKind::Chinwag, 1.0, 1.0);
        step.expected = 10;
        step.delivered = 9;
        step.judge();
        assert!(!step.passed);
        assert_eq!(step.lost, 1);
        let line = json_lines(std::slice::from_ref(&step));
        let back: StepReport = serde_json::from_str(line.trim()).unwrap();
        assert_eq!(back.lost, 1);
        assert_eq!(back.target, Some(TargetKind::Chinwag));
        assert!(tables(&[step]).contains("FAIL"));
    }
}
