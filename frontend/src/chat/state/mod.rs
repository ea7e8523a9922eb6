//! The chat state and its reducer: everything the UI shows, changed only by [`ChatAction`]s.
//!
//! Pure (no DOM, no network, time passed in), so every rule is tested natively and in the
//! browser ([`tests`]). [`ChatState::apply`] routes each action to the file of its concept:
//!
//! - [`room`]: one joined room's log, keyed by id so a record delivered twice is listed once,
//!   and how a live record lands in it (unread counts, the directory's newest ids);
//! - [`changes`]: edits and deletions folded into the messages they target;
//! - [`read`]: read markers, and the unread and mention counts they leave;
//! - [`standing`]: the room's settings, this person's role, and what bans, kicks, mutes
//!   and slow mode hold back;
//! - [`history`]: epochs, `joined`, `history_reset` and the pages loaded over HTTP;
//! - [`outbox`]: sends not yet confirmed, each a [`SendState`], with per-message backoff;
//! - [`presence`]: who is here (and which of them are guests) and who is typing;
//! - [`access`]: this account's private rooms and direct messages, and rooms the server
//!   refuses or takes away;
//! - [`cow`]: the copy-on-write maps and lists the state keeps its collections in.
//!
//! The controller (`chat/controller/`) reads the state to decide what to send; the
//! components only show it.

mod access;
mod changes;
mod cow;
mod history;
mod outbox;
mod presence;
mod read;
mod room;
mod standing;
#[cfg(test)]
mod tests;

pub use access::RoomKind;
pub use cow::{SharedList, SharedMap};
pub use history::HISTORY_PAGE;
pub use outbox::{Pending, SendState};
pub use presence::PRESENCE_PAGE;
pub use read::Unread;
pub use room::{HISTORY_RESET_NOTICE, Notice, NoticeKind, RoomView, history_replaced};
pub use standing::{Barred, Hold};

use super::transport::TransportKind;
use chinwag_shared::{
    ChatRecord, ClientId, Epoch, RoomName, RoomSummary, ServerMsg, Username, account::RoomInfo,
    moderation::RoomSettings,
};
use presence::Movement;
use std::rc::Rc;
use yew::Reducible;

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
    /// The server banned this account from the whole site and closed the connection
    /// (close 4003): no reconnect is tried, since it would only be refused.
    Banned,
}

impl Status {
    /// The value of the badge's `data-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Connecting => "connecting",
            Status::Open => "open",
            Status::Reconnecting => "reconnecting",
            Status::Offline => "offline",
            Status::Banned => "banned",
        }
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
    pub rooms: SharedMap<RoomName, RoomView>,
    /// The server's busiest rooms, busiest first: at most [`BUSIEST_ROOMS`], for the sidebar.
    pub directory: Vec<RoomSummary>,
    /// The connection.
    pub status: Status,
    /// How the client reaches the server.
    pub transport: TransportKind,
    /// Sends awaiting confirmation, oldest first.
    pub outbox: SharedList<Pending>,
    /// Whether the tab is hidden.
    pub page_hidden: bool,
    /// A problem to show that concerns no single message.
    pub banner: Option<String>,
    /// A word that something asked for was done ("bob was muted"), until dismissed.
    pub info: Option<String>,
    /// The private rooms and direct messages this account is a member of.
    pub memberships: SharedMap<RoomName, RoomInfo>,
    /// Unread counts the server's room lists gave, for rooms not joined (see [`read`]).
    pub listed_unread: SharedMap<RoomName, Unread>,
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
        /// The requested page size. A shorter page does not mean the start of the log was
        /// reached (the server stops a page short at its byte budget); only id 1 does.
        page_size: usize,
        /// The epoch the page's ids belong to, if the server named one. A page of another
        /// epoch than the room's is dropped: it answers a question about a history that is gone.
        epoch: Option<Epoch>,
    },
    /// A further page of a big room's presence list arrived over HTTP (names after the last
    /// one shown, sorted; `page_size` is what was asked for).
    PresencePage {
        /// The room.
        room: RoomName,
        /// The names, sorted.
        names: Vec<Username>,
        /// The requested page size: a shorter page is the last.
        page_size: usize,
    },
    /// A page of the server's room list arrived, busiest first.
    RoomsListed(Vec<RoomSummary>),
    /// The private rooms and direct messages this account is a member of arrived.
    MyRoomsListed(Vec<RoomInfo>),
    /// A private room was created, or a direct message opened.
    RoomAdded(RoomInfo),
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
    /// Show or clear the word that something was done.
    Info(Option<String>),
    /// A room's settings arrived (or changed).
    Settings(RoomSettings),
    /// The person asked to come back into a room they were banned or kicked from.
    Rejoin(RoomName),
}

