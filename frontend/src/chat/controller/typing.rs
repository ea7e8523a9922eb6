//! Typing notices, both ways: this person's go out at most once per [`TYPING_THROTTLE_MS`],
//! and other people's are expired by a once-a-second tick while any is shown.
//!
//! The throttle is a pure [`Throttle`] with time passed in, tested natively; the tick is an
//! [`Interval`] this file owns, dropped when the controller stops.

use super::Controller;
use crate::chat::state::ChatAction;
use chinwag_shared::ClientMsg;
use gloo::timers::callback::Interval;
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

/// Typing notices are sent at most this often while someone types.
const TYPING_THROTTLE_MS: f64 = 3_000.0;

/// How often shown typing notices are checked for expiry.
const EXPIRY_TICK_MS: u32 = 1_000;

/// At most one event per [`TYPING_THROTTLE_MS`], counting only events that went out.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Throttle {
    /// When the last notice went (ms since the epoch); 0 before the first.
    last_sent: f64,
}

impl Throttle {
    /// Whether a notice may go at `now`.
    fn allows(self, now: f64) -> bool {
        now - self.last_sent >= TYPING_THROTTLE_MS
    }

    /// A notice went at `now`.
    fn sent(&mut self, now: f64) {
        self.last_sent = now;
    }
}

/// The live parts of typing: the throttle and the expiry tick.
#[derive(Default)]
pub(super) struct Typing {
    throttle: Cell<Throttle>,
    ticker: RefCell<Option<Interval>>,
}

impl Typing {
    /// Stops the expiry tick.
    pub(super) fn stop(&self) {
        self.ticker.borrow_mut().take();
    }
}

impl Controller {
    /// This person is typing in the current room: tell the room, unless told recently. A
    /// notice that could not go (no open transport) does not count.
    pub(in crate::chat) fn typing(&self) {
        let now = js_sys::Date::now();
        let mut throttle = self.typing.throttle.get();
        if !throttle.allows(now) {
            return;
        }
        let room = self.latest.borrow().current.to_string();
        if self.send(&ClientMsg::Typing {
            room,
            username: None,
        }) {
            throttle.sent(now);
            self.typing.throttle.set(throttle);
        }
    }

    /// Starts the tick that expires other people's typing notices.
    pub(super) fn watch_typing(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        *self.typing.ticker.borrow_mut() = Some(Interval::new(EXPIRY_TICK_MS, move || {
            if let Some(this) = weak.upgrade() {
                this.expire_typing();
            }
        }));
    }

    fn expire_typing(&self) {
        let anyone_typing = self
            .latest
            .borrow()
            .rooms
            .values()
            .any(|view| !view.typing.is_empty());
        if anyone_typing {
            self.dispatch.dispatch(ChatAction::ExpireTyping {
                now: js_sys::Date::now(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn one_notice_goes_per_throttle_window() {
        let mut throttle = Throttle::default();
        assert!(throttle.allows(1_000_000.0), "the first notice goes");
        throttle.sent(1_000_000.0);
        assert!(!throttle.allows(1_000_000.0));
        assert!(!throttle.allows(1_000_000.0 + TYPING_THROTTLE_MS - 1.0));
        assert!(throttle.allows(1_000_000.0 + TYPING_THROTTLE_MS));
    }
}
