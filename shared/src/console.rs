//! The operators' console (`/admin`, site admins only): the live numbers and the lists it
//! shows, as the server sends them.
//!
//! Live numbers come over a server-sent event stream, `GET /api/admin/live`: first a
//! `snapshot` event ([`LiveSnapshot`]: the last [`LIVE_WINDOW_SECS`] seconds, oldest first),
//! then a `tick` event ([`LiveTick`]) every second. Each [`LiveSample`] is one second of one
//! node, counted by the server itself (not read back from Prometheus). The lists are plain
//! JSON routes under `/api/admin/…`; every change they make asks for confirmation in the UI
//! and lands in the site audit log.

use crate::{RoomName, Username};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Seconds of history the console's charts show (15 minutes).
pub const LIVE_WINDOW_SECS: usize = 900;

/// One second of one node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveSample {
    /// The second it counts, Unix seconds.
    pub t: u64,
    /// WebSocket connections open at the end of it.
    pub websockets: u64,
    /// Long-polls waiting at the end of it.
    pub long_polls: u64,
    /// Rooms with someone in them on this node.
    pub rooms: u64,
    /// Chat messages stored in it.
    pub messages: u64,
    /// Frames handed to connections in it.
    pub deliveries: u64,
    /// The 95th percentile, over the messages of that second, of the time from a message
    /// reaching the server to its frame being handed to each recipient, in milliseconds;
    /// `None` for a second without deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_p95_ms: Option<f64>,
    /// Connections cut for being too slow to read.
    pub slow_consumer_cuts: u64,
    /// Refusals (error frames and HTTP errors sent), by error code.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refusals: BTreeMap<String, u64>,
    /// Whether the store answered (the node's `/readyz`).
    pub store_ready: bool,
}

/// A node of the cluster (the only one, on SQLite), as any node reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NodeStatus {
    /// Its id (unique per process).
    pub id: String,
    /// Whether its store answers.
    pub ready: bool,
    /// Its open connections (WebSockets and waiting long-polls).
    pub connections: u64,
    /// Its version (`CARGO_PKG_VERSION`).
    pub version: String,
    /// Seconds since it started.
    pub uptime_secs: u64,
    /// Whether it is the node answering.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub this: bool,
}

/// The first event of `GET /api/admin/live`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveSnapshot {
    /// The answering node's id.
    pub node: String,
    /// Its last seconds, oldest first, at most [`LIVE_WINDOW_SECS`].
    pub samples: Vec<LiveSample>,
    /// Every node.
    pub nodes: Vec<NodeStatus>,
}

/// Each later event of `GET /api/admin/live`, once a second.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveTick {
    /// The second just ended.
    pub sample: LiveSample,
    /// Every node, as read now.
    pub nodes: Vec<NodeStatus>,
}

/// A room as `GET /api/admin/rooms` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminRoom {
    /// Its name.
    pub room: RoomName,
    /// Members online now.
    pub online: u64,
    /// Its newest id (how many records its log has held).
    pub messages: u64,
    /// When its newest record was stored, Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_activity: Option<u64>,
    /// Whether only its members may enter.
    pub private: bool,
    /// Whether it is a direct message.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dm: bool,
    /// Its owner, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Username>,
    /// Its moderators.
    #[serde(default)]
    pub moderators: Vec<Username>,
}

/// An account as `GET /api/admin/accounts?q=…` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminAccount {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Username,
    /// When it was made, Unix ms.
    pub created: u64,
    /// Whether it is a site admin.
    pub admin: bool,
    /// Whether it is disabled (cannot sign in; its sessions and tokens are gone).
    pub disabled: bool,
    /// Its connections open now (on the answering node).
    pub connections: u64,
}

/// How a connection reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// A WebSocket on `/socket`.
    WebSocket,
    /// A waiting `GET …/messages?wait=`.
    LongPoll,
}

/// One connection of an account, as `GET /api/admin/accounts/{name}/connections` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionView {
    /// How it is connected.
    pub transport: Transport,
    /// The rooms it is in.
    pub rooms: Vec<RoomName>,
    /// The client's address.
    pub address: String,
    /// Since when, Unix ms.
    pub since: u64,
    /// The node holding it.
    pub node: String,
}
