//! The chat state and its reducer: everything the UI shows, changed only by [`ChatAction`]s.
//!
//! Pure — no DOM, no network — so it is tested on its own. Each room's log is a persistent map
//! keyed by id: a record that arrives twice (a replay overlapping live delivery, a retry's
//! answer) lands on the same key, and an action shares the unchanged parts of every log
//! instead of copying them. The outbox (sends not yet confirmed) lives here too, so a pending
//! message is shown, re-sent after a reconnect and removed when its own confirmation arrives
//! (its record, carrying its `client_id`, which only its author is ever sent). A send
//! the server refused for now (`unavailable`, `rate_limited`) stays pending with the time of
//! its next try, backing off per message; one refused for good waits for the person.
//!
//! Ids mean something only within one history epoch: each room remembers the epoch its ids
//! belong to, resumes with it, and forgets its shown history when the server says the
//! history was replaced (`history_reset`), keeping the outbox, whose sends are stored afresh.

use super::{backoff, transport::TransportKind};
use chinwag_shared::{
    ChatRecord, ClientId, ClientMsg, ErrorFrame, RoomName, RoomSummary, ServerMsg, Username,
};
use imbl::{OrdMap, Vector};
use std::{collections::BTreeMap, rc::Rc};
use yew::Reducible;

/// How long a "typing…" notice stays up without a fresh one, in milliseconds.
pub const TYPING_SHOWN_MS: f64 = 5_000.0;

/// Records per history page the client asks for.
pub const HISTORY_PAGE: usize = 50;

/// Rooms of the server's busiest the sidebar offers besides the joined ones. The server may
/// hold any number of rooms (a flood once left 99,801, and rendering them all took 13 s), so
/// the app asks for one short page and keeps no more than this of whatever comes back.
pub const BUSIEST_ROOMS: usize = 10;

/// The connection's state, as the status badge shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// First attempt in progress.
    Connecting,
    /// Connected; messages flow.
    Open,
    /// The connection dropped; the next attempt is scheduled.
    Reconnecting,
    /// The browser says it has no network.
    Offline,
}

impl Status {
    /// The value of the badge's `data-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Connecting => "connecting",
            Status::Open => "open",
            Status::Reconnecting => "reconnecting",
            Status::Offline => "offline",
        }
    }
}

/// The text of the notice a history reset leaves in its room.
pub const HISTORY_RESET_NOTICE: &str = "The server's history for this room was reset.";

/// A line such as "bob joined", placed after the message that was newest when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Shown after the message with this id (0: before all).
    pub after_id: u64,
    /// Arrival order among notices.
    pub seq: u64,
    /// What happened.
    pub kind: NoticeKind,
    /// The text.
    pub text: String,
}

/// What a [`Notice`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// Someone came or went.
    Presence,
    /// The server replaced the room's history; what was shown before is gone.
    HistoryReset,
}

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

/// One joined room, as this client knows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoomView {
    /// Stored messages by id.
    pub messages: OrdMap<u64, Rc<ChatRecord>>,
    /// The newest id received: where a reconnect resumes. `None` until the first join.
    pub last_seen: Option<u64>,
    /// The history epoch `last_seen` belongs to, from the last `joined` or `history_reset`;
    /// `None` until then, and from servers that predate epochs.
    pub epoch: Option<String>,
    /// Whether the newest history page has been loaded.
    pub loaded: bool,
    /// Whether older messages than the oldest shown may exist.
    pub has_older: bool,
    /// Who is here.
    pub presence: Vec<Username>,
    /// Who is typing, with when their notice expires (ms since the epoch).
    pub typing: BTreeMap<Username, f64>,
    /// Join and leave lines.
    pub notices: Vector<Notice>,
    /// Messages from others not yet seen in this room.
    pub unread: u32,
}

impl RoomView {
    /// The smallest id shown, for "load older".
    pub fn oldest_id(&self) -> Option<u64> {
        self.messages.get_min().map(|(id, _)| *id)
    }

    fn newest_id(&self) -> u64 {
        self.messages.get_max().map_or(0, |(id, _)| *id)
    }

    /// The `join` that picks this room up again after a reconnect: from the newest id seen,
    /// under the epoch that id belongs to.
    pub fn resume_join(&self, room: &RoomName) -> ClientMsg {
        ClientMsg::Join {
            room: room.to_string(),
            after: self.last_seen,
            username: None,
            token: None,
            epoch: self.last_seen.and(self.epoch.clone()),
        }
    }

    /// Whether a `joined` saying `last_id` under `epoch` shows that the server's history is not
    /// the one shown here, though no `history_reset` said so: a server without epochs whose
    /// log is now shorter than what was seen, or an epoch that changed.
    pub fn join_resets(&self, last_id: u64, epoch: &str) -> bool {
        let epoch_changed = !epoch.is_empty() && self.epoch.as_deref().is_some_and(|e| e != epoch);
        epoch_changed || self.last_seen.is_some_and(|seen| last_id < seen)
    }