impl ChatState {
    /// The state of a fresh screen: `rooms` joined (the default room at least), `current` shown.
    pub fn new(me: Username, rooms: Vec<RoomName>, current: Option<RoomName>) -> Self {
        let mut joined: SharedMap<RoomName, RoomView> = rooms
            .into_iter()
            .map(|room| (room, RoomView::default()))
            .collect();
        let current = current.unwrap_or_else(RoomName::default_room);
        joined.get_or_insert_with(current.clone(), RoomView::default);
        Self {
            me,
            current,
            rooms: joined,
            directory: Vec::new(),
            status: Status::Connecting,
            transport: TransportKind::WebSocket,
            outbox: SharedList::default(),
            page_hidden: false,
            banner: None,
            info: None,
            memberships: SharedMap::default(),
            listed_unread: SharedMap::default(),
            notice_seq: 0,
        }
    }

    /// The room on screen.
    pub fn current_room(&self) -> Option<&RoomView> {
        self.rooms.get(&self.current)
    }

    /// Unread messages across rooms (the one on screen too, while the tab is hidden), for
    /// the tab title.
    pub fn total_unread(&self) -> u32 {
        self.rooms.values().map(|room| room.unread).sum::<u32>()
    }

    /// Applies one action; then the room on screen, if the tab is visible, is read.
    pub fn apply(&mut self, action: ChatAction) {
        self.route(action);
        self.mark_current_read();
    }

    fn route(&mut self, action: ChatAction) {
        match action {
            ChatAction::Server { msg, now } => self.on_server(msg, now),
            ChatAction::HistoryLoaded {
                room,
                records,
                page_size,
                epoch,
            } => self.on_history(&room, records, page_size, epoch.as_ref()),
            ChatAction::PresencePage {
                room,
                names,
                page_size,
            } => self.on_presence_page(&room, names, page_size),
            ChatAction::RoomsListed(mut rooms) => {
                let counted = rooms
                    .iter()
                    .filter_map(|s| Some((s.room.clone(), Unread::of_summary(s)?)))
                    .collect();
                self.on_listed_unread(counted);
                // A server from before the list was paged answers with every room it has.
                rooms.truncate(BUSIEST_ROOMS);
                self.directory = rooms;
            }
            ChatAction::MyRoomsListed(rooms) => self.on_my_rooms(rooms),
            ChatAction::RoomAdded(info) => self.on_room_added(info),
            ChatAction::Status(status) => self.status = status,
            ChatAction::Transport(kind) => self.transport = kind,
            ChatAction::OpenRoom(room) => {
                self.rooms
                    .get_or_insert_with(room.clone(), RoomView::default)
                    .unread = 0;
                self.current = room;
            }
            ChatAction::Queue(pending) => self.outbox.push(pending),
            ChatAction::Retry(client_id) => self.retry(&client_id),
            ChatAction::Resent(client_ids) => self.resent(&client_ids),
            ChatAction::Discard(client_id) => {
                self.outbox.retain(|pending| pending.client_id != client_id);
            }
            ChatAction::PageVisibility { hidden } => self.page_hidden = hidden,
            ChatAction::ExpireTyping { now } => self.expire_typing(now),
            ChatAction::Banner(banner) => self.banner = banner,
            ChatAction::Info(info) => self.info = info,
            ChatAction::Settings(settings) => self.on_settings(settings),
            ChatAction::Rejoin(room) => self.rejoin(&room),
        }
    }

    fn on_server(&mut self, msg: ServerMsg, now: f64) {
        match msg {
            ServerMsg::Chat(record) => self.on_chat(record, now),
            ServerMsg::Joined {
                room,
                last_id,
                epoch,
            } => self.on_joined(&room, last_id, epoch),
            ServerMsg::HistoryReset { room, epoch } => self.on_history_reset(&room, epoch),
            ServerMsg::Left { room } => self.on_left(&room),
            ServerMsg::Presence {
                room,
                users,
                guests,
                count,
            } => self.on_presence(&room, users, guests, count),
            ServerMsg::PresenceDiff {
                room,
                arrived,
                guests,
                departed,
                count,
            } => self.on_presence_diff(&room, arrived, &guests, &departed, count),
            ServerMsg::UserJoined {
                room,
                username,
                guest,
            } => self.on_presence_change(&room, username, Movement::Arrived { guest }),
            ServerMsg::UserLeft { room, username } => {
                self.on_presence_change(&room, username, Movement::Left);
            }
            ServerMsg::Typing { room, username } => self.on_typing(&room, username, now),
            ServerMsg::Error(error) if error.client_id.is_none() => self.on_room_error(error),
            ServerMsg::Error(error) => self.on_error(error, now),
            // The controller asks for the memberships again; nothing to show until they come.
            ServerMsg::RoomsChanged => {}
            ServerMsg::ReadMarker { room, id } => self.on_read_marker(&room, id),
            // The controller asks for the settings again; they arrive as `Settings`.
            ServerMsg::RoomSettingsChanged { .. } => {}
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
