//! The local membership registry: which of this process's sessions are in which room.
//!
//! Fan-out calls [`Rooms::deliver`] for every frame; the hub calls join, leave and rename. All
//! state sits behind one `std::sync::Mutex` whose sections are short and never await: delivery
//! is a `try_send` per member. Presence is derived from the members' names, so a person with
//! two tabs open is listed once and "leaves" only when their last connection does.
//!
//! Names: a username may be held by several live connections of a room only if they all
//! present the same client token (the same browser); anyone else is refused with
//! [`NameTaken`]. Names are compared by [`Username::hold_key`], so `Alice`, `alice` and an
//! all-Cyrillic `аӏісе` are one name: holding one holds them all. The check and the claim
//! happen under one lock, so two connections cannot both take a free name.

use super::{frame::Frame, latency::DeliveryLatency, outbox::OutboxSender};
use super::{
    presence_diffs::{PresenceDiffs, PresenceEvent},
    recent::Recent,
    waiters::Waiters,
};
use chinwag_shared::{ClientToken, NameKey, RoomName, Username};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    ops::Bound,
    sync::{Arc, Mutex, MutexGuard},
};
use tokio::sync::Notify;

/// Identifies one connection for its whole life; never reused within a process.
pub type SessionId = u64;

/// One session's place in one room.
struct Member {
    outbox: OutboxSender,
    username: Option<Username>,
    token: Option<ClientToken>,
    /// Whether the connection is a guest's (not signed in).
    guest: bool,
}

/// The name is held in the room by a live connection with another (or no) client token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameTaken;

/// Who holds a name in a room: how many connections, and the client token they share (the
/// name rule admits a second holder only with the first one's token, so they all agree).
struct Hold {
    connections: usize,
    token: Option<ClientToken>,
    /// Whether the holder is a guest. One client holds a name, so all its connections agree.
    guest: bool,
    /// The name as its first holder typed it: what presence lists, and what arrives and
    /// departs, even if a later tab of the same browser spells it `ALICE`.
    shown: Username,
}

#[derive(Default)]
struct Room {
    members: HashMap<SessionId, Member>,
    /// The members' names by hold key, kept beside them so presence and the name rule cost a
    /// lookup, not a pass over every member (a join into a room of 10,000 would otherwise be
    /// O(room)).
    names: BTreeMap<NameKey, Hold>,
    /// The same names as shown, in the order presence lists them, so a page of a big room's
    /// list is a range, not a sort of the whole room.
    shown: BTreeSet<Username>,
}

impl Room {
    fn name_count(&self, name: &Username) -> usize {
        self.names
            .get(&name.hold_key())
            .map_or(0, |hold| hold.connections)
    }

    /// Whether `name` is held by a member other than `session` (`None`: a request of no
    /// connection, such as an HTTP post) that is not the same client.
    fn taken_by_another(
        &self,
        name: &Username,
        session: Option<SessionId>,
        token: Option<&ClientToken>,
    ) -> bool {
        let key = name.hold_key();
        let Some(hold) = self.names.get(&key) else {
            return false;
        };
        let own = session
            .and_then(|session| self.members.get(&session))
            .is_some_and(|member| {
                member
                    .username
                    .as_ref()
                    .is_some_and(|held| held.hold_key() == key)
            });
        let others = hold.connections - usize::from(own);
        others > 0 && (token.is_none() || hold.token.as_ref() != token)
    }

    fn hold(&mut self, name: &Username, token: Option<&ClientToken>, guest: bool) {
        let shown = &mut self.shown;
        self.names
            .entry(name.hold_key())
            .or_insert_with(|| {
                shown.insert(name.clone());
                Hold {
                    connections: 0,
                    token: token.cloned(),
                    guest,
                    shown: name.clone(),
                }
            })
            .connections += 1;
    }