    /// Forgets the shown history (messages, notices, unread, paging) for a new `epoch`,
    /// keeping presence and typing, which are not history.
    fn forget_history(&mut self, epoch: Option<String>) {
        self.messages = OrdMap::new();
        self.notices = Vector::new();
        self.unread = 0;
        self.last_seen = None;
        self.loaded = false;
        self.has_older = false;
        self.epoch = epoch;
    }
}

/// Everything the chat screen shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatState {
    /// This person.
    pub me: Username,
    /// The room on screen.
    pub current: RoomName,
    /// Joined rooms.
    pub rooms: OrdMap<RoomName, RoomView>,
    /// The server's busiest rooms, busiest first: at most [`BUSIEST_ROOMS`], for the sidebar.
    pub directory: Vec<RoomSummary>,
    /// The connection.
    pub status: Status,
    /// How the client reaches the server.
    pub transport: TransportKind,
    /// Sends awaiting confirmation, oldest first.
    pub outbox: Vector<Pending>,
    /// Whether the tab is hidden.
    pub page_hidden: bool,
    /// Messages that arrived in the current room while the tab was hidden.
    pub hidden_unread: u32,
    /// A problem to show that concerns no single message.
    pub banner: Option<String>,
    notice_seq: u64,
}

/// Everything that changes the state.
#[derive(Debug, Clone)]
pub enum ChatAction {
    /// A frame from the server, received at `now` (ms since the epoch).
    Server {
        /// The frame.
        msg: ServerMsg,
        /// When it arrived.
        now: f64,
    },
    /// A page of history arrived over HTTP (`page_size` is what was asked for; the server may
    /// send fewer before the start, when the page reaches its byte budget).
    HistoryLoaded {
        /// The room.
        room: RoomName,
        /// Records, ascending.
        records: Vec<ChatRecord>,
        /// The requested page size; a shorter page means the start of the log was reached.
        page_size: usize,
        /// The epoch the page's ids belong to, if the server named one. A page of another
        /// epoch than the room's is dropped: it answers a question about a history that is gone.
        epoch: Option<String>,
    },
    /// A page of the server's room list arrived, busiest first.
    RoomsListed(Vec<RoomSummary>),
    /// The connection changed state.
    Status(Status),
    /// The client switched transport.
    Transport(TransportKind),
    /// Join (if needed) and show a room.
    OpenRoom(RoomName),
    /// Queue a message for sending.
    Queue(Pending),
    /// Put a refused message back in the queue.
    Retry(ClientId),
    /// These messages waiting out a refusal for now went again (or go on the next open).
    Resent(Vec<ClientId>),
    /// Forget a refused or waiting message.
    Discard(ClientId),
    /// The tab was hidden or shown.
    PageVisibility {
        /// Whether it is hidden now.
        hidden: bool,
    },
    /// Drop typing notices that expired by `now`.
    ExpireTyping {
        /// The current time in ms since the epoch.
        now: f64,
    },
    /// Show or clear the banner.
    Banner(Option<String>),
}

impl ChatState {
    /// The state of a fresh screen: `rooms` joined (the default room at least), `current` shown.
    pub fn new(me: Username, rooms: Vec<RoomName>, current: Option<RoomName>) -> Self {
        let mut joined: OrdMap<RoomName, RoomView> = rooms
            .into_iter()
            .map(|room| (room, RoomView::default()))
            .collect();
        let current = current.unwrap_or_else(RoomName::default_room);
        joined.entry(current.clone()).or_default();
        Self {
            me,
            current,
            rooms: joined,
            directory: Vec::new(),
            status: Status::Connecting,
            transport: TransportKind::WebSocket,
            outbox: Vector::new(),
            page_hidden: false,
            hidden_unread: 0,
            banner: None,
            notice_seq: 0,
        }
    }

    /// The room on screen.
    pub fn current_room(&self) -> Option<&RoomView> {
        self.rooms.get(&self.current)
    }

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

    /// Unread messages across rooms, for the tab title.
    pub fn total_unread(&self) -> u32 {
        self.rooms.values().map(|room| room.unread).sum::<u32>() + self.hidden_unread
    }

