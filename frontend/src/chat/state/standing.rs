//! This person's standing in a room: the room's settings and their role in it, and what a
//! moderator's sanction or the room's slow mode holds back.
//!
//! The settings come from `GET /api/rooms/{room}/settings`, asked for again whenever the
//! server says they changed (`room_settings_changed`, which also reaches a muted account).
//! A `banned` or `kicked` error frame naming a room bars it: the `left` that follows keeps
//! the room on screen with a banner, no reconnect joins it again by itself, and only the
//! person's "Rejoin" ([`ChatAction::Rejoin`](super::ChatAction::Rejoin)) tries. A `muted`
//! refusal, or settings that say so, hold the composer until the mute ends; a `slow_mode`
//! refusal (or this person's own message in a slow room) holds it until `retry_after_ms`.
//! [`RoomView::hold`] is the one answer the composer asks for. Time is passed in.

use super::{ChatState, RoomView};
use chinwag_shared::{
    ErrorCode, RoomName,
    moderation::{Role, RoomSettings},
};

/// Why this person is out of a room they had joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Barred {
    /// A moderator banned them; the server's words.
    Banned(String),
    /// A moderator took them out; they may come back.
    Kicked(String),
}

/// What holds the composer of a room back, if anything.
#[derive(Debug, Clone, PartialEq)]
pub enum Hold {
    /// Banned from the room.
    Banned,
    /// Taken out of the room; rejoining lifts it.
    Kicked,
    /// Muted, until then (Unix ms), or until lifted (`None`).
    Muted {
        /// When the mute ends, if it ends by itself.
        until: Option<u64>,
    },
    /// Slow mode: the next message may go at `until` (ms since the epoch).
    SlowMode {
        /// When the wait ends.
        until: f64,
    },
}

/// This person's standing in one room.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Standing {
    /// The room's settings as last read; `None` until they arrive.
    pub settings: Option<RoomSettings>,
    /// Out of the room by a moderator's act.
    pub barred: Option<Barred>,
    /// Muted here: until then (Unix ms; `None` when the end is not known or the mute lasts
    /// until lifted).
    pub muted: Option<Option<u64>>,
    /// Slow mode: when the next message may go (ms since the epoch).
    pub slow_until: Option<f64>,
}

impl Standing {
    /// This person's role here (a member until the settings say otherwise).
    pub fn role(&self) -> Role {
        self.settings.as_ref().map_or(Role::Member, |s| s.role)
    }

    /// The room's slow mode interval in seconds (0: off).
    pub fn slow_mode_secs(&self) -> u32 {
        self.settings.as_ref().map_or(0, |s| s.slow_mode_secs)
    }
}

impl RoomView {
    /// What holds this room's composer back at `now` (ms since the epoch), strongest first.
    pub fn hold(&self, now: f64) -> Option<Hold> {
        let standing = &self.standing;
        match &standing.barred {
            Some(Barred::Banned(_)) => return Some(Hold::Banned),
            Some(Barred::Kicked(_)) => return Some(Hold::Kicked),
            None => {}
        }
        if let Some(until) = standing.muted
            && until.is_none_or(|until| (until as f64) > now)
        {
            return Some(Hold::Muted { until });
        }
        standing
            .slow_until
            .filter(|until| *until > now)
            .map(|until| Hold::SlowMode { until })
    }
}

/// How much later than the server's `retry_after_ms` a held send goes, so it does not
/// arrive a hair early and get refused once more.
pub const SLOW_MODE_MARGIN_MS: f64 = 250.0;

impl ChatState {
    /// `room`'s settings arrived.
    pub(super) fn on_settings(&mut self, settings: RoomSettings) {
        let room = settings.room.clone();
        let read = settings.read;
        let Some(view) = self.rooms.get_mut(&room) else {
            return;
        };
        view.standing.muted = settings
            .muted_until
            .map(|until| (until != u64::MAX).then_some(until));
        if settings.role.moderates() {
            view.standing.slow_until = None;
        }
        view.standing.settings = Some(settings);
        if let Some(read) = read {
            self.on_read_marker(&room, read);
        }
    }

    /// An error frame about `room` that bars or holds this person: `banned`, `kicked`,
    /// `muted`. Whether it was one.
    pub(super) fn on_sanction(&mut self, code: ErrorCode, room: &RoomName, detail: &str) -> bool {
        let Some(view) = self.rooms.get_mut(room) else {
            return false;
        };
        match code {
            ErrorCode::Banned => view.standing.barred = Some(Barred::Banned(detail.to_owned())),
            ErrorCode::Kicked => view.standing.barred = Some(Barred::Kicked(detail.to_owned())),
            ErrorCode::Muted => {
                // The settings (asked for again) say until when; until then, until lifted.
                view.standing.muted.get_or_insert(None);
                return true;
            }
            _ => return false,
        }
        view.presence.clear();
        view.guests.clear();
        view.typing.clear();
        true
    }

    /// A send to `room` was refused with `slow_mode`: nothing goes before `until`.
    pub(super) fn hold_for_slow_mode(&mut self, room: &RoomName, until: f64) {
        if let Some(view) = self.rooms.get_mut(room) {
            view.standing.slow_until = Some(until);
        }
    }

    /// This person's own message was stored in `room` at `now`: in slow mode, the next may
    /// go only after the interval (moderators are exempt).
    pub(super) fn start_slow_mode_wait(&mut self, room: &RoomName, now: f64) {
        if let Some(view) = self.rooms.get_mut(room) {
            let secs = view.standing.slow_mode_secs();
            if secs > 0 && !view.standing.role().moderates() {
                view.standing.slow_until = Some(now + f64::from(secs) * 1_000.0);
            }
        }
    }

    /// The person asked to come back into a room they were barred from.
    pub(super) fn rejoin(&mut self, room: &RoomName) {
        if let Some(view) = self.rooms.get_mut(room) {
            view.standing.barred = None;
        }
    }

    /// Whether a `left` for `room` keeps it on screen: a ban or kick said why just before.
    pub(super) fn keeps_after_leaving(&self, room: &RoomName) -> bool {
        self.rooms
            .get(room)
            .is_some_and(|view| view.standing.barred.is_some())
    }
}
