//! The live numbers as the console holds them: the answering node's last
//! [`LIVE_WINDOW_SECS`] seconds (a bounded ring of [`LiveSample`]s), every node's status,
//! and how the stream stands. Pure; [`use_live`](super::use_live) feeds it the stream's
//! events.
//!
//! The ring is a [`VecDeque`]: the copy a reducer makes each second clones its (at most
//! 900) samples, a few hundred small allocations a second, which costs less than the code a
//! persistent vector of samples would add to the bundle. A `snapshot` replaces it (the stream reopened); a
//! `tick` appends one second, dropping the oldest beyond the window, and a tick for a
//! second already held (a repeat after a reconnect) replaces nothing.

use chinwag_shared::console::{LIVE_WINDOW_SECS, LiveSample, LiveSnapshot, LiveTick, NodeStatus};
use std::{
    collections::{BTreeMap, VecDeque},
    rc::Rc,
};
use yew::Reducible;

/// How the stream stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stream {
    /// Opening (or reopening after a drop); nothing shown yet, or the last numbers.
    #[default]
    Connecting,
    /// Open: a tick arrives each second.
    Live,
    /// Dropped; the browser retries on its own.
    Reconnecting,
    /// The server refused it (signed out, or no longer an admin); no retry.
    Closed,
}

/// The live numbers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LiveState {
    /// How the stream stands.
    pub stream: Stream,
    /// The answering node's id.
    pub node: String,
    /// Its last seconds, oldest first, at most [`LIVE_WINDOW_SECS`].
    samples: VecDeque<LiveSample>,
    /// Every node, as last read.
    pub nodes: Vec<NodeStatus>,
}

/// Everything that changes the live numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveAction {
    /// The stream opened (or reopened).
    Opened,
    /// Its first event: the window so far.
    Snapshot(LiveSnapshot),
    /// One more second.
    Tick(LiveTick),
    /// It dropped; the browser reconnects.
    Dropped,
    /// It was refused and will not be retried.
    Closed,
}

impl LiveState {
    /// Applies one action.
    pub fn apply(&mut self, action: LiveAction) {
        match action {
            LiveAction::Opened => self.stream = Stream::Live,
            LiveAction::Snapshot(snapshot) => {
                self.stream = Stream::Live;
                self.node = snapshot.node;
                let skip = snapshot.samples.len().saturating_sub(LIVE_WINDOW_SECS);
                self.samples = snapshot.samples.into_iter().skip(skip).collect();
                self.nodes = snapshot.nodes;
            }
            LiveAction::Tick(tick) => {
                self.stream = Stream::Live;
                self.nodes = tick.nodes;
                if self.latest().is_some_and(|last| last.t >= tick.sample.t) {
                    return;
                }
                self.samples.push_back(tick.sample);
                while self.samples.len() > LIVE_WINDOW_SECS {
                    self.samples.pop_front();
                }
            }
            LiveAction::Dropped => self.stream = Stream::Reconnecting,
            LiveAction::Closed => self.stream = Stream::Closed,
        }
    }

    /// The newest second, if any.
    pub fn latest(&self) -> Option<&LiveSample> {
        self.samples.back()
    }

    /// How many seconds are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.samples.len()
    }

    /// `(second, value)` of every second held, oldest first: a chart's series.
    pub fn series(&self, value: impl Fn(&LiveSample) -> f64) -> Rc<Vec<(u64, f64)>> {
        Rc::new(self.samples.iter().map(|s| (s.t, value(s))).collect())
    }

    /// `(second, p95)` of the seconds that had deliveries to time.
    pub fn delivery_p95_series(&self) -> Rc<Vec<(u64, f64)>> {
        Rc::new(
            self.samples
                .iter()
                .filter_map(|s| s.delivery_p95_ms.map(|p95| (s.t, p95)))
                .collect(),
        )
    }

    /// The sum of `value` over every second held.
    pub fn total(&self, value: impl Fn(&LiveSample) -> u64) -> u64 {
        self.samples.iter().map(value).fold(0, u64::saturating_add)
    }

    /// Refusals over every second held, by code, most frequent first.
    pub fn refusals(&self) -> Vec<(String, u64)> {
        let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
        for sample in &self.samples {
            for (code, count) in &sample.refusals {
                let total = totals.entry(code.as_str()).or_default();
                *total = total.saturating_add(*count);
            }
        }
        let mut sorted: Vec<(String, u64)> = totals
            .into_iter()
            .map(|(code, count)| (code.to_owned(), count))
            .collect();
        sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        sorted
    }
}