    /// Applies one action.
    pub fn apply(&mut self, action: ChatAction) {
        match action {
            ChatAction::Server { msg, now } => self.on_server(msg, now),
            ChatAction::HistoryLoaded {
                room,
                records,
                page_size,
                epoch,
            } => self.on_history(&room, records, page_size, epoch.as_deref()),
            ChatAction::RoomsListed(mut rooms) => {
                // A server from before the list was paged answers with every room it has.
                rooms.truncate(BUSIEST_ROOMS);
                self.directory = rooms;
            }
            ChatAction::Status(status) => self.status = status,
            ChatAction::Transport(kind) => self.transport = kind,
            ChatAction::OpenRoom(room) => {
                self.rooms.entry(room.clone()).or_default().unread = 0;
                self.current = room;
            }
            ChatAction::Queue(pending) => self.outbox.push_back(pending),
            ChatAction::Retry(client_id) => {
                for pending in self.outbox.iter_mut() {
                    if pending.client_id == client_id
                        && matches!(pending.state, SendState::Failed { .. })
                    {
                        pending.state = SendState::Sending;
                    }
                }
            }
            ChatAction::Resent(client_ids) => {
                for pending in self.outbox.iter_mut() {
                    if client_ids.contains(&pending.client_id)
                        && matches!(pending.state, SendState::Retrying { .. })
                    {
                        pending.state = SendState::Sending;
                    }
                }
            }
            ChatAction::Discard(client_id) => {
                self.outbox.retain(|pending| pending.client_id != client_id);
            }
            ChatAction::PageVisibility { hidden } => {
                self.page_hidden = hidden;
                if !hidden {
                    self.hidden_unread = 0;
                }
            }
            ChatAction::ExpireTyping { now } => {
                let stale: Vec<RoomName> = self
                    .rooms
                    .iter()
                    .filter(|(_, view)| view.typing.values().any(|&until| until <= now))
                    .map(|(room, _)| room.clone())
                    .collect();
                for room in stale {
                    if let Some(view) = self.rooms.get_mut(&room) {
                        view.typing.retain(|_, until| *until > now);
                    }
                }
            }
            ChatAction::Banner(banner) => self.banner = banner,
        }
    }

    fn on_server(&mut self, msg: ServerMsg, now: f64) {
        match msg {
            ServerMsg::Chat(record) => self.on_chat(record),
            ServerMsg::Joined {
                room,
                last_id,
                epoch,
            } => self.on_joined(&room, last_id, epoch),
            ServerMsg::HistoryReset { room, epoch } => self.on_history_reset(&room, epoch),
            ServerMsg::Left { .. } => {}
            ServerMsg::Presence { room, users } => {
                if let Some(view) = self.rooms.get_mut(&room) {
                    view.presence = users;
                }
            }
            ServerMsg::UserJoined { room, username } => {
                self.on_presence_change(&room, username, true);
            }
            ServerMsg::UserLeft { room, username } => {
                self.on_presence_change(&room, username, false);
            }
            ServerMsg::Typing { room, username } => {
                if username != self.me
                    && let Some(view) = self.rooms.get_mut(&room)
                {
                    view.typing.insert(username, now + TYPING_SHOWN_MS);
                }
            }
            ServerMsg::Error(error) => self.on_error(error, now),
        }
    }

    /// A refused send waits and goes again by itself if the refusal is for now, and is marked
    /// failed otherwise; any other error is shown in the banner. A refusal for now of a
    /// message already refused for good (two answers to one message, sent twice over HTTP)
    /// changes nothing: the person decides what happens to it.
    fn on_error(&mut self, error: ErrorFrame, now: f64) {
        let refused = error.client_id.as_deref().and_then(|id| {
            self.outbox
                .iter()
                .position(|pending| pending.client_id.as_str() == id)
        });
        let Some(index) = refused else {
            self.banner = Some(error.detail);
            return;
        };
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
        let delay = backoff::resend_delay_ms(attempt, jitter(&pending.client_id, attempt));
        pending.refusals = attempt.saturating_add(1);
        let room = pending.room.clone();
        // A room's messages go again in the order they were written: none becomes due before
        // an earlier one of the same room, whatever each one's own jittered delay says.
        let at = self
            .outbox
            .iter()
            .take(index)
            .filter(|earlier| earlier.room == room)
            .filter_map(Pending::resend_at)
            .fold(now + f64::from(delay), f64::max);
        self.outbox[index].state = SendState::Retrying { at };
        for later in self.outbox.iter_mut().skip(index + 1) {
            if later.room == room
                && let SendState::Retrying { at: later_at } = &mut later.state
            {
                *later_at = later_at.max(at);
            }
        }
    }

    fn on_chat(&mut self, record: ChatRecord) {
        let me = &self.me;
        self.outbox
            .retain(|pending| !pending.is_confirmed_by(&record, me));
        if let Some(summary) = self.directory.iter_mut().find(|s| s.room == record.room) {
            summary.last_id = summary.last_id.max(record.id);
        }
        let (is_current, page_hidden, mine) = (
            record.room == self.current,
            self.page_hidden,
            record.username == self.me,
        );
        let Some(view) = self.rooms.get_mut(&record.room) else {
            return;
        };
        view.typing.remove(&record.username);
        view.last_seen = Some(view.last_seen.unwrap_or(0).max(record.id));
        let is_new = view.messages.insert(record.id, Rc::new(record)).is_none();
        if is_new && !mine {
            if !is_current {
                view.unread += 1;
            } else if page_hidden {
                self.hidden_unread += 1;
            }
        }
    }