    /// Drops one connection's hold on `name`; the name as shown if that was the last one.
    fn release(&mut self, name: &Username) -> Option<Username> {
        let key = name.hold_key();
        let hold = self.names.get_mut(&key)?;
        hold.connections = hold.connections.saturating_sub(1);
        if hold.connections == 0 {
            let gone = self.names.remove(&key)?;
            self.shown.remove(&gone.shown);
            return Some(gone.shown);
        }
        None
    }

    /// The held names whose holders are guests, as shown, sorted.
    fn guests(&self) -> Vec<Username> {
        let mut guests: Vec<Username> = self
            .names
            .values()
            .filter(|hold| hold.guest)
            .map(|hold| hold.shown.clone())
            .collect();
        guests.sort();
        guests
    }

    /// Each held name once, as shown, sorted.
    fn users(&self) -> Vec<Username> {
        self.shown.iter().cloned().collect()
    }

    /// Up to `limit` of [`Room::users`] that sort after `after`.
    fn page(&self, after: Option<&Username>, limit: usize) -> Vec<Username> {
        let from: Bound<&Username> = after.map_or(Bound::Unbounded, Bound::Excluded);
        self.shown
            .range::<Username, _>((from, Bound::Unbounded))
            .take(limit)
            .cloned()
            .collect()
    }
}

/// What a membership change did to a room's presence list.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PresenceChange {
    /// A name that was not in the room before and now is.
    pub arrived: Option<Username>,
    /// Whether the arrived name's holder is a guest.
    pub arrived_guest: bool,
    /// A name that was in the room and now is not.
    pub departed: Option<Username>,
}

/// Every room that has at least one member in this process, and its long-poll waiters.
#[derive(Default)]
pub struct Rooms {
    rooms: Mutex<HashMap<RoomName, Room>>,
    waiters: Waiters,
    recent: Recent,
    /// How long chat records took from the store to their members' outboxes here.
    latency: DeliveryLatency,
    /// Told whenever a room gains its first member here or loses its last: what a subscriber
    /// that listens per room (on a Redis Cluster) follows.
    opened_or_closed: Notify,
    /// Big rooms' presence changes, gathered into diffs instead of delivered one by one.
    diffs: PresenceDiffs,
}

impl Rooms {
    /// An empty registry whose recent tails hold at most `recent_bytes`.
    pub fn new(recent_bytes: usize) -> Self {
        Self {
            rooms: Mutex::default(),
            waiters: Waiters::default(),
            recent: Recent::new(recent_bytes),
            latency: DeliveryLatency::default(),
            opened_or_closed: Notify::new(),
            diffs: PresenceDiffs::default(),
        }
    }

