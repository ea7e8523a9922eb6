//! In-process fan-out: the single-node default.
//!
//! Publishing is delivery: the frame goes straight to the local [`Rooms`] registry, which
//! offers it to each member's bounded outbox. Called by the store's writer in commit order, so
//! members see a room's ids ascending.

use super::Fanout;
use crate::delivery::{frame::Frame, rooms::Rooms};
use std::sync::Arc;

/// Fan-out within one process.
pub struct LocalFanout {
    rooms: Arc<Rooms>,
}

impl LocalFanout {
    /// Fan-out that delivers to the sessions registered in `rooms`.
    pub fn new(rooms: Arc<Rooms>) -> Self {
        Self { rooms }
    }
}

impl Fanout for LocalFanout {
    fn publish(&self, frame: Arc<Frame>) {
        self.rooms.deliver(&frame);
    }
}