    fn on_joined(&mut self, room: &RoomName, last_id: u64, epoch: String) {
        let Some(view) = self.rooms.get(room) else {
            return;
        };
        if view.join_resets(last_id, &epoch) {
            // Start over rather than show two different messages under one id. No replay
            // came, so the page before `last_id` is loaded over HTTP (`loaded` stays false).
            self.reset_room(room, non_empty(epoch.clone()));
        }
        let Some(view) = self.rooms.get_mut(room) else {
            return;
        };
        view.last_seen = Some(view.last_seen.unwrap_or(0).max(last_id));
        if !epoch.is_empty() {
            view.epoch = Some(epoch);
        }
    }

    /// The server replaced `room`'s history; its replay from the start follows, so the new
    /// history arrives whole and there is nothing older to load.
    fn on_history_reset(&mut self, room: &RoomName, epoch: String) {
        if !self.rooms.contains_key(room) {
            return;
        }
        self.reset_room(room, non_empty(epoch));
        if let Some(view) = self.rooms.get_mut(room) {
            view.last_seen = Some(0);
            view.loaded = true;
        }
    }

    /// Forgets what `room` shows of its old history and leaves a notice saying so. The outbox
    /// stays: its sends are re-sent and stored in the new history.
    fn reset_room(&mut self, room: &RoomName, epoch: Option<String>) {
        let seq = self.notice_seq;
        let Some(view) = self.rooms.get_mut(room) else {
            return;
        };
        view.forget_history(epoch);
        view.notices.push_back(Notice {
            after_id: 0,
            seq,
            kind: NoticeKind::HistoryReset,
            text: HISTORY_RESET_NOTICE.to_owned(),
        });
        self.notice_seq += 1;
        if *room == self.current {
            self.hidden_unread = 0;
        }
    }

    fn on_history(
        &mut self,
        room: &RoomName,
        records: Vec<ChatRecord>,
        page_size: usize,
        epoch: Option<&str>,
    ) {
        let Some(view) = self.rooms.get_mut(room) else {
            return;
        };
        if let (Some(page), Some(known)) = (epoch, view.epoch.as_deref())
            && !page.is_empty()
            && page != known
        {
            return;
        }
        // Not `records.len() < page_size`: the server may stop a page short at its byte
        // budget. Ids start at 1, so only an empty page or one that reaches 1 is the start.
        let _ = page_size;
        let reached_start = records.first().is_none_or(|r| r.id <= 1);
        let extends_back = records
            .first()
            .is_some_and(|first| view.oldest_id().is_none_or(|oldest| first.id < oldest));
        if extends_back || !view.loaded {
            view.has_older = !reached_start;
        }
        for record in records {
            view.last_seen = Some(view.last_seen.unwrap_or(0).max(record.id));
            view.messages.insert(record.id, Rc::new(record));
        }
        view.loaded = true;
    }

