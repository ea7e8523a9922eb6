//! Operational metrics, served at `/metrics` in the Prometheus (OpenMetrics) text format.
//!
//! One [`Metrics`] per server, shared by the hub and every session. Updating a counter is a
//! relaxed atomic add; nothing here takes a lock on the message path. Metric names are
//! listed with their meaning in `docs/operations.md`.

use crate::delivery::latency::DeliveryLatency;
use chinwag_shared::ErrorCode;
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

/// The `code` label of error-frame counts.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    /// The error code, e.g. `bad_json`.
    pub code: &'static str,
}

/// The `reason` label of closes the server initiates.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// Why, e.g. `slow_consumer`.
    pub reason: &'static str,
}

/// The `outcome` label of sign-in counts.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    /// What became of it, e.g. `bad_credentials`.
    pub outcome: &'static str,
}

/// The `action` label of moderation counts.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabel {
    /// What was done, e.g. `ban` (the audit log's action names, plus `edit` and `delete_own`).
    pub action: &'static str,
}

/// Every metric the server keeps.
pub struct Metrics {
    registry: Registry,
    /// WebSocket connections open now.
    pub connections_open: Gauge,
    /// Chat messages newly stored.
    pub messages_in: Counter,
    /// Frames written to sockets (chat, events, errors).
    pub frames_delivered: Counter,
    /// Error frames sent, by code.
    pub error_frames: Family<CodeLabel, Counter>,
    /// HTTP requests refused with an API error, by code.
    pub http_refusals: Family<CodeLabel, Counter>,
    /// Time from a chat record being stored to its frame being handed to its recipients
    /// here (observed once per record; see `delivery::latency`).
    pub delivery_latency: DeliveryLatency,
    /// Frames refused by the rate limit.
    pub rate_limited: Counter,
    /// Connections the server closed, by reason (slow_consumer, abuse, idle, protocol, …).
    pub server_closes: Family<ReasonLabel, Counter>,
    /// Outbox depth in frames, sampled at each heartbeat of each session.
    pub outbox_depth: Histogram,
    /// Time from handing a message to the store until it is durable and published.
    pub store_append_seconds: Histogram,
    /// Long-poll requests waiting now.
    pub long_polls_waiting: Gauge,
    /// 1 while the store answers (the readiness probe's view), else 0; set at each scrape.
    pub store_ready: Gauge,
    /// Rooms the long-poll waiter table holds; set at each scrape.
    pub long_poll_rooms: Gauge,
    /// Bytes held by the in-memory tails of recent messages; set at each scrape.
    pub recent_tail_bytes: Gauge,
    /// Posts let through to create a room.
    pub rooms_created: Counter,
    /// Posts refused because they would create a room over the poster's budget.
    pub new_rooms_refused: Counter,
    /// Sign-ins by outcome: `ok`, `bad_credentials` (a wrong password or no such account),
    /// `locked` (refused unread during a lockout), `disabled` (an account an admin disabled).
    pub sign_ins: Family<OutcomeLabel, Counter>,
    /// Moderation acts and message changes that took effect, by action.
    pub moderation_acts: Family<ActionLabel, Counter>,
    /// Redis engine: 1 if Redis keeps an append-only file, 0 if not (a Redis restart loses
    /// confirmed messages), -1 while unknown (not checked yet, Redis refused to say, or the
    /// node runs on SQLite).
    pub redis_aof_enabled: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("chinwag");
        let metrics = Self {
            connections_open: Gauge::default(),
            messages_in: Counter::default(),
            frames_delivered: Counter::default(),
            error_frames: Family::default(),
            http_refusals: Family::default(),
            delivery_latency: DeliveryLatency::default(),
            rate_limited: Counter::default(),
            server_closes: Family::default(),
            outbox_depth: Histogram::new([0.0, 1.0, 4.0, 16.0, 64.0, 256.0, 1024.0]),
            store_append_seconds: Histogram::new([
                0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5,
            ]),
            long_polls_waiting: Gauge::default(),
            store_ready: Gauge::default(),
            long_poll_rooms: Gauge::default(),
            recent_tail_bytes: Gauge::default(),
            rooms_created: Counter::default(),
            new_rooms_refused: Counter::default(),
            sign_ins: Family::default(),
            moderation_acts: Family::default(),
            redis_aof_enabled: Gauge::default(),
            registry: Registry::default(),
        };
        metrics.redis_aof_enabled.set(-1);
        metrics.start_labelled_series_at_zero();
        registry.register(
            "long_poll_rooms",
            "Rooms somebody long-polls now (entries of the waiter table)",
            metrics.long_poll_rooms.clone(),
        );
        registry.register(
            "recent_tail_bytes",
            "Bytes of recent messages held in memory for resumes (bounded by --recent-tail-bytes)",
            metrics.recent_tail_bytes.clone(),
        );
        registry.register(
            "long_polls_waiting",
            "Long-poll requests waiting for a message now",
            metrics.long_polls_waiting.clone(),
        );
        registry.register(
            "store_ready",
            "1 while the store (SQLite, or Redis on a cluster) answers, else 0",
            metrics.store_ready.clone(),
        );
        registry.register(
            "redis_aof_enabled",
            "1 if the Redis under a cluster node keeps an append-only file, 0 if not, -1 unknown",
            metrics.redis_aof_enabled.clone(),
        );
        registry.register(
            "http_refusals",
            "HTTP requests refused with an API error, by code",
            metrics.http_refusals.clone(),
        );
        registry.register(
            "delivery_seconds",
            "Time from a chat record being stored to its frame being handed to its recipients \
             on this node, once per record",
            metrics.delivery_latency.clone(),
        );
        registry.register(
            "connections_open",
            "WebSocket connections open now",
            metrics.connections_open.clone(),
        );
        registry.register(
            "messages_in",
            "Chat messages newly stored",
            metrics.messages_in.clone(),
        );
        registry.register(
            "frames_delivered",
            "Frames written to sockets",
            metrics.frames_delivered.clone(),
        );
        registry.register(
            "error_frames",
            "Error frames sent, by code",
            metrics.error_frames.clone(),
        );
        registry.register(
            "rate_limited",
            "Frames refused by the per-connection rate limit",
            metrics.rate_limited.clone(),
        );
        registry.register(
            "server_closes",
            "Connections closed by the server, by reason",
            metrics.server_closes.clone(),
        );
        registry.register(
            "outbox_depth_frames",
            "Frames waiting in a session's outbox, sampled at each heartbeat",
            metrics.outbox_depth.clone(),
        );
        registry.register(
            "store_append_seconds",
            "Time to store a message durably and publish it",
            metrics.store_append_seconds.clone(),
        );
        registry.register(
            "rooms_created",
            "Posts let through to create a room (the room's first message)",
            metrics.rooms_created.clone(),
        );
        registry.register(
            "new_rooms_refused",
            "Posts refused with too_many_new_rooms: they would create a room over budget",
            metrics.new_rooms_refused.clone(),
        );
        registry.register(
            "sign_ins",
            "Sign-ins by outcome: ok, bad_credentials (wrong password or no such account), locked, \
             disabled",
            metrics.sign_ins.clone(),
        );
        registry.register(
            "moderation_acts",
            "Moderation acts and message changes that took effect, by action: edit, delete_own, \
             delete, mute, unmute, ban, unban, kick, slow_mode, add_moderator, remove_moderator, \
             set_owner, and the site's disable, enable, sign_out, grant_admin, revoke_admin, \
             create_key, revoke_key",
            metrics.moderation_acts.clone(),
        );
        Self {
            registry,
            ..metrics
        }
    }
}

