//! Telling the server how far this account has read: `PUT /api/rooms/{room}/read`.
//!
//! The reducer moves a room's marker while it is on screen in a visible tab; `use_chat`
//! hands each new marker of a signed-in account here. Markers wait [`READ_DEBOUNCE_MS`] so
//! a burst of messages sends one request, and only one beyond what the server last
//! confirmed goes at all (markers only move forward there too). A failed request is
//! forgotten: the next marker carries the news. The account's other devices hear of it as
//! `read_marker` frames; this tab needs no answer but the marker it already has.

use super::{Controller, with};
use crate::account::moderation_api;
use crate::sorted::SortedMap;
use chinwag_shared::RoomName;
use gloo::timers::callback::Timeout;
use std::{cell::RefCell, rc::Rc};

/// How long a new marker waits for a newer one before it is sent, in milliseconds.
pub const READ_DEBOUNCE_MS: u32 = 1_000;

/// Markers waiting to be sent, and the newest the server confirmed per room.
#[derive(Default)]
pub(super) struct ReadSync {
    timer: RefCell<Option<Timeout>>,
    due: RefCell<SortedMap<RoomName, u64>>,
    confirmed: Rc<RefCell<SortedMap<RoomName, u64>>>,
}

impl ReadSync {
    /// Disarms the timer; markers not yet sent are dropped with the chat.
    pub(super) fn stop(&self) {
        self.timer.borrow_mut().take();
    }
}

impl Controller {
    /// `room` is read up to `id`: sent soon, unless the server already has as much.
    pub(in crate::chat) fn note_read(self: &Rc<Self>, (room, id): (RoomName, u64)) {
        if !self.signed_in || self.read.confirmed.borrow().get(&room) >= Some(&id) {
            return;
        }
        let newer = self
            .read
            .due
            .borrow()
            .get(&room)
            .is_none_or(|due| *due < id);
        if newer {
            self.read.due.borrow_mut().insert(room, id);
        }
        if self.read.timer.borrow().is_none() {
            let weak = Rc::downgrade(self);
            *self.read.timer.borrow_mut() = Some(Timeout::new(READ_DEBOUNCE_MS, move || {
                with(&weak, |this| this.send_read_markers());
            }));
        }
    }

    fn send_read_markers(&self) {
        self.read.timer.borrow_mut().take();
        let due = std::mem::take(&mut *self.read.due.borrow_mut());
        for (room, id) in due {
            let confirmed = Rc::clone(&self.read.confirmed);
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(marker) = moderation_api::mark_read(&room, id).await {
                    let mut confirmed = confirmed.borrow_mut();
                    let known = confirmed.get_or_insert_with(room, u64::default);
                    *known = (*known).max(marker);
                }
            });
        }
    }
}