impl Reducible for LiveState {
    type Action = LiveAction;

    fn reduce(self: Rc<Self>, action: LiveAction) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn second(t: u64, messages: u64) -> LiveSample {
        LiveSample {
            t,
            messages,
            store_ready: true,
            ..LiveSample::default()
        }
    }

    fn tick(t: u64, messages: u64) -> LiveAction {
        LiveAction::Tick(LiveTick {
            sample: second(t, messages),
            nodes: Vec::new(),
        })
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn ticks_append_seconds_and_the_window_keeps_only_the_newest() {
        let mut state = LiveState::default();
        state.apply(LiveAction::Snapshot(LiveSnapshot {
            node: "n1".into(),
            samples: (1..=LIVE_WINDOW_SECS as u64)
                .map(|t| second(t, 1))
                .collect(),
            nodes: Vec::new(),
        }));
        assert_eq!(state.len(), LIVE_WINDOW_SECS);
        assert_eq!(state.stream, Stream::Live);
        state.apply(tick(LIVE_WINDOW_SECS as u64 + 1, 7));
        assert_eq!(state.len(), LIVE_WINDOW_SECS, "the oldest second fell off");
        assert_eq!(state.latest().map(|s| (s.t, s.messages)), Some((901, 7)));
        assert_eq!(state.series(|s| s.t as f64).first(), Some(&(2, 2.0)));
        assert_eq!(state.total(|s| s.messages), 899 + 7);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_snapshot_longer_than_the_window_keeps_its_newest_seconds() {
        let mut state = LiveState::default();
        state.apply(LiveAction::Snapshot(LiveSnapshot {
            node: "n1".into(),
            samples: (1..=1_000).map(|t| second(t, 0)).collect(),
            nodes: Vec::new(),
        }));
        assert_eq!(state.len(), LIVE_WINDOW_SECS);
        assert_eq!(state.series(|_| 0.0).first().map(|p| p.0), Some(101));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_repeated_or_older_second_is_not_counted_twice() {
        let mut state = LiveState::default();
        state.apply(tick(10, 3));
        state.apply(tick(10, 3));
        state.apply(tick(9, 3));
        assert_eq!(state.len(), 1);
        assert_eq!(state.total(|s| s.messages), 3);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn refusals_add_up_by_code_most_frequent_first() {
        let mut state = LiveState::default();
        let mut a = second(1, 0);
        a.refusals.insert("rate_limited".into(), 2);
        a.refusals.insert("banned".into(), 1);
        let mut b = second(2, 0);
        b.refusals.insert("banned".into(), 4);
        for sample in [a, b] {
            state.apply(LiveAction::Tick(LiveTick {
                sample,
                nodes: Vec::new(),
            }));
        }
        assert_eq!(
            state.refusals(),
            [("banned".to_owned(), 5), ("rate_limited".to_owned(), 2)]
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn p95_skips_seconds_without_deliveries_and_the_stream_state_follows_events() {
        let mut state = LiveState::default();
        let mut timed = second(2, 1);
        timed.delivery_p95_ms = Some(4.5);
        state.apply(tick(1, 0));
        state.apply(LiveAction::Tick(LiveTick {
            sample: timed,
            nodes: Vec::new(),
        }));
        assert_eq!(*state.delivery_p95_series(), [(2, 4.5)]);
        state.apply(LiveAction::Dropped);
        assert_eq!(state.stream, Stream::Reconnecting);
        state.apply(LiveAction::Opened);
        assert_eq!(state.stream, Stream::Live);
        state.apply(LiveAction::Closed);
        assert_eq!(state.stream, Stream::Closed);
    }
}
