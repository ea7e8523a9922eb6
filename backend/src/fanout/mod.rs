//! Fan-out: getting one encoded [`Frame`] to every session in a room.
//!
//! [`Fanout`] is the seam between nodes: the store publishes committed chat records and the
//! hub publishes presence and typing events through it. [`local::LocalFanout`] delivers straight
//! to this process's sessions; a multi-node engine publishes to a broker and delivers what it
//! receives back.

pub mod local;

use crate::delivery::frame::Frame;
use std::sync::Arc;

/// Delivers frames to every member of their room, wherever the member is connected.
pub trait Fanout: Send + Sync + 'static {
    /// Hands `frame` to every member of its room. Never blocks and never waits on a client:
    /// a member whose queue is full is told to close instead. Chat frames of one room must be
    /// published in id order.
    fn publish(&self, frame: Arc<Frame>);
}
