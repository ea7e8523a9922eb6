//! The console's live numbers: once a second, one [`LiveSample`] of this node, kept for the
//! last [`LIVE_WINDOW_SECS`] and handed to every watcher of `GET /api/admin/live`.
//!
//! [`Live::run`] is one task per server. Each second it reads the counters the server keeps
//! anyway ([`crate::metrics::Metrics`]: relaxed atomics and the delivery-latency histogram,
//! none of them locked on the message path) and turns the growth since the last second into
//! a sample; it publishes this node's [`NodeStatus`] to the node registry and reads every
//! node's back. The sample goes into a ring of [`LIVE_WINDOW_SECS`] (older ones fall out) and,
//! as a [`LiveTick`], to a broadcast channel of [`TICKS_KEPT`] ticks. A watcher that falls
//! that far behind is dropped (it reconnects and starts from a fresh snapshot) rather than
//! making the channel hold more.

use crate::{delivery::latency::LatencyCounts, hub::Hub, metrics::Metrics};
use chinwag_shared::console::{LIVE_WINDOW_SECS, LiveSample, LiveSnapshot, LiveTick, NodeStatus};
use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// How often a sample is taken.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(1);

/// Ticks a watcher may fall behind before it is dropped.
pub const TICKS_KEPT: usize = 16;

/// The p95 the console charts.
const QUANTILE: f64 = 0.95;

/// This node's recent seconds and the channel their ticks go out on.
pub struct Live {
    started: Instant,
    history: Mutex<History>,
    ticks: broadcast::Sender<Arc<LiveTick>>,
}

/// What the sampler last wrote: the ring of samples and the nodes as last read.
#[derive(Default)]
struct History {
    samples: VecDeque<LiveSample>,
    nodes: Vec<NodeStatus>,
}

/// Running totals at one moment, to take the next second's growth from.
#[derive(Default)]
struct Totals {
    messages: u64,
    deliveries: u64,
    slow_consumer_cuts: u64,
    refusals: BTreeMap<&'static str, u64>,
    latency: LatencyCounts,
}

impl Totals {
    fn read(metrics: &Metrics) -> Self {
        Self {
            messages: metrics.messages_in.get(),
            deliveries: metrics.frames_delivered.get(),
            slow_consumer_cuts: metrics.server_closes_for("slow_consumer"),
            refusals: metrics
                .refusals()
                .into_iter()
                .map(|(code, count)| (code.as_str(), count))
                .collect(),
            latency: metrics.delivery_latency.counts(),
        }
    }
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

fn gauge(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}

impl Live {
    /// Nothing sampled yet.
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            history: Mutex::default(),
            ticks: broadcast::channel(TICKS_KEPT).0,
        }
    }

    fn history(&self) -> MutexGuard<'_, History> {
        // Numbers for a chart: a ring left mid-update by a panic is still a fair one.
        self.history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The last seconds (oldest first) and the nodes as last read, for a new watcher. Take
    /// it after [`Live::subscribe`]: a tick in between shows in both, never in neither.
    pub fn snapshot(&self, node: &str) -> LiveSnapshot {
        let history = self.history();
        LiveSnapshot {
            node: node.to_owned(),
            samples: history.samples.iter().cloned().collect(),
            nodes: history.nodes.clone(),
        }
    }

    /// The ticks from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveTick>> {
        self.ticks.subscribe()
    }

    /// This node's status now.
    pub fn status(&self, hub: &Hub) -> NodeStatus {
        let metrics = hub.metrics();
        NodeStatus {
            id: hub.nodes().this_node().to_owned(),
            ready: hub.ready(),
            connections: gauge(metrics.connections_open.get())
                + gauge(metrics.long_polls_waiting.get()),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            uptime_secs: self.started.elapsed().as_secs(),
            this: true,
        }
    }

    /// Samples `hub` every second until `stop`.
    pub async fn run(self: Arc<Self>, hub: Arc<Hub>, stop: CancellationToken) {
        let mut before = Totals::read(hub.metrics());
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        tick.tick().await;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let now = Totals::read(hub.metrics());
            let sample = sample(&hub, &before, &now);
            before = now;
            let own = self.status(&hub);
            if let Err(err) = hub.nodes().publish(&own).await {
                tracing::debug!(error = %err, "node status not published");
            }
            let nodes = match hub.nodes().nodes(&own).await {
                Ok(nodes) => nodes,
                Err(err) => {
                    tracing::debug!(error = %err, "nodes not read; listing this one");
                    vec![own]
                }
            };
            self.record(sample, nodes);
        }
    }

    /// Keeps `sample` in the ring and sends it to the watchers.
    fn record(&self, sample: LiveSample, nodes: Vec<NodeStatus>) {
        {
            let mut history = self.history();
            if history.samples.len() >= LIVE_WINDOW_SECS {
                history.samples.pop_front();
            }
            history.samples.push_back(sample.clone());
            history.nodes.clone_from(&nodes);
        }
        // No watcher is no error: the sample is kept for the next snapshot.
        let _watchers = self.ticks.send(Arc::new(LiveTick { sample, nodes }));
    }
}

/// The second between `before` and `now`.
fn sample(hub: &Hub, before: &Totals, now: &Totals) -> LiveSample {
    let metrics = hub.metrics();
    let refusals = now
        .refusals
        .iter()
        .filter_map(|(code, count)| {
            let grown = count.saturating_sub(before.refusals.get(code).copied().unwrap_or(0));
            (grown > 0).then(|| ((*code).to_owned(), grown))
        })
        .collect();
    LiveSample {
        t: unix_secs(),
        websockets: gauge(metrics.connections_open.get()),
        long_polls: gauge(metrics.long_polls_waiting.get()),
        rooms: u64::try_from(hub.occupied_rooms()).unwrap_or(u64::MAX),
        messages: now.messages.saturating_sub(before.messages),
        deliveries: now.deliveries.saturating_sub(before.deliveries),
        delivery_p95_ms: now.latency.since(&before.latency).quantile_ms(QUANTILE),
        slow_consumer_cuts: now
            .slow_consumer_cuts
            .saturating_sub(before.slow_consumer_cuts),
        refusals,
        store_ready: hub.ready(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(t: u64) -> LiveSample {
        LiveSample {
            t,
            ..LiveSample::default()
        }
    }

    #[test]
    fn the_ring_keeps_the_window_and_drops_the_oldest() {
        let live = Live::new();
        for t in 0..(LIVE_WINDOW_SECS as u64 + 5) {
            live.record(sample(t), Vec::new());
        }
        let snapshot = live.snapshot("n");
        assert_eq!(snapshot.samples.len(), LIVE_WINDOW_SECS);
        assert_eq!(snapshot.samples.first().map(|s| s.t), Some(5));
        assert_eq!(
            snapshot.samples.last().map(|s| s.t),
            Some(LIVE_WINDOW_SECS as u64 + 4)
        );
    }

    #[test]
    fn a_watcher_that_falls_behind_is_told_so_instead_of_growing_the_channel() {
        let live = Live::new();
        let mut slow = live.subscribe();
        for t in 0..(TICKS_KEPT as u64 + 3) {
            live.record(sample(t), Vec::new());
        }
        assert!(matches!(
            slow.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(_))
        ));
    }
}
