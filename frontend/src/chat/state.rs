//! The chat state and its reducer: everything the UI shows, changed only by [`ChatAction`]s.
//!
//! Pure — no DOM, no network — so it is tested on its own. Each room's log is a persistent map
//! keyed by id: a record that arrives twice (a replay overlapping live delivery, a retry's
//! answer) lands on the same key, and an action shares the unchanged parts of every log
//! instead of copying them. The outbox (sends not yet confirmed) lives here too, so a pending
//! message is shown, re-sent after a reconnect and removed when its record arrives.

use super::transport::TransportKind;
use chinwag_shared::{ChatRecord, ClientId, RoomName, RoomSummary, ServerMsg, Username};
use imbl::{OrdMap, Vector};
use std::{collections::BTreeMap, rc::Rc};
use yew::Reducible;

/// How long a "typing…" notice stays up without a fresh one, in milliseconds.
pub const TYPING_SHOWN_MS: f64 = 5_000.0;

/// Records per history page the client asks for.
pub const HISTORY_PAGE: usize = 50;

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

/// A line such as "bob joined", placed after the message that was newest when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Shown after the message with this id (0: before all).
    pub after_id: u64,
    /// Arrival order among notices.
    pub seq: u64,
    /// The text.
    pub text: String,
}

/// A message sent but not yet confirmed by its stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Its idempotency key: a re-send with it is stored once.
    pub client_id: ClientId,
    /// Target room.
    pub room: RoomName,
    /// The text.
    pub text: String,
    /// Why the server refused it, if it did; refused messages are not re-sent.
    pub failed: Option<String>,
}

/// One joined room, as this client knows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoomView {
    /// Stored messages by id.
    pub messages: OrdMap<u64, Rc<ChatRecord>>,
    /// The newest id received: where a reconnect resumes. `None` until the first join.
    pub last_seen: Option<u64>,
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
    /// Every room the server knows, for the sidebar.
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
    /// A page of history arrived over HTTP (`page_size` is what was asked for).
    HistoryLoaded {
        /// The room.
        room: RoomName,
        /// Records, ascending.
        records: Vec<ChatRecord>,
        /// The requested page size; a shorter page means the start of the log was reached.
        page_size: usize,
    },
    /// The server's room list arrived.
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
    /// Forget a refused message.
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

    /// Sends that should go (again) to the server: queued and not refused.
    pub fn resendable(&self) -> impl Iterator<Item = &Pending> {
        self.outbox
            .iter()
            .filter(|pending| pending.failed.is_none())
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
            } => self.on_history(&room, records, page_size),
            ChatAction::RoomsListed(rooms) => self.directory = rooms,
            ChatAction::Status(status) => self.status = status,
            ChatAction::Transport(kind) => self.transport = kind,
            ChatAction::OpenRoom(room) => {
                self.rooms.entry(room.clone()).or_default().unread = 0;
                self.current = room;
            }
            ChatAction::Queue(pending) => self.outbox.push_back(pending),
            ChatAction::Retry(client_id) => {
                for pending in self.outbox.iter_mut() {
                    if pending.client_id == client_id {
                        pending.failed = None;
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
            ServerMsg::Joined { room, last_id } => self.on_joined(&room, last_id),
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
            ServerMsg::Error(error) => {
                let refused = error.client_id.as_deref().and_then(|id| {
                    self.outbox
                        .iter_mut()
                        .find(|pending| pending.client_id.as_str() == id)
                });
                match refused {
                    Some(pending) => pending.failed = Some(error.detail),
                    None => self.banner = Some(error.detail),
                }
            }
        }
    }

    fn on_chat(&mut self, record: ChatRecord) {
        if let Some(client_id) = &record.client_id {
            self.outbox.retain(|pending| {
                !(pending.client_id == *client_id && pending.room == record.room)
            });
        }
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

    fn on_joined(&mut self, room: &RoomName, last_id: u64) {
        let Some(view) = self.rooms.get_mut(room) else {
            return;
        };
        if view.last_seen.is_some_and(|seen| last_id < seen) {
            // The server's log is shorter than what we saw: its history was reset. Start over
            // rather than show two different messages under one id.
            *view = RoomView::default();
            self.banner = Some(format!("#{room}'s history was reset on the server"));
        }
        let view = self.rooms.entry(room.clone()).or_default();
        view.last_seen = Some(view.last_seen.unwrap_or(0).max(last_id));
    }

    fn on_history(&mut self, room: &RoomName, records: Vec<ChatRecord>, page_size: usize) {
        let Some(view) = self.rooms.get_mut(room) else {
            return;
        };
        let reached_start = records.len() < page_size || records.first().is_some_and(|r| r.id <= 1);
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
                text: format!("{username} {verb}"),
            });
            self.notice_seq += 1;
        }
    }
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

    fn chat(record: ChatRecord) -> ChatAction {
        ChatAction::Server {
            msg: ServerMsg::Chat(record),
            now: 0.0,
        }
    }

    fn state() -> ChatState {
        ChatState::new(name("me"), vec![room("general"), room("rust")], None)
    }

    #[wasm_bindgen_test]
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

    #[wasm_bindgen_test]
    fn history_and_live_messages_merge_in_id_order() {
        let mut state = state();
        state.apply(chat(record("general", 7, "bob", None)));
        state.apply(ChatAction::HistoryLoaded {
            room: room("general"),
            records: (3..=7)
                .map(|id| record("general", id, "ann", None))
                .collect(),
            page_size: 5,
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

    #[wasm_bindgen_test]
    fn a_confirmed_send_leaves_the_outbox_and_a_refused_one_stays_marked() {
        let mut state = state();
        for id in ["c1", "c2"] {
            state.apply(ChatAction::Queue(Pending {
                client_id: ClientId::parse(id).unwrap(),
                room: room("general"),
                text: "hi".into(),
                failed: None,
            }));
        }
        state.apply(chat(record("general", 1, "me", Some("c1"))));
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
        assert_eq!(state.outbox[0].failed.as_deref(), Some("too long"));
        assert_eq!(
            state.resendable().count(),
            0,
            "refused sends are not retried blindly"
        );
        state.apply(ChatAction::Retry(ClientId::parse("c2").unwrap()));
        assert_eq!(state.resendable().count(), 1);
    }

    #[wasm_bindgen_test]
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

    #[wasm_bindgen_test]
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

    #[wasm_bindgen_test]
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

    #[wasm_bindgen_test]
    fn a_shorter_log_on_rejoin_resets_the_room() {
        let mut state = state();
        state.apply(chat(record("general", 9, "bob", None)));
        state.apply(ChatAction::Server {
            msg: ServerMsg::Joined {
                room: room("general"),
                last_id: 2,
            },
            now: 0.0,
        });
        let view = state.current_room().unwrap();
        assert!(view.messages.is_empty());
        assert_eq!(view.last_seen, Some(2));
        assert!(state.banner.is_some());
    }
}
