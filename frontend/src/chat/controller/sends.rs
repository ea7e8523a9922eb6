//! Outgoing messages: a new message gets a `client_id` and joins the outbox, a refused one
//! goes again when the person asks, and one refused for now goes again on a timer.
//!
//! A message is queued whether or not it could go at once: if the transport is down, the
//! pending message shows, and the next open sends it ([`super::link`]). A send the server
//! answered with `unavailable` or `rate_limited` waits out its own backoff: the reducer keeps
//! its time ([`SendState::Retrying`](crate::chat::state::SendState::Retrying)), and it goes
//! again with the same `client_id` when one timer, armed for the earliest such time, fires.
//! A reconnect does not send it early.

use super::{Controller, with};
use crate::chat::state::{ChatAction, Pending};
use chinwag_shared::{ClientId, ClientMsg};
use gloo::timers::callback::Timeout;
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

/// The live parts of sending: the re-send timer and the `client_id` counter.
#[derive(Default)]
pub(super) struct Sends {
    /// Fires when the earliest send refused for now is due again.
    resend_timer: RefCell<Option<Timeout>>,
    /// Messages this controller has numbered, for [`client_id`].
    next_client_id: Cell<u64>,
}

impl Sends {
    /// Disarms the re-send timer.
    pub(super) fn stop(&self) {
        self.resend_timer.borrow_mut().take();
    }
}

impl Controller {
    /// Sends `text` to the current room, or queues it until the next open.
    pub(in crate::chat) fn send_text(self: &Rc<Self>, text: String) {
        let Some(client_id) = self.new_client_id() else {
            return;
        };
        let room = self.latest.borrow().current.clone();
        let pending = Pending::new(client_id, room, text);
        // Queued first: if the socket is down, the pending message shows and goes on reconnect.
        self.send(&send_msg(&pending));
        self.dispatch.dispatch(ChatAction::Queue(pending));
    }

    /// Sends a message refused for good once more, as the person asked.
    pub(in crate::chat) fn retry(self: &Rc<Self>, client_id: ClientId) {
        self.dispatch.dispatch(ChatAction::Retry(client_id.clone()));
        let state = self.latest.borrow().clone();
        if let Some(pending) = state.outbox.iter().find(|p| p.client_id == client_id) {
            self.send(&send_msg(pending));
        }
    }

    /// Arms the timer for `at` (ms since the epoch), the earliest re-send the state holds,
    /// replacing the previous one; `None` disarms it.
    pub(in crate::chat) fn schedule_resend(self: &Rc<Self>, at: Option<f64>) {
        let timer = at.map(|at| {
            let delay = delay_until(at, js_sys::Date::now());
            let weak = Rc::downgrade(self);
            Timeout::new(delay, move || with(&weak, |this| this.resend_due()))
        });
        *self.sends.resend_timer.borrow_mut() = timer;
    }

    /// Sends every message whose wait is over. One that cannot go now (no open connection)
    /// still stops waiting, so the next open sends it with the rest.
    fn resend_due(self: &Rc<Self>) {
        let state = self.latest.borrow().clone();
        let due: Vec<ClientId> = state
            .due_resends(js_sys::Date::now())
            .map(|pending| {
                self.send(&send_msg(pending));
                pending.client_id.clone()
            })
            .collect();
        if due.is_empty() {
            // The timer fired a little before the time: wait out the rest.
            self.schedule_resend(state.next_resend());
        } else {
            // The new state's next time re-arms the timer (see `use_chat`).
            self.dispatch.dispatch(ChatAction::Resent(due));
        }
    }

    fn new_client_id(&self) -> Option<ClientId> {
        let n = self.sends.next_client_id.get();
        self.sends.next_client_id.set(n + 1);
        client_id(js_sys::Date::now(), js_sys::Math::random(), n)
    }
}

/// A `client_id` unique across tabs and reloads: the time `now` (ms since the epoch), 32 bits
/// of `random` (drawn from [0, 1)) and this page's counter `n`.
fn client_id(now: f64, random: f64, n: u64) -> Option<ClientId> {
    // Saturating float → int conversions: out-of-range inputs still give a valid id.
    let random = (random * f64::from(u32::MAX)) as u32;
    let id = format!("{:x}-{random:08x}-{n}", now as u64);
    ClientId::parse(&id).ok()
}

/// Whole milliseconds from `now` until `at`; a past time is 0, so its timer fires at once.
fn delay_until(at: f64, now: f64) -> u32 {
    // Saturating float → int conversion.
    (at - now).ceil().max(0.0) as u32
}

/// The `send` frame for `pending`, with its `client_id`, so a repeat is stored once.
pub(super) fn send_msg(pending: &Pending) -> ClientMsg {
    ClientMsg::Send {
        room: Some(pending.room.to_string()),
        username: None,
        message: pending.text.clone(),
        client_id: Some(pending.client_id.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn client_ids_carry_time_randomness_and_the_counter() {
        let id = client_id(1_700_000_000_000.0, 0.5, 7).unwrap();
        assert_eq!(id.as_str(), "18bcfe56800-7fffffff-7");
        let next = client_id(1_700_000_000_000.0, 0.5, 8).unwrap();
        assert_ne!(id, next, "the counter alone tells two ids apart");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn client_ids_stay_valid_whatever_the_clock_and_randomness_say() {
        for (now, random) in [
            (0.0, 0.0),
            (-1.0, -1.0),
            (f64::MAX, 7.0),
            (f64::NAN, f64::NAN),
        ] {
            assert!(client_id(now, random, u64::MAX).is_some(), "{now} {random}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_resend_due_in_the_past_fires_at_once_and_a_future_one_rounds_up() {
        assert_eq!(delay_until(1_000.0, 5_000.0), 0);
        assert_eq!(delay_until(5_000.0, 5_000.0), 0);
        assert_eq!(delay_until(5_000.5, 5_000.0), 1);
        assert_eq!(delay_until(6_000.0, 5_000.0), 1_000);
    }
}
