//! The hub: the one API sessions and HTTP handlers call.
//!
//! It ties together the local membership registry ([`crate::delivery::rooms::Rooms`]), the durable log
//! ([`Store`]) and fan-out ([`Fanout`]). Posting goes hub → store: the store assigns the id and
//! publishes after commit (the embedded store to local delivery, the Redis engine inside its
//! append), so a broadcast never precedes durability. Presence and typing events are
//! ephemeral: they go straight to fan-out, which carries events only, and are never stored.
//!
//! The hub is also where posting is judged, so every transport gets the same rule: a post
//! that would create a room (its first message) spends the poster's [`new_rooms`] budget,
//! and a muted poster or one posting faster than the room's slow mode is refused
//! ([`rules`], [`slow_mode`]). Moderation acts and read state ([`moderation`],
//! [`read_state`]) are judged here too, for every route and socket alike, and so are the
//! scopes of backends' API keys ([`scopes`]) and site-wide acts ([`site`]). For the
//! operators' console it also knows this node's open connections ([`connections`]) and
//! where every node's status is kept ([`nodes`]).

pub mod access;
pub mod connections;
pub mod guest_names;
pub mod managed_rooms;
pub mod moderation;
pub mod new_rooms;
pub mod nodes;
pub mod presence;
pub mod presence_diffs;
pub mod read_state;
pub mod rules;
pub mod scopes;
pub mod site;
pub mod slow_mode;

use crate::delivery::rooms::{NameTaken, Rooms, SessionId};
use crate::{
    auth::Principal,
    delivery::{
        frame::{EventFrame, Frame},
        outbox::OutboxSender,
    },
    fanout::Fanout,
    metrics::Metrics,
    store::{
        Appended, Epoch, NewMessage, Page, RoomCursor, RoomHead, Store, StoreError,
        accounts::Accounts, moderation::Moderation,
    },
};
use chinwag_shared::{
    ChatRecord, ClientToken, RoomName, RoomSummary, ServerMsg, Username, api_keys::ApiScope,
    moderation::SanctionKind,
};
use guest_names::{GuestNameError, GuestNameRefusal, GuestNames, LocalGuestNames};
use new_rooms::{ConnectionRooms, KnownRooms, NewRoomBudget, NewRoomLimits, NewRoomRefusal};
use presence::{Presence, PresenceError};
use rules::{RulesCache, Visitor, now_ms};
use slow_mode::SlowMode;
use std::{
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

/// Who is posting, for the budgets a post may spend and the rules it must keep.
#[derive(Debug)]
pub struct Poster<'a> {
    /// Who it proved to be.
    pub principal: &'a Principal,
    /// The client's address (behind a trusted proxy, the one it forwarded).
    pub address: IpAddr,
    /// The connection's own allowance, for a socket; HTTP posts have none.
    pub connection: Option<&'a mut ConnectionRooms>,
}

/// The directory a hub judges by: accounts and private rooms, and moderation.
#[derive(Clone)]
pub struct Directory {
    /// Accounts, credentials, private rooms.
    pub accounts: Arc<dyn Accounts>,
    /// Roles, sanctions, slow mode, the audit log, read markers.
    pub moderation: Arc<dyn Moderation>,
}

