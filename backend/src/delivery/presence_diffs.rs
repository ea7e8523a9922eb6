//! Presence diffs: a big room's arrivals and departures, gathered for a moment and sent as one
//! frame.
//!
//! In a room of 10,000, one `user_joined` per arrival goes to all 10,000 members, so a crowd
//! arriving costs the square of its size in frames. Above [`BigRooms::list_max`] people, the
//! registry ([`super::rooms::Rooms::deliver`]) hands each `user_joined` / `user_left` to
//! [`PresenceDiffs::gather`] instead of to the members. The first change of a room starts its
//! window; [`BigRooms::diff_every`] later the hub takes the diff ([`PresenceDiffs::take_due`]),
//! counts the room and sends one `presence_diff` with everyone who came and went. Small rooms
//! never gather: their events go out one by one, as they always did.
//!
//! This happens where frames reach this node's members, after the engine announced them, so it
//! is the same for both engines: the embedded one's events and those the Redis subscriber
//! relays from other nodes are gathered alike. Between nodes each change is still one small
//! message; what a crowd multiplies (one frame per member) is what is saved.
//!
//! Once a room has a diff pending, every change of it joins that diff until it is sent, even
//! if the room shrank meanwhile: a `user_joined` sent at once could otherwise overtake the
//! departure of the same name still waiting in the diff.
//!
//! A crowd arriving within one window would still cost the square of its size in bytes: a
//! diff naming all 10,000 arrivals, sent to 10,000 members. So a diff that would name more
//! people than the first page of the list holds is not sent as a diff: the hub sends the
//! room's fresh snapshot instead (`presence`: the first page and the count), which is never
//! longer than a page and replaces what each member knew.

use chinwag_shared::{RoomName, ServerMsg, Username};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Mutex, MutexGuard},
    time::Duration,
};
use tokio::{sync::Notify, time::Instant};

/// When a room counts as big, and how often its diffs go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BigRooms {
    /// Up to this many people a room is small: its `presence` frame lists everyone and each
    /// change is its own event. Above it the list is paged and changes are gathered.
    pub list_max: usize,
    /// How long a big room's changes are gathered before they go out as one diff.
    pub diff_every: Duration,
}

impl BigRooms {
    /// `--presence-list-max`'s default: a list a person can still read whole.
    pub const DEFAULT_LIST_MAX: usize = 100;
    /// `--presence-diff-ms`'s default: about as fresh as a person notices.
    pub const DEFAULT_DIFF_EVERY: Duration = Duration::from_secs(1);

    /// Whether a room of `count` people is big.
    pub fn is_big(&self, count: u64) -> bool {
        count > u64::try_from(self.list_max).unwrap_or(u64::MAX)
    }
}

impl Default for BigRooms {
    fn default() -> Self {
        Self {
            list_max: Self::DEFAULT_LIST_MAX,
            diff_every: Self::DEFAULT_DIFF_EVERY,
        }
    }
}

/// One presence change, read back from the event frame that announces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceEvent {
    /// A name came (and whether its holder is a guest).
    Arrived(Username, bool),
    /// A name left.
    Departed(Username),
}