    /// This registry, observing delivery latency into `latency` (the server's metrics).
    #[must_use]
    pub fn with_latency(mut self, latency: DeliveryLatency) -> Self {
        self.latency = latency;
        self
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<RoomName, Room>> {
        // A panic while holding this lock cannot leave a map half-updated in a way that
        // matters more than losing the whole server, so recover the data and carry on.
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Offers `frame` to every member of its room. Members whose outbox is full are told to
    /// close (they resume from the store when they reconnect); nobody is waited for.
    ///
    /// A big room's `user_joined` and `user_left` are not offered: they go into its pending
    /// diff ([`PresenceDiffs`]), which the hub sends as one frame.
    pub fn deliver(&self, frame: &Arc<Frame>) {
        // Into the tail first: a session registering after the loop below finds it there.
        self.recent.push(frame);
        let presence = match &**frame {
            Frame::Event(event) if event.removes.is_none() => PresenceEvent::of_text(&event.text),
            _ => None,
        };
        let handed = {
            let rooms = self.lock();
            rooms.get(frame.room()).is_some_and(|room| {
                if let Some(event) = presence
                    && self.diffs.gather(frame.room(), event, room.names.len())
                {
                    return false;
                }
                for member in room.members.values() {
                    member.outbox.offer(frame);
                }
                !room.members.is_empty()
            })
        };
        if let Frame::Chat(chat) = &**frame {
            self.waiters.published(&chat.room, chat.id);
            // Once per record, after its last recipient: never per recipient.
            if handed && let Some(stored) = chat.stored_ms() {
                self.latency.observe_since(stored);
            }
        }
    }

    /// Big rooms' pending presence diffs, and what makes a room big.
    pub fn presence_diffs(&self) -> &PresenceDiffs {
        &self.diffs
    }

    /// Notes that `room` holds `count` people across the deployment, if it has members here
    /// (under the lock, so a room that just emptied, and any room asked about over HTTP,
    /// leaves nothing behind).
    pub fn note_count(&self, room: &RoomName, count: u64) {
        let rooms = self.lock();
        if rooms.contains_key(room) {
            self.diffs.counted(room, count);
        }
    }

    /// The newest frames of busy rooms.
    pub fn recent(&self) -> &Recent {
        &self.recent
    }

    /// Resolves after a room gained its first member here or lost its last, since the last
    /// time it resolved (a change while nobody waits is kept for the next wait).
    pub async fn opened_or_closed(&self) {
        self.opened_or_closed.notified().await;
    }

    /// Long-poll waiters of this process.
    pub fn waiters(&self) -> &Waiters {
        &self.waiters
    }

    /// This registry's own copy of `room`'s name, while the room has members here. A
    /// session keys its cursor with it and posts with it, so the room's frames carry the
    /// same shared text as every member's key and a delivery matches them by pointer (see
    /// `session::cursors`).
    pub fn shared_name(&self, room: &RoomName) -> Option<RoomName> {
        self.lock()
            .get_key_value(room)
            .map(|(name, _)| name.clone())
    }

    /// Adds `session` to `room`; returns the presence list after the join and the change.
    pub fn join(
        &self,
        room: &RoomName,
        session: SessionId,
        outbox: OutboxSender,
        username: Option<Username>,
        token: Option<ClientToken>,
        guest: bool,
    ) -> Result<PresenceChange, NameTaken> {
        let mut rooms = self.lock();
        let entry = rooms.entry(room.clone()).or_default();
        if let Some(name) = &username
            && entry.taken_by_another(name, Some(session), token.as_ref())
        {
            if entry.members.is_empty() {
                rooms.remove(room);
            }
            return Err(NameTaken);
        }
        if entry.members.is_empty() {
            self.opened_or_closed.notify_one();
        }
        let arrived = username
            .as_ref()
            .filter(|name| entry.name_count(name) == 0)
            .cloned();
        if let Some(name) = &username {
            entry.hold(name, token.as_ref(), guest);
        }
        entry.members.insert(
            session,
            Member {
                outbox,
                username,
                token,
                guest,
            },
        );
        Ok(PresenceChange {
            arrived,
            arrived_guest: guest,
            departed: None,
        })
    }

    /// Whether `name` in `room` belongs to another live client than `session` (with `token`);
    /// `None` asks for a request of no connection (an HTTP post), whom every holder is another.
    pub fn name_taken(
        &self,
        room: &RoomName,
        session: impl Into<Option<SessionId>>,
        name: &Username,
        token: Option<&ClientToken>,
    ) -> bool {
        let session = session.into();
        self.lock()
            .get(room)
            .is_some_and(|entry| entry.taken_by_another(name, session, token))
    }

    /// Removes `session` from `room`; drops the room when it empties.
    pub fn leave(&self, room: &RoomName, session: SessionId) -> PresenceChange {
        let mut rooms = self.lock();
        let Some(entry) = rooms.get_mut(room) else {
            return PresenceChange::default();
        };
        let departed = entry
            .members
            .remove(&session)
            .and_then(|member| member.username)
            .and_then(|name| entry.release(&name));
        if entry.members.is_empty() {
            rooms.remove(room);
            self.diffs.forget(room);
            self.opened_or_closed.notify_one();
        }
        PresenceChange {
            arrived: None,
            arrived_guest: false,
            departed,
        }
    }

    /// Gives `session` a presence name in `room`, where it had none.
    pub fn name(
        &self,
        room: &RoomName,
        session: SessionId,
        username: &Username,
    ) -> Result<PresenceChange, NameTaken> {
        let mut rooms = self.lock();
        let Some(entry) = rooms.get_mut(room) else {
            return Ok(PresenceChange::default());
        };
        let (token, guest) = entry
            .members
            .get(&session)
            .map_or((None, true), |m| (m.token.clone(), m.guest));
        if entry.taken_by_another(username, Some(session), token.as_ref()) {
            return Err(NameTaken);
        }
        let is_new_name = entry.name_count(username) == 0;
        match entry.members.get_mut(&session) {
            Some(member) if member.username.is_none() => {
                member.username = Some(username.clone());
                entry.hold(username, token.as_ref(), guest);
                Ok(PresenceChange {
                    arrived: is_new_name.then(|| username.clone()),
                    arrived_guest: guest,
                    departed: None,
                })
            }
            _ => Ok(PresenceChange::default()),
        }
    }

    /// Those of `room`'s names held by guests, sorted.
    pub fn guests(&self, room: &RoomName) -> Vec<Username> {
        self.lock().get(room).map(Room::guests).unwrap_or_default()
    }

    /// The presence list of `room`: each name once, sorted.
    pub fn users(&self, room: &RoomName) -> Vec<Username> {
        self.lock().get(room).map(Room::users).unwrap_or_default()
    }

    /// Up to `limit` of `room`'s names here that sort after `after`, and how many names it
    /// has here in all.
    pub fn page(
        &self,
        room: &RoomName,
        after: Option<&Username>,
        limit: usize,
    ) -> (Vec<Username>, usize) {
        self.lock().get(room).map_or((Vec::new(), 0), |entry| {
            (entry.page(after, limit), entry.shown.len())
        })
    }

    /// How many names `room` has here.
    pub fn name_count(&self, room: &RoomName) -> usize {
        self.lock().get(room).map_or(0, |entry| entry.shown.len())
    }

    /// Whether `session` is a member of `room`.
    pub fn is_member(&self, room: &RoomName, session: SessionId) -> bool {
        self.lock()
            .get(room)
            .is_some_and(|entry| entry.members.contains_key(&session))
    }

    /// Every room with a member here.
    pub fn room_names(&self) -> HashSet<RoomName> {
        self.lock().keys().cloned().collect()
    }

    /// Each room with a member here and its members' names: what this node holds in
    /// cluster presence.
    pub fn presence_snapshot(&self) -> Vec<(RoomName, Vec<Username>)> {
        self.lock()
            .iter()
            .map(|(name, room)| (name.clone(), room.users()))
            .collect()
    }

    /// Every guest's name held here under a client token, with the token, per room: what a
    /// cluster renews for every node (`cluster::guest_names`). Each (room, name) once.
    pub fn guest_names_held(&self) -> Vec<(RoomName, Username, ClientToken)> {
        let rooms = self.lock();
        let mut held = Vec::new();
        for (name, room) in rooms.iter() {
            let mut seen = HashSet::new();
            for member in room.members.values() {
                if let (true, Some(username), Some(token)) =
                    (member.guest, &member.username, &member.token)
                    && seen.insert(username.clone())
                {
                    held.push((name.clone(), username.clone(), token.clone()));
                }
            }
        }
        held
    }

    /// The client token of `session` in `room`, if it is a guest there under a name with one.
    pub fn guest_token(&self, room: &RoomName, session: SessionId) -> Option<ClientToken> {
        let rooms = self.lock();
        let member = rooms.get(room)?.members.get(&session)?;
        (member.guest && member.username.is_some())
            .then(|| member.token.clone())
            .flatten()
    }

    /// How many rooms with a member here `counted` says yes to.
    pub fn count_rooms(&self, counted: impl Fn(&RoomName) -> bool) -> usize {
        self.lock().keys().filter(|room| counted(room)).count()
    }

    /// The rooms `session` is a member of, `counted` says yes to. A pass over every room
    /// here: for the operators' console, never the message path.
    pub fn rooms_of(
        &self,
        session: SessionId,
        counted: impl Fn(&RoomName) -> bool,
    ) -> Vec<RoomName> {
        let mut rooms: Vec<RoomName> = self
            .lock()
            .iter()
            .filter(|(name, room)| room.members.contains_key(&session) && counted(name))
            .map(|(name, _)| name.clone())
            .collect();
        rooms.sort();
        rooms
    }

    /// Number of (room, session) memberships; for tests and metrics.
    pub fn membership_count(&self) -> usize {
        self.lock().values().map(|room| room.members.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::outbox::Outbox;

    fn name(text: &str) -> Username {
        Username::parse(text).unwrap()
    }

    fn token(text: &str) -> Option<ClientToken> {
        Some(ClientToken::parse(text).unwrap())
    }

    #[test]
    fn a_name_is_shared_by_one_client_only_and_freed_by_its_last_connection() {
        let rooms = Rooms::default();
        let room = RoomName::default_room();
        let outbox = Outbox::new(8, 1_000);
        let join = |session, who: &str, tok: &str| {
            rooms.join(
                &room,
                session,
                outbox.sender(),
                Some(name(who)),
                token(tok),
                true,
            )
        };
        let first = join(1, "ada", "t1").unwrap();
        assert_eq!(first.arrived, Some(name("ada")));
        let second_tab = join(2, "ada", "t1").unwrap();
        assert_eq!(
            second_tab.arrived, None,
            "the same browser is not a new arrival"
        );
        assert_eq!(
            join(3, "ada", "t2"),
            Err(NameTaken),
            "another browser is refused"
        );
        assert!(
            rooms.name_taken(&room, 4, &name("ada"), None),
            "so is one with no token"
        );
        assert!(!rooms.name_taken(&room, 1, &name("ada"), token("t1").as_ref()));
        assert_eq!(rooms.users(&room), [name("ada")]);

        assert_eq!(rooms.leave(&room, 1).departed, None, "a tab is still open");
        assert_eq!(rooms.leave(&room, 2).departed, Some(name("ada")));
        assert!(join(3, "ada", "t2").is_ok(), "free again");
    }

    #[test]
    fn a_request_of_no_connection_is_refused_a_held_name_unless_it_is_the_same_client() {
        let rooms = Rooms::default();
        let room = RoomName::default_room();
        let outbox = Outbox::new(8, 1_000);
        assert!(!rooms.name_taken(&room, None, &name("ada"), None), "free");
        rooms
            .join(
                &room,
                1,
                outbox.sender(),
                Some(name("ada")),
                token("t1"),
                true,
            )
            .unwrap();
        assert!(rooms.name_taken(&room, None, &name("ada"), None));
        assert!(rooms.name_taken(&room, None, &name("ada"), token("t2").as_ref()));
        assert!(!rooms.name_taken(&room, None, &name("ada"), token("t1").as_ref()));
        assert!(
            !rooms.name_taken(&room, Some(1), &name("ada"), None),
            "the holder itself"
        );
    }

    #[test]
    fn a_held_name_holds_its_case_and_look_alike_spellings_and_is_shown_as_first_typed() {
        let rooms = Rooms::default();
        let room = RoomName::default_room();
        let outbox = Outbox::new(8, 1_000);
        let join = |session, who: &str, tok: &str| {
            rooms.join(
                &room,
                session,
                outbox.sender(),
                Some(name(who)),
                token(tok),
                true,
            )
        };
        join(1, "Alice", "t1").unwrap();
        for (session, spelling) in [
            (2, "alice"),
            (3, "ALICE"),
            (4, "\u{430}\u{4CF}\u{456}\u{441}\u{435}"),
        ] {
            assert_eq!(join(session, spelling, "t2"), Err(NameTaken), "{spelling}");
            assert!(rooms.name_taken(&room, session, &name(spelling), None));
        }
        assert!(join(5, "alicia", "t2").is_ok(), "a different name is free");

        let second_tab = join(6, "alice", "t1").unwrap();
        assert_eq!(second_tab.arrived, None, "the same browser, respelled");
        assert_eq!(rooms.users(&room), [name("Alice"), name("alicia")]);
        assert_eq!(rooms.leave(&room, 1).departed, None, "a tab is still open");
        assert_eq!(
            rooms.leave(&room, 6).departed,
            Some(name("Alice")),
            "the departure names whom the arrival named"
        );
    }

    #[test]
    fn a_page_of_names_is_a_range_and_counts_are_kept_only_for_rooms_with_members() {
        let rooms = Rooms::default();
        let room = RoomName::default_room();
        let outbox = Outbox::new(8, 1_000);
        for (session, who) in [(1, "cy"), (2, "ada"), (3, "bob")] {
            rooms
                .join(&room, session, outbox.sender(), Some(name(who)), None, true)
                .unwrap();
        }
        assert_eq!(
            rooms.page(&room, Some(&name("ada")), 1),
            (vec![name("bob")], 3)
        );
        assert_eq!(rooms.page(&room, Some(&name("cy")), 5), (vec![], 3));
        let elsewhere = RoomName::parse("elsewhere").unwrap();
        rooms.note_count(&elsewhere, 500);
        rooms.note_count(&room, 500);
        let diffs = rooms.presence_diffs();
        let arrived = |who: &str| PresenceEvent::Arrived(name(who), false);
        assert!(!diffs.gather(&elsewhere, arrived("x"), 0), "not noted");
        assert!(diffs.gather(&room, arrived("x"), 3), "noted big");
        for session in 1..=3 {
            rooms.leave(&room, session);
        }
        assert_eq!(diffs.next_due(), None, "forgotten with its last member");
    }

    #[test]
    fn every_member_gets_the_first_joiners_copy_of_the_name_until_the_room_empties() {
        let rooms = Rooms::default();
        let outbox = Outbox::new(8, 1_000);
        // Three copies of one name, as three clients' query strings would parse it.
        let [first, second, later] =
            ["lobby", "lobby", "lobby"].map(|n| RoomName::parse(n).unwrap());
        assert!(rooms.shared_name(&first).is_none(), "no members, no copy");
        rooms
            .join(&first, 1, outbox.sender(), None, None, true)
            .unwrap();
        rooms
            .join(&second, 2, outbox.sender(), None, None, true)
            .unwrap();
        let shared = rooms.shared_name(&second).unwrap();
        assert!(shared.same(&first) && !shared.same(&second));
        rooms.leave(&first, 1);
        rooms.leave(&second, 2);
        assert!(
            rooms.shared_name(&first).is_none(),
            "forgotten with its last member"
        );
        rooms
            .join(&later, 3, outbox.sender(), None, None, true)
            .unwrap();
        assert!(
            rooms.shared_name(&first).unwrap().same(&later),
            "a new first joiner's copy"
        );
    }

    #[test]
    fn naming_a_nameless_member_follows_the_same_rule() {
        let rooms = Rooms::default();
        let room = RoomName::default_room();
        let outbox = Outbox::new(8, 1_000);
        rooms
            .join(
                &room,
                1,
                outbox.sender(),
                Some(name("bob")),
                token("b"),
                true,
            )
            .unwrap();
        rooms
            .join(&room, 2, outbox.sender(), None, token("c"), true)
            .unwrap();
        assert_eq!(
            rooms.users(&room),
            [name("bob")],
            "the nameless are not listed"
        );
        assert_eq!(rooms.name(&room, 2, &name("bob")), Err(NameTaken));
        assert_eq!(rooms.name(&room, 2, &name("BOB")), Err(NameTaken));
        let named = rooms.name(&room, 2, &name("cy")).unwrap();
        assert_eq!(named.arrived, Some(name("cy")));
        assert_eq!(rooms.users(&room), [name("bob"), name("cy")]);
        assert_eq!(rooms.leave(&room, 2).departed, Some(name("cy")));
    }
}