/// How long after posting an author may still edit a message, by default (15 minutes).
pub const DEFAULT_EDIT_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Why a post was not stored.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// The store failed; the message may be retried with the same `client_id`.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The post would have created a room over the poster's budget; nothing was stored.
    #[error(transparent)]
    TooManyNewRooms(#[from] NewRoomRefusal),
    /// The poster may not post here (private room, ban).
    #[error(transparent)]
    Access(#[from] access::AccessError),
    /// The poster is muted here or site-wide until `until` (Unix ms; `None`: until lifted).
    #[error("you are muted here{}", access::until_text(*.until))]
    Muted {
        /// When the mute ends.
        until: Option<u64>,
    },
    /// The room is in slow mode, and the poster's last post was too recent.
    #[error("this room is in slow mode: one message every {interval_secs} s; next in {} s", .retry_after.as_secs().max(1))]
    SlowMode {
        /// The room's interval.
        interval_secs: u32,
        /// How long until a post is allowed.
        retry_after: Duration,
    },
}

/// Shared by every session and handler of a server.
pub struct Hub {
    rooms: Arc<Rooms>,
    store: Arc<dyn Store>,
    fanout: Arc<dyn Fanout>,
    presence: Arc<dyn Presence>,
    metrics: Arc<Metrics>,
    next_session: AtomicU64,
    new_rooms: NewRoomBudget,
    known_rooms: KnownRooms,
    /// Rooms known to exist and be public: no directory read for them (see [`access`]).
    public_rooms: KnownRooms,
    accounts: Arc<dyn Accounts>,
    /// The rules in force per room, cached briefly.
    rules: RulesCache,
    /// When each person last posted in each slow-mode room.
    slow_mode: SlowMode,
    /// How long after posting an author may edit (zero: never).
    edit_window: Duration,
    /// The connections open on this node.
    connections: connections::Connections,
    /// Where every node's status is kept (this node alone, on SQLite).
    nodes: Arc<dyn nodes::NodeRegistry>,
    /// Guest names as every node holds them (nothing beyond `rooms`, on one node).
    guest_names: Arc<dyn GuestNames>,
}

impl Hub {
    /// A hub over the given registry, store, fan-out and presence (one engine), letting
    /// posters create rooms within `new_rooms`.
    pub fn new(
        rooms: Arc<Rooms>,
        store: Arc<dyn Store>,
        fanout: Arc<dyn Fanout>,
        presence: Arc<dyn Presence>,
        metrics: Arc<Metrics>,
        new_rooms: NewRoomLimits,
        directory: Directory,
    ) -> Self {
        Self {
            rooms,
            store,
            fanout,
            presence,
            metrics,
            next_session: AtomicU64::new(1),
            new_rooms: NewRoomBudget::new(new_rooms),
            known_rooms: KnownRooms::default(),
            public_rooms: KnownRooms::default(),
            accounts: directory.accounts,
            rules: RulesCache::new(directory.moderation),
            slow_mode: SlowMode::default(),
            edit_window: DEFAULT_EDIT_WINDOW,
            connections: connections::Connections::default(),
            nodes: Arc::new(nodes::LocalNode::new("local")),
            guest_names: Arc::new(LocalGuestNames),
        }
    }

    /// This hub, holding guest names across nodes through `guest_names`.
    #[must_use]
    pub fn with_guest_names(mut self, guest_names: Arc<dyn GuestNames>) -> Self {
        self.guest_names = guest_names;
        self
    }

    /// This hub, listing the nodes kept in `nodes` (a cluster's registry, or this node's id).
    #[must_use]
    pub fn with_nodes(mut self, nodes: Arc<dyn nodes::NodeRegistry>) -> Self {
        self.nodes = nodes;
        self
    }

    /// Where every node's status is kept.
    pub fn nodes(&self) -> &Arc<dyn nodes::NodeRegistry> {
        &self.nodes
    }

    /// Rooms someone is in on this node (accounts' inboxes not counted).
    pub fn occupied_rooms(&self) -> usize {
        self.rooms.count_rooms(|room| !access::is_inbox_name(room))
    }

    /// This hub, letting authors edit their messages for `window` after posting (zero: not
    /// at all).
    #[must_use]
    pub fn with_edit_window(mut self, window: Duration) -> Self {
        self.edit_window = window;
        self
    }

    /// The moderation directory.
    pub fn moderation(&self) -> &Arc<dyn Moderation> {
        self.rules.moderation()
    }

    /// The directory: accounts, credentials, private rooms.
    pub fn accounts(&self) -> &Arc<dyn Accounts> {
        &self.accounts
    }

    /// The server's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// A fresh id for a new connection.
    pub fn new_session_id(&self) -> SessionId {
        self.next_session.fetch_add(1, Ordering::Relaxed)
    }

    /// Registers `session` in `room` and announces its name if it is new there. From this
    /// call on, the session's outbox receives the room's frames; anything older must come
    /// from the store. Answers with the name as the hub holds it (`Rooms::shared_name`).
    pub fn join(
        &self,
        room: &RoomName,
        session: SessionId,
        outbox: OutboxSender,
        username: Option<Username>,
        token: Option<ClientToken>,
        guest: bool,
    ) -> Result<RoomName, NameTaken> {
        let change = self
            .rooms
            .join(room, session, outbox, username, token, guest)?;
        self.presence.changed(room, change);
        // The registry's copy of the name, for the session to key its cursor with.
        Ok(self.rooms.shared_name(room).unwrap_or_else(|| room.clone()))
    }

    /// Whether `name` in `room` belongs to another live client than `session` (with `token`).
    /// HTTP requests have no session: `None`, and every live holder is another client unless
    /// it presents the same token.
    pub fn name_taken(
        &self,
        room: &RoomName,
        session: Option<SessionId>,
        name: &Username,
        token: Option<&ClientToken>,
    ) -> bool {
        self.rooms.name_taken(room, session, name, token)
    }

    /// Holds `name` in `room` for a guest's connection `session` (presenting `token`), as
    /// [`Hub::join`] and [`Hub::name`] will: refused when another client of this node holds it
    /// ([`Hub::name_taken`]) or another client has it on another node ([`GuestNames`]). A
    /// client with a token holds the name for every node from then on; one without a token
    /// is only checked (see [`guest_names`]). Only guests claim: an account's name is its own.
    pub async fn claim_guest_name(
        &self,
        room: &RoomName,
        session: SessionId,
        name: &Username,
        token: Option<&ClientToken>,
    ) -> Result<(), GuestNameRefusal> {
        if self.name_taken(room, Some(session), name, token) {
            return Err(GuestNameRefusal::Taken);
        }
        let free = match token {
            Some(token) => self.guest_names.claim(room, name, token).await,
            None => (self.guest_names.held_by_another(room, name, None).await).map(|held| !held),
        };
        match free {
            Ok(true) => Ok(()),
            Ok(false) => Err(GuestNameRefusal::Taken),
            Err(err) => Err(GuestNameRefusal::Unchecked(err)),
        }
    }

    /// Whether `name` in `room` is held by another client than `session` (or, for a request
    /// of no connection, `None`) with `token`, on this node or another: what a guest speaking
    /// under a name it did not join with, or posting over HTTP, is refused by.
    pub async fn guest_name_held(
        &self,
        room: &RoomName,
        session: Option<SessionId>,
        name: &Username,
        token: Option<&ClientToken>,
    ) -> Result<bool, GuestNameError> {
        if self.name_taken(room, session, name, token) {
            return Ok(true);
        }
        self.guest_names.held_by_another(room, name, token).await
    }

    /// Removes `session` from `room`, announcing a departure if it was the name's last
    /// connection there.
    pub fn leave(&self, room: &RoomName, session: SessionId) {
        let token = self.rooms.guest_token(room, session);
        let change = self.rooms.leave(room, session);
        if let (Some(name), Some(token)) = (&change.departed, &token) {
            self.guest_names.release(room, name, token);
        }
        self.presence.changed(room, change);
    }

    /// Gives a nameless member of `room` the name `username`, unless another client holds it.
    pub fn name(
        &self,
        room: &RoomName,
        session: SessionId,
        username: &Username,
    ) -> Result<(), NameTaken> {
        let change = self.rooms.name(room, session, username)?;
        self.presence.changed(room, change);
        Ok(())
    }

    /// Those of `room`'s present names that are guests' (not signed in), as far as
    /// presence knows it (see [`Presence::guests`]).
    pub async fn guests(&self, room: &RoomName) -> Result<Vec<Username>, PresenceError> {
        self.presence.guests(room).await
    }

    /// Who is in `room` right now, on every node.
    pub async fn users(&self, room: &RoomName) -> Result<Vec<Username>, PresenceError> {
        self.presence.users(room).await
    }

    /// A receiver of the newest id published in `room`, for long-polling: subscribe first,
    /// then read the store, then wait for the value to pass what was read.
    pub fn watch(&self, room: &RoomName) -> crate::delivery::waiters::Waiter {
        self.rooms.waiters().subscribe(room)
    }

    /// Rooms the long-poll waiter table holds now (rooms somebody waits on).
    pub fn long_poll_rooms(&self) -> usize {
        self.rooms.waiters().rooms_watched()
    }

    /// Bytes the in-memory tails of recent messages hold now.
    pub fn recent_bytes(&self) -> usize {
        self.rooms.recent().bytes()
    }

    /// Whether `session` receives `room`'s frames.
    pub fn is_member(&self, room: &RoomName, session: SessionId) -> bool {
        self.rooms.is_member(room, session)
    }

    /// Stores a message; the store publishes it to the room when it is new. The poster must
    /// be let in ([`Hub::enter`]), not muted, and not faster than the room's slow mode
    /// (moderators are exempt). A message that would create its room first spends `poster`'s
    /// new-room budget, and is refused when it is spent. The budget is spent before the
    /// append, so a failed append still counts.
    pub async fn post(
        &self,
        message: NewMessage,
        poster: Poster<'_>,
    ) -> Result<Appended, PostError> {
        let visitor = Visitor {
            principal: poster.principal,
            address: poster.address,
            name: Some(&message.username),
        };
        let entry = self
            .enter_for(&visitor, &message.room, ApiScope::Publish)
            .await?;
        let rules = &entry.rules;
        let mut slowed = None;
        if let Some(mute) = rules.sanction(&visitor, SanctionKind::Mute, now_ms()) {
            return Err(PostError::Muted { until: mute.until });
        }
        if rules.slow_mode_secs > 0 && !rules.role(poster.principal).moderates() {
            let interval = Duration::from_secs(u64::from(rules.slow_mode_secs));
            let person = slow_mode::person(&visitor);
            if let Err(retry_after) = self.slow_mode.spend(&message.room, &person, interval) {
                return Err(PostError::SlowMode {
                    interval_secs: rules.slow_mode_secs,
                    retry_after,
                });
            }
            slowed = Some(person);
        }
        let room = message.room.clone();
        let posted = self.post_admitted(message, poster).await;
        if let Some(person) = slowed
            && !matches!(posted, Ok(Appended::Stored(_)))
        {
            self.slow_mode.refund(&room, &person);
        }
        posted
    }

    /// Stores a message whose poster was let in: the new-room budget, then the append.
    async fn post_admitted(
        &self,
        message: NewMessage,
        poster: Poster<'_>,
    ) -> Result<Appended, PostError> {
        self.admit_room(&message.room, poster).await?;
        let started = std::time::Instant::now();
        let appended = self.store.append(message).await;
        self.metrics
            .store_append_seconds
            .observe(started.elapsed().as_secs_f64());
        if let Ok(Appended::Stored(record)) = &appended {
            self.metrics.messages_in.inc();
            self.known_rooms.insert(&record.room);
        }
        Ok(appended?)
    }

    /// Lets a post into `room` through: free if the room exists, else within `poster`'s
    /// budget. Known rooms cost no store read, so posting to a busy room stays as cheap as
    /// it was before the budget.
    async fn admit_room(&self, room: &RoomName, poster: Poster<'_>) -> Result<(), PostError> {
        if self.known_rooms.contains(room) {
            return Ok(());
        }
        if self.store.has_room(room).await? {
            self.known_rooms.insert(room);
            return Ok(());
        }
        self.spend_room_budget(poster.address, poster.connection)
            .map_err(PostError::from)
    }

    /// Spends one new room of `address`'s budget (and the connection's, for a socket).
    fn spend_room_budget(
        &self,
        address: IpAddr,
        connection: Option<&mut ConnectionRooms>,
    ) -> Result<(), NewRoomRefusal> {
        let now = std::time::Instant::now();
        match self.new_rooms.spend(address, connection, now) {
            Ok(()) => {
                self.metrics.rooms_created.inc();
                Ok(())
            }
            Err(refusal) => {
                self.metrics.new_rooms_refused.inc();
                tracing::debug!(%address, %refusal, "new room refused");
                Err(refusal)
            }
        }
    }

    /// Spends one new room of `address`'s budget, for a private room or a direct message.
    pub(crate) fn spend_new_room(&self, address: IpAddr) -> Result<(), NewRoomRefusal> {
        self.spend_room_budget(address, None)
    }

    /// Relays a typing notice to `room`; it is not stored.
    pub fn typing(&self, room: &RoomName, username: &Username) {
        let event = ServerMsg::Typing {
            room: room.clone(),
            username: username.clone(),
        };
        self.fanout.publish_event(EventFrame::new(room, &event));
    }

    /// One page of `room`'s history: from memory when it is recent, else from the store.
    pub async fn page(&self, room: &RoomName, page: Page) -> Result<Vec<ChatRecord>, StoreError> {
        if let Page::After { after, limit } = page
            && let Some((epoch, records)) = self.rooms.recent().records(room, after, limit)
            && (self.store.broadcasts_every_change() || self.store.epoch(room).await? == epoch)
        {
            return Ok(records);
        }
        self.store.page(room, page).await
    }

    /// The already-encoded chat frames of `room` with ids in (`after`, `upto`], at most
    /// `limit`, if they are all recent enough to be held in memory.
    pub fn recent_frames(
        &self,
        room: &RoomName,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Option<(Epoch, Vec<Arc<Frame>>)> {
        self.rooms.recent().frames(room, after, upto, limit)
    }

    /// The newest id of `room` and its history's epoch.
    pub async fn head(&self, room: &RoomName) -> Result<RoomHead, StoreError> {
        // What was last broadcast is the head for a session that registered first (see
        // `delivery::recent`), when nothing else can change the store.
        if self.store.broadcasts_every_change()
            && let Some(head) = self.rooms.recent().head(room)
        {
            return Ok(head);
        }
        self.store.head(room).await
    }

    /// The epoch of `room`'s history.
    pub async fn epoch(&self, room: &RoomName) -> Result<Epoch, StoreError> {
        self.store.epoch(room).await
    }

    /// Whether the engine can take writes (the readiness probe).
    pub fn ready(&self) -> bool {
        self.store.ready()
    }

    /// Up to `limit` rooms, busiest (most messages) first, from after `cursor`.
    pub async fn rooms(
        &self,
        after: Option<&RoomCursor>,
        limit: usize,
    ) -> Result<Vec<RoomSummary>, StoreError> {
        self.store.rooms(after, limit).await
    }

    /// Like [`Hub::rooms`], private rooms and direct messages included (the console).
    pub async fn rooms_with_private(
        &self,
        after: Option<&RoomCursor>,
        limit: usize,
    ) -> Result<Vec<RoomSummary>, StoreError> {
        self.store.rooms_with_private(after, limit).await
    }

    /// Finishes pending writes; called once on shutdown after the sessions have closed.
    pub async fn close(&self) {
        self.store.close().await;
    }
}
