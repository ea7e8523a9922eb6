//! Fan-out: getting one encoded frame to every session in a room.
//!
//! Two seams, one per kind of frame, so neither can receive the other's:
//!
//! - [`Fanout`] is the seam between nodes, and carries only events: the hub publishes presence
//!   and typing through it. [`local::LocalFanout`] delivers straight to this process's
//!   sessions; a multi-node engine publishes to a broker and delivers what it receives back.
//! - [`ChatPublisher`] carries committed chat records into local delivery. Only the embedded
//!   store publishes them this way, through [`local::LocalFanout`]; a multi-node engine
//!   publishes its records inside its own append, never through a Rust seam.

pub mod local;

use crate::delivery::frame::{ChatFrame, EventFrame};

/// Delivers ephemeral events to every member of their room, wherever the member is connected.
pub trait Fanout: Send + Sync + 'static {
    /// Hands `event` to every member of its room. Never blocks and never waits on a client:
    /// a member whose queue is full is told to close instead.
    fn publish_event(&self, event: EventFrame);
}

/// Delivers committed chat records to this process's members of their room.
pub trait ChatPublisher: Send + Sync + 'static {
    /// Hands `chat` to every local member of its room. Never blocks and never waits on a
    /// client: a member whose queue is full is told to close instead. The records of one room
    /// must be published in id order.
    fn publish_chat(&self, chat: ChatFrame);
}