    fn on_presence_change(&mut self, room: &RoomName, username: Username, arrived: bool) {
        let seq = self.notice_seq;
        let me = self.me.clone();
        let Some(view) = self.rooms.get_mut(room) else {
            return;
        };
        let known = view.presence.binary_search(&username);
        match (arrived, known) {
            (true, Err(at)) => view.presence.insert(at, username.clone()),
            (false, Ok(at)) => {
                view.presence.remove(at);
            }
            // Already listed (our own arrival after the snapshot) or already gone.
            _ => return,
        }
        if username != me {
            let verb = if arrived { "joined" } else { "left" };
            view.notices.push_back(Notice {
                after_id: view.newest_id(),
                seq,
                kind: NoticeKind::Presence,
                text: format!("{username} {verb}"),
            });
            self.notice_seq += 1;
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

/// `None` for the empty epoch of a server that predates epochs.
fn non_empty(epoch: String) -> Option<String> {
    (!epoch.is_empty()).then_some(epoch)
}

impl Reducible for ChatState {
    type Action = ChatAction;

    fn reduce(self: Rc<Self>, action: ChatAction) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::ErrorCode;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn name(raw: &str) -> Username {
        Username::parse(raw).unwrap()
    }

    fn room(raw: &str) -> RoomName {
        RoomName::parse(raw).unwrap()
    }

    fn record(room_name: &str, id: u64, who: &str, client_id: Option<&str>) -> ChatRecord {
        ChatRecord {
            id,
            room: room(room_name),
            username: name(who),
            message: format!("message {id}"),
            ts: 1_700_000_000_000,
            client_id: client_id.map(|id| ClientId::parse(id).unwrap()),
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_directory_keeps_only_the_busiest_few_of_a_long_list() {
        let mut state = ChatState::new(name("ada"), Vec::new(), None);
        let flood: Vec<RoomSummary> = (0..1_000u64)
            .map(|n| RoomSummary {
                room: room(&format!("r{n}")),
                last_id: 1_000 - n,
            })
            .collect();
        state.apply(ChatAction::RoomsListed(flood.clone()));
        assert_eq!(state.directory, flood[..BUSIEST_ROOMS]);
    }

    /// The record confirming `queue(client_id, room)`: the author's own copy, with the id.
    fn confirmation(room_name: &str, id: u64, client_id: &str) -> ChatRecord {
        ChatRecord {
            message: format!("pending {client_id}"),
            ..record(room_name, id, "me", Some(client_id))
        }
    }

    fn chat(record: ChatRecord) -> ChatAction {
        ChatAction::Server {
            msg: ServerMsg::Chat(record),
            now: 0.0,
        }
    }

    fn state() -> ChatState {
        ChatState::new(name("me"), vec![room("general"), room("rust")], None)
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_record_delivered_twice_is_listed_once() {
        let mut state = state();
        state.apply(chat(record("general", 1, "bob", None)));
        state.apply(chat(record("general", 2, "bob", None)));
        state.apply(chat(record("general", 1, "bob", None)));
        let ids: Vec<u64> = state
            .current_room()
            .unwrap()
            .messages
            .keys()
            .copied()
            .collect();
        assert_eq!(ids, [1, 2]);
        assert_eq!(state.current_room().unwrap().last_seen, Some(2));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn history_and_live_messages_merge_in_id_order() {
        let mut state = state();
        state.apply(chat(record("general", 7, "bob", None)));
        state.apply(ChatAction::HistoryLoaded {
            room: room("general"),
            records: (3..=7)
                .map(|id| record("general", id, "ann", None))
                .collect(),
            page_size: 5,
            epoch: None,
        });
        let view = state.current_room().unwrap();
        assert_eq!(
            view.messages.keys().copied().collect::<Vec<_>>(),
            [3, 4, 5, 6, 7]
        );
        assert!(
            view.has_older,
            "a full page that does not start at 1 may have more before it"
        );
        assert_eq!(view.oldest_id(), Some(3));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_confirmed_send_leaves_the_outbox_and_a_refused_one_stays_marked() {
        let mut state = state();
        for id in ["c1", "c2"] {
            state.apply(queue(id, "general"));
        }
        state.apply(chat(confirmation("general", 1, "c1")));
        state.apply(ChatAction::Server {
            msg: ServerMsg::Error(chinwag_shared::ErrorFrame {
                code: chinwag_shared::ErrorCode::MessageTooLong,
                detail: "too long".into(),
                room: Some("general".into()),
                client_id: Some("c2".into()),
            }),
            now: 0.0,
        });
        assert_eq!(state.outbox.len(), 1);
        assert_eq!(
            state.outbox[0].state,
            SendState::Failed {
                reason: "too long".into()
            }
        );
        assert_eq!(
            state.resendable().count(),
            0,
            "refused sends are not retried blindly"
        );
        state.apply(ChatAction::Retry(ClientId::parse("c2").unwrap()));
        assert_eq!(state.resendable().count(), 1);
    }

    fn refusal(code: ErrorCode, client_id: &str, now: f64) -> ChatAction {
        ChatAction::Server {
            msg: ServerMsg::Error(ErrorFrame {
                code,
                detail: format!("refused: {code}"),
                room: Some("general".into()),
                client_id: Some(client_id.into()),
            }),
            now,
        }
    }

    fn client_ids<'a>(pending: impl Iterator<Item = &'a Pending>) -> Vec<&'a str> {
        pending.map(|p| p.client_id.as_str()).collect()
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn refused_messages_of_a_room_go_again_in_the_order_they_were_written() {
        let mut state = state();
        for id in ["c1", "c2", "c3"] {
            state.apply(queue(id, "general"));
        }
        // Each refusal draws its own jittered delay; whatever they are, none of a room's
        // messages may become due before one written earlier.
        for id in ["c1", "c2", "c3"] {
            state.apply(refusal(ErrorCode::RateLimited, id, 0.0));
        }
        state.apply(refusal(ErrorCode::RateLimited, "c1", 1.0)); // c1 again: a longer wait
        let at: Vec<f64> = state
            .outbox
            .iter()
            .map(|p| p.resend_at().unwrap())
            .collect();
        assert!(at[0] <= at[1] && at[1] <= at[2], "{at:?}");
        let first_due = state.next_resend().unwrap();
        assert_eq!(
            client_ids(state.due_resends(first_due)).first(),
            Some(&"c1")
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_refusal_for_now_keeps_the_message_pending_and_due_again_after_its_delay() {
        for code in [ErrorCode::Unavailable, ErrorCode::RateLimited] {
            let mut state = state();
            state.apply(queue("c1", "general"));
            state.apply(refusal(code, "c1", 10_000.0));
            let pending = &state.outbox[0];
            assert!(
                matches!(pending.state, SendState::Retrying { .. }),
                "{code} is not a failure: {pending:?}"
            );
            let at = state.next_resend().unwrap();
            assert!(
                (10_500.0..=11_000.0).contains(&at),
                "{code}: first wait 0.5–1 s, got {at}"
            );
            assert_eq!(
                state.resendable().count(),
                0,
                "{code}: a reconnect does not cut the wait short"
            );
            assert!(client_ids(state.due_resends(at - 1.0)).is_empty());
            assert_eq!(client_ids(state.due_resends(at)), ["c1"]);

            state.apply(ChatAction::Resent(vec![ClientId::parse("c1").unwrap()]));
            assert_eq!(state.next_resend(), None);
            assert_eq!(
                client_ids(state.resendable()),
                ["c1"],
                "{code}: in flight again"
            );

            state.apply(refusal(code, "c1", 20_000.0));
            let again = state.next_resend().unwrap();
            assert!(
                (21_000.0..=22_000.0).contains(&again),
                "{code}: the second wait doubles, got {again}"
            );
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_refusal_for_good_marks_the_message_failed_even_while_it_waits() {
        for code in [
            ErrorCode::MessageTooLong,
            ErrorCode::InvalidMessage,
            ErrorCode::EmptyMessage,
            ErrorCode::UsernameTaken,
        ] {
            let mut state = state();
            state.apply(queue("c1", "general"));
            state.apply(refusal(ErrorCode::Unavailable, "c1", 0.0));
            state.apply(refusal(code, "c1", 0.0));
            assert_eq!(
                state.outbox[0].state,
                SendState::Failed {
                    reason: format!("refused: {code}")
                }
            );
            assert_eq!(state.next_resend(), None, "{code} schedules nothing");
            assert!(client_ids(state.due_resends(f64::INFINITY)).is_empty());
            assert_eq!(state.resendable().count(), 0);
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_message_refused_for_good_waits_for_the_person_whatever_else_arrives() {
        let mut state = state();
        state.apply(queue("c1", "general"));
        state.apply(refusal(ErrorCode::MessageTooLong, "c1", 0.0));
        let failed = state.outbox[0].clone();
        // A second answer to the same message (sent twice over HTTP), and a stray timer.
        state.apply(refusal(ErrorCode::RateLimited, "c1", 0.0));
        state.apply(ChatAction::Resent(vec![ClientId::parse("c1").unwrap()]));
        assert_eq!(state.outbox[0], failed);
        assert_eq!(state.next_resend(), None);
        assert_eq!(state.resendable().count(), 0);

        state.apply(ChatAction::Retry(ClientId::parse("c1").unwrap()));
        assert_eq!(state.outbox[0].state, SendState::Sending);
        assert_eq!(client_ids(state.resendable()), ["c1"]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn retry_and_resent_touch_only_the_states_they_leave() {
        let mut state = state();
        state.apply(queue("c1", "general"));
        state.apply(queue("c2", "general"));
        state.apply(refusal(ErrorCode::Unavailable, "c2", 0.0));
        let waiting = state.outbox[1].clone();
        let both = || ["c1", "c2"].map(|id| ClientId::parse(id).unwrap());
        for id in both() {
            state.apply(ChatAction::Retry(id));
        }
        assert_eq!(state.outbox[0].state, SendState::Sending);
        assert_eq!(state.outbox[1], waiting, "Retry is for failed messages");
        state.apply(ChatAction::Resent(both().to_vec()));
        assert_eq!(state.outbox[0].state, SendState::Sending);
        assert_eq!(state.outbox[1].state, SendState::Sending);
        assert_eq!(state.outbox[1].refusals, 1, "the count outlives the wait");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn only_the_messages_own_confirmation_resolves_it() {
        let mut state = state();
        state.apply(queue("c1", "general"));
        let own = confirmation("general", 4, "c1");
        let not_mine = [
            // Someone else's record under my id (issue 12: an older server sent these).
            ChatRecord {
                username: name("mallory"),
                message: "I quit. Bye all.".into(),
                ..own.clone()
            },
            // My name and id, other text: not what this message says.
            ChatRecord {
                message: "something else".into(),
                ..own.clone()
            },
            // The same id in another room is another message.
            ChatRecord {
                room: room("rust"),
                ..own.clone()
            },
            // A replay of my message: no client_id, so not a confirmation.
            ChatRecord {
                client_id: None,
                ..own.clone()
            },
        ];
        for record in not_mine {
            state.apply(chat(record.clone()));
            assert_eq!(client_ids(state.outbox.iter()), ["c1"], "{record:?}");
        }
        state.apply(chat(own));
        assert!(state.outbox.is_empty());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_confirmation_ends_the_wait_and_other_messages_keep_their_own() {
        let mut state = state();
        state.apply(queue("c1", "general"));
        state.apply(queue("c2", "general"));
        state.apply(refusal(ErrorCode::RateLimited, "c1", 0.0));
        state.apply(refusal(ErrorCode::RateLimited, "c2", 0.0));
        state.apply(refusal(ErrorCode::RateLimited, "c2", 0.0));
        assert_eq!(state.outbox[1].refusals, 2, "backoff is per message");
        state.apply(chat(confirmation("general", 1, "c1")));
        assert_eq!(client_ids(state.outbox.iter()), ["c2"]);
        let at = state.next_resend().unwrap();
        assert!(
            (1_000.0..=2_000.0).contains(&at),
            "only c2's own (second) wait is left, got {at}"
        );
        state.apply(chat(confirmation("general", 2, "c2")));
        assert_eq!(state.next_resend(), None);
        assert!(state.outbox.is_empty());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn unread_counts_other_rooms_and_hidden_tabs_but_not_own_messages() {
        let mut state = state();
        state.apply(chat(record("rust", 1, "bob", None)));
        state.apply(chat(record("rust", 2, "me", None)));
        state.apply(chat(record("general", 1, "bob", None)));
        assert_eq!(state.rooms.get(&room("rust")).unwrap().unread, 1);
        assert_eq!(state.total_unread(), 1);
        state.apply(ChatAction::PageVisibility { hidden: true });
        state.apply(chat(record("general", 2, "bob", None)));
        assert_eq!(state.total_unread(), 2);
        state.apply(ChatAction::PageVisibility { hidden: false });
        state.apply(ChatAction::OpenRoom(room("rust")));
        assert_eq!(state.total_unread(), 0);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn presence_events_keep_a_sorted_list_and_leave_notices_for_others() {
        let mut state = state();
        let event = |msg| ChatAction::Server { msg, now: 0.0 };
        state.apply(event(ServerMsg::Presence {
            room: room("general"),
            users: vec![name("me")],
        }));
        state.apply(event(ServerMsg::UserJoined {
            room: room("general"),
            username: name("me"),
        }));
        state.apply(event(ServerMsg::UserJoined {
            room: room("general"),
            username: name("ann"),
        }));
        state.apply(event(ServerMsg::UserLeft {
            room: room("general"),
            username: name("ann"),
        }));
        let view = state.current_room().unwrap();
        assert_eq!(view.presence, [name("me")]);
        let notices: Vec<&str> = view.notices.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(notices, ["ann joined", "ann left"]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn typing_notices_expire_and_end_when_the_typist_sends() {
        let mut state = state();
        let typing = |who: &str, now| ChatAction::Server {
            msg: ServerMsg::Typing {
                room: room("general"),
                username: name(who),
            },
            now,
        };
        state.apply(typing("ann", 1_000.0));
        state.apply(typing("bob", 4_000.0));
        state.apply(typing("me", 4_000.0));
        state.apply(ChatAction::ExpireTyping {
            now: 1_000.0 + TYPING_SHOWN_MS,
        });
        let typists: Vec<_> = state
            .current_room()
            .unwrap()
            .typing
            .keys()
            .cloned()
            .collect();
        assert_eq!(typists, [name("bob")]);
        state.apply(chat(record("general", 1, "bob", None)));
        assert!(state.current_room().unwrap().typing.is_empty());
    }

    fn server(msg: ServerMsg) -> ChatAction {
        ChatAction::Server { msg, now: 0.0 }
    }

    fn joined(room_name: &str, last_id: u64, epoch: &str) -> ChatAction {
        server(ServerMsg::Joined {
            room: room(room_name),
            last_id,
            epoch: epoch.into(),
        })
    }

    fn history_reset(room_name: &str, epoch: &str) -> ChatAction {
        server(ServerMsg::HistoryReset {
            room: room(room_name),
            epoch: epoch.into(),
        })
    }

    fn queue(client_id: &str, room_name: &str) -> ChatAction {
        ChatAction::Queue(Pending::new(
            ClientId::parse(client_id).unwrap(),
            room(room_name),
            format!("pending {client_id}"),
        ))
    }

    fn notice_kinds(view: &RoomView) -> Vec<NoticeKind> {
        view.notices.iter().map(|notice| notice.kind).collect()
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_shorter_log_on_rejoin_from_a_server_without_epochs_resets_the_room() {
        let mut state = state();
        state.apply(chat(record("general", 9, "bob", None)));
        state.apply(joined("general", 2, ""));
        let view = state.current_room().unwrap();
        assert!(view.messages.is_empty());
        assert_eq!(view.last_seen, Some(2));
        assert!(
            !view.loaded,
            "no replay came: the newest page must be fetched"
        );
        assert_eq!(notice_kinds(view), [NoticeKind::HistoryReset]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_history_reset_forgets_the_rooms_history_but_keeps_pending_sends() {
        let mut state = state();
        state.apply(joined("general", 0, "epoch-a"));
        state.apply(ChatAction::OpenRoom(room("rust")));
        for id in 1..=3 {
            state.apply(chat(record("general", id, "bob", None)));
        }
        state.apply(chat(record("rust", 4, "bob", None)));
        state.apply(server(ServerMsg::UserJoined {
            room: room("general"),
            username: name("ann"),
        }));
        state.apply(queue("c1", "general"));
        state.apply(queue("c2", "rust"));
        state.apply(ChatAction::HistoryLoaded {
            room: room("general"),
            records: vec![record("general", 2, "bob", None)],
            page_size: 1,
            epoch: Some("epoch-a".into()),
        });
        let before = state.rooms.get(&room("general")).unwrap();
        assert_eq!(before.unread, 3);
        assert!(
            before.has_older,
            "a full page that does not reach id 1 may have more"
        );

        state.apply(history_reset("general", "epoch-b"));

        let view = state.rooms.get(&room("general")).unwrap();
        assert!(view.messages.is_empty(), "old messages are gone: {view:?}");
        assert_eq!(view.unread, 0);
        assert_eq!(view.oldest_id(), None);
        assert_eq!(
            view.last_seen,
            Some(0),
            "the new history is replayed from its start"
        );
        assert!(
            !view.has_older,
            "nothing older than the start of the new history"
        );
        assert!(
            view.loaded,
            "the replay brings the newest messages; no page is needed"
        );
        assert_eq!(view.epoch.as_deref(), Some("epoch-b"));
        assert_eq!(view.presence, [name("ann")], "presence is not history");
        assert_eq!(
            notice_kinds(view),
            [NoticeKind::HistoryReset],
            "the old join line went with the history it was placed in"
        );
        assert_eq!(view.notices[0].text, HISTORY_RESET_NOTICE);
        let pending: Vec<&str> = state.outbox.iter().map(|p| p.client_id.as_str()).collect();
        assert_eq!(pending, ["c1", "c2"], "pending sends survive the reset");
        assert_eq!(
            state.resendable().count(),
            2,
            "and go again on the next connection"
        );
        let rust = state.rooms.get(&room("rust")).unwrap();
        assert_eq!(rust.messages.len(), 1, "other rooms keep their history");

        state.apply(chat(confirmation("general", 1, "c1")));
        let view = state.rooms.get(&room("general")).unwrap();
        assert_eq!(view.messages.keys().copied().collect::<Vec<_>>(), [1]);
        assert_eq!(view.messages.get(&1).unwrap().username, name("me"));
        assert_eq!(
            state.outbox.len(),
            1,
            "the re-sent message is confirmed in the new history"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_resume_join_after_a_reset_carries_the_new_epoch() {
        let mut state = state();
        let general = room("general");
        let resume = |state: &ChatState| state.rooms.get(&general).unwrap().resume_join(&general);
        assert_eq!(
            resume(&state),
            ClientMsg::Join {
                room: "general".into(),
                after: None,
                username: None,
                token: None,
                epoch: None,
            },
            "a room never joined starts at the newest message, under no epoch"
        );
        state.apply(joined("general", 0, "epoch-a"));
        state.apply(chat(record("general", 5, "bob", None)));
        let ClientMsg::Join { after, epoch, .. } = resume(&state) else {
            panic!("a join");
        };
        assert_eq!((after, epoch.as_deref()), (Some(5), Some("epoch-a")));

        state.apply(history_reset("general", "epoch-b"));
        let ClientMsg::Join { after, epoch, .. } = resume(&state) else {
            panic!("a join");
        };
        assert_eq!(
            (after, epoch.as_deref()),
            (Some(0), Some("epoch-b")),
            "cut off mid-replay, the room resumes from the start of the new history"
        );

        state.apply(chat(record("general", 1, "bob", None)));
        state.apply(joined("general", 1, "epoch-b"));
        let ClientMsg::Join { after, epoch, .. } = resume(&state) else {
            panic!("a join");
        };
        assert_eq!((after, epoch.as_deref()), (Some(1), Some("epoch-b")));
        assert_eq!(
            notice_kinds(state.current_room().unwrap()),
            [NoticeKind::HistoryReset],
            "the joined that ends the replay does not reset again"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_joined_under_a_new_epoch_without_a_reset_frame_still_resets() {
        let mut state = state();
        state.apply(joined("general", 0, "epoch-a"));
        state.apply(chat(record("general", 3, "bob", None)));
        state.apply(joined("general", 7, "epoch-b"));
        let view = state.current_room().unwrap();
        assert!(view.messages.is_empty());
        assert_eq!(view.epoch.as_deref(), Some("epoch-b"));
        assert_eq!(view.last_seen, Some(7));
        assert!(!view.loaded);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_history_page_of_another_epoch_is_dropped() {
        let mut state = state();
        state.apply(joined("general", 0, "epoch-b"));
        state.apply(ChatAction::HistoryLoaded {
            room: room("general"),
            records: vec![record("general", 1, "bob", None)],
            page_size: 50,
            epoch: Some("epoch-a".into()),
        });
        let view = state.current_room().unwrap();
        assert!(view.messages.is_empty());
        assert!(!view.loaded);
        state.apply(ChatAction::HistoryLoaded {
            room: room("general"),
            records: vec![record("general", 1, "bob", None)],
            page_size: 50,
            epoch: Some("epoch-b".into()),
        });
        assert_eq!(state.current_room().unwrap().messages.len(), 1);
    }
}