/// Why the server closes connections (`Ending::metric_reason`), each counted from zero.
const CLOSE_REASONS: [&str; 8] = [
    "protocol",
    "shutdown",
    "slow_consumer",
    "idle",
    "store_failed",
    "abuse",
    "credential_expired",
    "banned",
];

impl Metrics {
    /// Creates the known series of each labelled family at 0, so a scrape lists every family
    /// from the start (and its documentation can be checked against it), and `rate()` sees
    /// the first event as a rise from 0 rather than as a series appearing.
    fn start_labelled_series_at_zero(&self) {
        for code in ErrorCode::ALL {
            let label = CodeLabel {
                code: code.as_str(),
            };
            self.error_frames.get_or_create(&label).inc_by(0);
            self.http_refusals.get_or_create(&label).inc_by(0);
        }
        for reason in CLOSE_REASONS {
            self.server_closes
                .get_or_create(&ReasonLabel { reason })
                .inc_by(0);
        }
        for outcome in ["ok", "bad_credentials", "locked"] {
            self.sign_ins
                .get_or_create(&OutcomeLabel { outcome })
                .inc_by(0);
        }
        for action in ["edit", "delete_own"] {
            self.moderation_acts
                .get_or_create(&ActionLabel { action })
                .inc_by(0);
        }
    }

    /// Counts an error frame sent to a socket.
    pub fn count_error_frame(&self, code: ErrorCode) {
        let label = CodeLabel {
            code: code.as_str(),
        };
        self.error_frames.get_or_create(&label).inc();
    }

    /// Counts an HTTP request refused with `code`.
    pub fn count_http_refusal(&self, code: ErrorCode) {
        let label = CodeLabel {
            code: code.as_str(),
        };
        self.http_refusals.get_or_create(&label).inc();
    }

    /// Refusals so far by code, error frames and HTTP errors together; codes never refused
    /// are left out. Reads without creating a series, so `/metrics` is unchanged by it.
    pub fn refusals(&self) -> Vec<(ErrorCode, u64)> {
        ErrorCode::ALL
            .iter()
            .filter_map(|code| {
                let label = CodeLabel {
                    code: code.as_str(),
                };
                let count = [&self.error_frames, &self.http_refusals]
                    .iter()
                    .filter_map(|family| family.get(&label).map(|counter| counter.get()))
                    .sum::<u64>();
                (count > 0).then_some((*code, count))
            })
            .collect()
    }

    /// Connections closed so far by the server for `reason` (e.g. `slow_consumer`).
    pub fn server_closes_for(&self, reason: &'static str) -> u64 {
        self.server_closes
            .get(&ReasonLabel { reason })
            .map_or(0, |counter| counter.get())
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _infallible = encode(&mut text, &self.registry);
        text
    }
}
