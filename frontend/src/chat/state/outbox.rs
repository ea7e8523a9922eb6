//! The outbox: messages sent but not yet confirmed, each with its [`SendState`].
//!
//! A pending message is shown, sent again on every new connection while it is
//! [`SendState::Sending`], and removed when its own confirmation arrives: its record, carrying
//! its `client_id`, which only its author is ever sent. A send the server refused for now
//! (`unavailable`, `rate_limited`, `slow_mode`) waits for a time of its own: the server's
//! `retry_after_ms` when it gave one (slow mode does, and the room's composer waits as long),
//! else a backoff per message; a room's messages never become due before an earlier one of
//! the same room. A send refused for good (`muted` among them) waits for the person. Jitter comes from the `client_id`, so the reducer stays pure.

use super::{super::backoff, ChatState, standing::SLOW_MODE_MARGIN_MS};
use chinwag_shared::{ChatRecord, ClientId, ErrorCode, ErrorFrame, RoomName, Username};

/// A message sent but not yet confirmed by its stored record.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// Its idempotency key: a re-send with it is stored once.
    pub client_id: ClientId,
    /// Target room.
    pub room: RoomName,
    /// The text.
    pub text: String,
    /// Where it stands: in flight, waiting out a refusal for now, or refused for good.
    pub state: SendState,
    /// How often the server refused it for now (`unavailable`, `rate_limited`); each refusal
    /// doubles the wait before the next try. Kept through every state, so a message that
    /// went again and is refused again waits twice as long.
    pub refusals: u32,
}

/// Where an unconfirmed send stands. Each state is one of the view's
/// [`Delivery`](crate::components::message::Delivery)s, whose callbacks it leaves out:
///
/// ```text
/// Sending            ── refused for now ───────▶ Retrying { at }
/// Retrying { at }    ── its timer (`Resent`) ──▶ Sending
/// Sending, Retrying  ── refused for good ──────▶ Failed { reason }
/// Failed { reason }  ── the person (`Retry`) ──▶ Sending
/// ```
///
/// Its own record, in any state, takes it out of the outbox; so does `Discard`.
#[derive(Debug, Clone, PartialEq)]
pub enum SendState {
    /// Sent, or to be sent on the next open; awaiting its record. A new connection sends it
    /// again.
    Sending,
    /// Refused for now: it goes again at `at` (ms since the epoch) by its own timer, also
    /// across reconnects, so a burst of sends does not repeat the burst.
    Retrying {
        /// When it goes again (ms since the epoch).
        at: f64,
    },
    /// Refused for good with the server's `reason`; it is not re-sent until the person asks.
    Failed {
        /// The server's explanation.
        reason: String,
    },
}

impl Pending {
    /// A new message for `room`, about to be sent for the first time.
    pub fn new(client_id: ClientId, room: RoomName, text: String) -> Self {
        Self {
            client_id,
            room,
            text,
            state: SendState::Sending,
            refusals: 0,
        }
    }

    /// When it goes again, if it waits out a refusal for now.
    pub fn resend_at(&self) -> Option<f64> {
        match self.state {
            SendState::Retrying { at } => Some(at),
            SendState::Sending | SendState::Failed { .. } => None,
        }
    }

    /// Whether `record` is this message's own confirmation: the record stored for it, sent
    /// back to its author (`me`) with its `client_id`. The server gives a `client_id` to
    /// nobody but its author (issue 12); checking the name and text as well means that even
    /// a server that did (an older one) cannot make someone else's record resolve this
    /// message, which would show it as sent when it never was.
    pub fn is_confirmed_by(&self, record: &ChatRecord, me: &Username) -> bool {
        record.client_id.as_ref() == Some(&self.client_id)
            && record.room == self.room
            && record.username == *me
            && record.message == self.text
    }
}

impl ChatState {
    /// Sends that should go (again) on a new connection: queued, not refused for good, and
    /// not waiting out a refusal for now (their timer sends those, see [`Self::due_resends`]).
    pub fn resendable(&self) -> impl Iterator<Item = &Pending> {
        self.outbox
            .iter()
            .filter(|pending| pending.state == SendState::Sending)
    }