impl PresenceEvent {
    /// The change an event frame's text announces, if it announces one. Frames are written by
    /// `delivery::frame::encode`, which puts the tag first, so anything else is passed over
    /// without being parsed.
    pub fn of_text(text: &str) -> Option<Self> {
        if !(text.starts_with(r#"{"type":"user_joined""#)
            || text.starts_with(r#"{"type":"user_left""#))
        {
            return None;
        }
        match ServerMsg::from_json(text).ok()? {
            ServerMsg::UserJoined {
                username, guest, ..
            } => Some(Self::Arrived(username, guest)),
            ServerMsg::UserLeft { username, .. } => Some(Self::Departed(username)),
            _ => None,
        }
    }
}

/// What a room's diff says so far.
struct Pending {
    /// When the first change of this diff came; it goes out [`BigRooms::diff_every`] later.
    since: Instant,
    /// Who came, and whether each is a guest.
    arrived: BTreeMap<Username, bool>,
    departed: BTreeSet<Username>,
}

/// A big room's changes, ready to send.
#[derive(Debug, PartialEq, Eq)]
pub struct Diff {
    /// The room.
    pub room: RoomName,
    /// Who came, sorted.
    pub arrived: Vec<Username>,
    /// Those of `arrived` who are guests, sorted.
    pub guests: Vec<Username>,
    /// Who left, sorted.
    pub departed: Vec<Username>,
}

impl Diff {
    /// How many names the diff lists, arrivals and departures together.
    pub fn names_listed(&self) -> usize {
        self.arrived.len() + self.departed.len()
    }

    /// The frame announcing this diff to a room of `count`.
    pub fn message(self, count: u64) -> ServerMsg {
        ServerMsg::PresenceDiff {
            room: self.room,
            arrived: self.arrived,
            guests: self.guests,
            departed: self.departed,
            count,
        }
    }
}

#[derive(Default)]
struct State {
    settings: BigRooms,
    pending: HashMap<RoomName, Pending>,
    /// Each room's last count of the whole deployment (a join's presence list, a diff), so a
    /// room spread thin over many nodes is still known to be big on each of them.
    counted: HashMap<RoomName, u64>,
}

/// The diffs waiting to go out, per room with members here.
#[derive(Default)]
pub struct PresenceDiffs {
    state: Mutex<State>,
    /// Told when a room starts a diff, so the sender wakes for its deadline.
    started: Notify,
}

impl PresenceDiffs {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every section below leaves the maps whole; a panic elsewhere cannot tear them.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Uses `settings` from now on.
    pub fn configure(&self, settings: BigRooms) {
        self.lock().settings = settings;
    }

    /// The settings in force.
    pub fn settings(&self) -> BigRooms {
        self.lock().settings
    }

    /// Takes `event` of `room`, which has `here` names on this node, into the room's diff if
    /// the room is big or already has one pending. `false`: send the event as it is.
    pub fn gather(&self, room: &RoomName, event: PresenceEvent, here: usize) -> bool {
        let mut state = self.lock();
        let State {
            settings,
            pending,
            counted,
        } = &mut *state;
        let diff = match pending.get_mut(room) {
            Some(diff) => diff,
            None => {
                let known = counted.get(room).copied().unwrap_or(0);
                let here = u64::try_from(here).unwrap_or(u64::MAX);
                if !settings.is_big(here.max(known)) {
                    return false;
                }
                self.started.notify_one();
                pending.entry(room.clone()).or_insert(Pending {
                    since: Instant::now(),
                    arrived: BTreeMap::new(),
                    departed: BTreeSet::new(),
                })
            }
        };
        // A name's events alternate (it cannot arrive twice without leaving), so a change
        // that undoes one already in the diff cancels it: came and went is no news.
        match event {
            PresenceEvent::Arrived(name, guest) => {
                if !diff.departed.remove(&name) {
                    diff.arrived.insert(name, guest);
                }
            }
            PresenceEvent::Departed(name) => {
                if diff.arrived.remove(&name).is_none() {
                    diff.departed.insert(name);
                }
            }
        }
        true
    }

    /// Notes that `room` holds `count` people across the deployment. Only for a room with
    /// members here (see `Rooms::note_count`): [`PresenceDiffs::forget`] is what clears it.
    pub fn counted(&self, room: &RoomName, count: u64) {
        self.lock().counted.insert(room.clone(), count);
    }

    /// Forgets `room`, whose last member here left: nobody here is told its diff.
    pub fn forget(&self, room: &RoomName) {
        let mut state = self.lock();
        state.pending.remove(room);
        state.counted.remove(room);
    }

    /// When the oldest pending diff is due, if any is pending.
    pub fn next_due(&self) -> Option<Instant> {
        let state = self.lock();
        let every = state.settings.diff_every;
        state.pending.values().map(|diff| diff.since + every).min()
    }

    /// Resolves once a room started a diff since the last time it resolved.
    pub async fn started(&self) {
        self.started.notified().await;
    }

    /// Takes every diff due by `now`, ordered by room. A diff whose changes all cancelled out
    /// is dropped unsent.
    pub fn take_due(&self, now: Instant) -> Vec<Diff> {
        let mut state = self.lock();
        let every = state.settings.diff_every;
        let due: Vec<RoomName> = state
            .pending
            .iter()
            .filter(|(_, diff)| diff.since + every <= now)
            .map(|(room, _)| room.clone())
            .collect();
        let mut diffs: Vec<Diff> = due
            .into_iter()
            .filter_map(|room| {
                let pending = state.pending.remove(&room)?;
                if pending.arrived.is_empty() && pending.departed.is_empty() {
                    return None;
                }
                let guests = pending
                    .arrived
                    .iter()
                    .filter(|(_, guest)| **guest)
                    .map(|(name, _)| name.clone())
                    .collect();
                Some(Diff {
                    room,
                    arrived: pending.arrived.into_keys().collect(),
                    guests,
                    departed: pending.departed.into_iter().collect(),
                })
            })
            .collect();
        diffs.sort_by(|a, b| a.room.cmp(&b.room));
        diffs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::frame::encode;

    fn name(text: &str) -> Username {
        Username::parse(text).unwrap()
    }

    fn diffs(list_max: usize) -> PresenceDiffs {
        let diffs = PresenceDiffs::default();
        diffs.configure(BigRooms {
            list_max,
            diff_every: Duration::from_secs(1),
        });
        diffs
    }

    #[test]
    fn only_presence_events_are_read_back_from_frames() {
        let room = RoomName::default_room();
        let joined = encode(&ServerMsg::UserJoined {
            room: room.clone(),
            username: name("ada"),
            guest: true,
        });
        assert_eq!(
            PresenceEvent::of_text(&joined),
            Some(PresenceEvent::Arrived(name("ada"), true))
        );
        let left = encode(&ServerMsg::UserLeft {
            room: room.clone(),
            username: name("ada"),
        });
        assert_eq!(
            PresenceEvent::of_text(&left),
            Some(PresenceEvent::Departed(name("ada")))
        );
        let typing = encode(&ServerMsg::Typing {
            room,
            username: name("ada"),
        });
        assert_eq!(PresenceEvent::of_text(&typing), None);
    }

    #[test]
    fn a_small_room_is_not_gathered_and_a_big_one_is_until_its_window_ends() {
        let diffs = diffs(2);
        let room = RoomName::default_room();
        let arrived = |who: &str| PresenceEvent::Arrived(name(who), false);
        assert!(!diffs.gather(&room, arrived("ada"), 2), "small");
        assert!(diffs.gather(&room, arrived("bob"), 3), "big");
        assert!(diffs.gather(&room, arrived("cy"), 4));
        assert!(diffs.gather(&room, PresenceEvent::Departed(name("cy")), 3));
        assert!(diffs.gather(&room, PresenceEvent::Departed(name("ada")), 2));
        assert!(
            diffs.gather(&room, arrived("dee"), 1),
            "a pending diff takes every change"
        );
        let due = diffs.next_due().unwrap();
        assert!(diffs.take_due(due - Duration::from_millis(1)).is_empty());
        assert_eq!(
            diffs.take_due(due),
            [Diff {
                room: room.clone(),
                arrived: vec![name("bob"), name("dee")],
                guests: vec![],
                departed: vec![name("ada")],
            }]
        );
        assert_eq!(diffs.next_due(), None);
        assert!(!diffs.gather(&room, arrived("eve"), 1), "small again");
    }

    #[test]
    fn a_room_counted_big_elsewhere_is_gathered_here_too() {
        let diffs = diffs(10);
        let room = RoomName::default_room();
        diffs.counted(&room, 50);
        assert!(diffs.gather(&room, PresenceEvent::Arrived(name("ada"), true), 1));
        diffs.forget(&room);
        assert_eq!(diffs.next_due(), None);
        assert!(!diffs.gather(&room, PresenceEvent::Arrived(name("bob"), true), 1));
    }
}
