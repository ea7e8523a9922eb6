//! In-process fan-out: the single-node default.
//!
//! Publishing is delivery: the frame, shared once as an `Arc<Frame>`, goes straight to the
//! local [`Rooms`] registry, which offers it to each member's bounded outbox. It is both the
//! hub's [`Fanout`] for events and the embedded store's [`ChatPublisher`]; the store's writer
//! calls the latter in commit order, so members see a room's ids ascending.

use super::{ChatPublisher, Fanout};
use crate::delivery::{
    frame::{ChatFrame, EventFrame, Frame},
    rooms::Rooms,
};
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
    fn publish_event(&self, event: EventFrame) {
        self.rooms.deliver(&Arc::new(Frame::Event(event)));
    }
}

impl ChatPublisher for LocalFanout {
    fn publish_chat(&self, chat: ChatFrame) {
        self.rooms.deliver(&Arc::new(Frame::Chat(chat)));
    }
}