    /// Sends refused for now whose wait is over at `now` (ms since the epoch).
    pub fn due_resends(&self, now: f64) -> impl Iterator<Item = &Pending> {
        self.outbox
            .iter()
            .filter(move |pending| pending.resend_at().is_some_and(|at| at <= now))
    }

    /// The earliest time a send refused for now goes again, if any waits.
    pub fn next_resend(&self) -> Option<f64> {
        self.outbox
            .iter()
            .filter_map(Pending::resend_at)
            .reduce(f64::min)
    }

    /// Ends the wait of every pending send `record` confirms.
    pub(super) fn confirm_sent(&mut self, record: &ChatRecord) {
        let me = &self.me;
        self.outbox
            .retain(|pending| !pending.is_confirmed_by(record, me));
    }

    /// The person asked to send a refused message again.
    pub(super) fn retry(&mut self, client_id: &ClientId) {
        for pending in self.outbox.iter_mut() {
            if pending.client_id == *client_id && matches!(pending.state, SendState::Failed { .. })
            {
                pending.state = SendState::Sending;
            }
        }
    }

    /// These messages' waits are over and they went again (or go on the next open).
    pub(super) fn resent(&mut self, client_ids: &[ClientId]) {
        for pending in self.outbox.iter_mut() {
            if client_ids.contains(&pending.client_id)
                && matches!(pending.state, SendState::Retrying { .. })
            {
                pending.state = SendState::Sending;
            }
        }
    }

    /// A refused send waits and goes again by itself if the refusal is for now, and is marked
    /// failed otherwise; any other error is shown in the banner. A refusal for now of a
    /// message already refused for good (two answers to one message, sent twice over HTTP)
    /// changes nothing: the person decides what happens to it.
    pub(super) fn on_error(&mut self, error: ErrorFrame, now: f64) {
        let refused = error.client_id.as_deref().and_then(|id| {
            self.outbox
                .iter()
                .position(|pending| pending.client_id.as_str() == id)
        });
        let Some(index) = refused else {
            self.banner = Some(error.detail);
            return;
        };
        let room = self.outbox[index].room.clone();
        if error.code == ErrorCode::Muted {
            self.on_sanction(error.code, &room, &error.detail);
        }
        if !error.code.is_transient() {
            self.outbox[index].state = SendState::Failed {
                reason: error.detail,
            };
            return;
        }
        let pending = &mut self.outbox[index];
        if matches!(pending.state, SendState::Failed { .. }) {
            return;
        }
        let attempt = pending.refusals;
        // The server's own wait (slow mode's) beats a guess; it is exact, so a margin is added.
        let delay = match error.retry_after_ms {
            Some(ms) => ms as f64 + SLOW_MODE_MARGIN_MS,
            None => f64::from(backoff::resend_delay_ms(
                attempt,
                jitter(&pending.client_id, attempt),
            )),
        };
        pending.refusals = attempt.saturating_add(1);
        // A room's messages go again in the order they were written: none becomes due before
        // an earlier one of the same room, whatever each one's own jittered delay says.
        let at = self
            .outbox
            .iter()
            .take(index)
            .filter(|earlier| earlier.room == room)
            .filter_map(Pending::resend_at)
            .fold(now + delay, f64::max);
        self.outbox[index].state = SendState::Retrying { at };
        if error.code == ErrorCode::SlowMode {
            self.hold_for_slow_mode(&room, at);
        }
        for later in self.outbox.iter_mut().skip(index + 1) {
            if later.room == room
                && let SendState::Retrying { at: later_at } = &mut later.state
            {
                *later_at = later_at.max(at);
            }
        }
    }
}

/// The jitter of a re-send's wait, in [0, 1), drawn from the message's `client_id` (which holds
/// 32 random bits) and the attempt: spread across messages and clients like a random draw,
/// while the reducer stays pure. FNV-1a, then a 64-bit finalizer (MurmurHash3's) so that ids
/// differing only in their last characters still land far apart.
fn jitter(client_id: &ClientId, attempt: u32) -> f64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in client_id.as_str().bytes().chain(attempt.to_le_bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash = (hash ^ (hash >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash = (hash ^ (hash >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^= hash >> 33;
    // The top 53 bits fit an f64 exactly.
    (hash >> 11) as f64 / (1u64 << 53) as f64
}
