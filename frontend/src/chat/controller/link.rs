//! The link to the server: opening the transport, what happens when it opens, what it
//! delivers, and reconnecting after it closes.
//!
//! Every decision about reconnecting (how long to wait, whether to give up on WebSockets)
//! belongs to the pure [`Reconnect`] policy; this file carries it out with a timer and tells
//! the reducer the status. On open, every joined room resumes from its last seen id under the
//! history epoch that id belongs to (a server whose history was replaced answers
//! `history_reset` and replays the new one), and every in-flight send goes again with its
//! `client_id`, which the server stores once however often it arrives. A send waiting out a
//! refusal for now keeps waiting for its own timer ([`super::sends`]). A socket closed
//! because the account was banned from the whole site (4003) is not reopened.

use super::{Controller, browser, with};
use crate::chat::{
    connection::ConnEvent,
    reconnect::{Next, Reconnect},
    state::{ChatAction, RoomKind, Status},
    transport::{Transport, TransportKind},
};
use chinwag_shared::{
    ClientMsg, RoomName, ServerMsg, account::CLOSE_CREDENTIAL_EXPIRED, moderation::CLOSE_BANNED,
};
use gloo::timers::callback::Timeout;
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};
use yew::Callback;

/// The transport and the reconnect state around it.
pub(super) struct Link {
    /// The current transport, if one is open or opening.
    conn: RefCell<Option<Transport>>,
    /// The room joined through the URL of the current connection; others are joined by frame.
    url_room: RefCell<Option<RoomName>>,
    policy: RefCell<Reconnect>,
    /// Whether a transport has opened before: the chat's start loaded the room directory, so
    /// only later opens (after a drop, when it may have changed) load it again.
    opened_before: Cell<bool>,
    /// Fires the next attempt.
    retry_timer: RefCell<Option<Timeout>>,
}

impl Link {
    /// No transport yet; the first will be `forced`, or a WebSocket.
    pub(super) fn new(forced: Option<TransportKind>) -> Self {
        Self {
            conn: RefCell::default(),
            url_room: RefCell::default(),
            policy: RefCell::new(Reconnect::new(forced)),
            opened_before: Cell::new(false),
            retry_timer: RefCell::default(),
        }
    }

    /// The transport to open next.
    pub(super) fn kind(&self) -> TransportKind {
        self.policy.borrow().kind()
    }

    /// Sends `msg` if a transport can take it now.
    pub(super) fn send(&self, msg: &ClientMsg) -> bool {
        self.conn
            .borrow()
            .as_ref()
            .is_some_and(|conn| conn.send(msg))
    }

    /// Cancels the scheduled attempt, if any.
    pub(super) fn stop_retrying(&self) {
        self.retry_timer.borrow_mut().take();
    }

    /// Closes the transport, detaching its handlers first (see [`Transport`]).
    pub(super) fn close(&self) {
        self.conn.borrow_mut().take();
    }
}

impl Controller {
    /// Retries at once unless a connection is open or on its way, or the site banned this
    /// account.
    pub(super) fn connect_now(self: &Rc<Self>) {
        let busy = self
            .link
            .conn
            .borrow()
            .as_ref()
            .is_some_and(Transport::is_busy);
        let banned = self.latest.borrow().status == Status::Banned;
        if !busy && !banned {
            self.link.policy.borrow_mut().retry_now();
            self.connect();
        }
    }

    /// Opens a transport of the policy's kind, replacing the current one.
    pub(super) fn connect(self: &Rc<Self>) {
        self.link.stop_retrying();
        // The old transport goes first, so its followers or socket stop before new ones start.
        self.link.close();
        let (url, room) = self.socket_url();
        let weak = Rc::downgrade(self);
        let on_event = Callback::from(move |event| with(&weak, |this| this.on_event(event)));
        let kind = self.link.policy.borrow_mut().connecting();
        match Transport::open(kind, &url, &self.me, self.token.as_ref(), on_event) {
            Ok(transport) => {
                let url_room = transport.joins_url_room().then_some(room);
                *self.link.conn.borrow_mut() = Some(transport);
                *self.link.url_room.borrow_mut() = url_room;
            }
            Err(_) => {
                let next = self
                    .link
                    .policy
                    .borrow_mut()
                    .open_failed(js_sys::Math::random());
                self.reconnect_after(next);
            }
        }
    }

    /// `/socket` on this page's host, joining the current room and resuming it if possible.
    fn socket_url(&self) -> (String, RoomName) {
        let state = self.latest.borrow();
        let location = web_sys::window().map(|window| window.location());
        let host = location
            .as_ref()
            .and_then(|l| l.host().ok())
            .unwrap_or_default();
        let secure = location
            .and_then(|l| l.protocol().ok())
            .is_some_and(|protocol| protocol == "https:");
        let scheme = if secure { "wss" } else { "ws" };
        let room = state.current.clone();
        let mut url = format!(
            "{scheme}://{host}/socket?room={room}&username={}",
            js_sys::encode_uri_component(self.me.as_str())
        );
        if let Some(view) = state.rooms.get(&room)
            && let Some(after) = view.last_seen
        {
            url.push_str(&format!("&after={after}"));
            if let Some(epoch) = &view.epoch {
                url.push_str(&format!(
                    "&epoch={}",
                    js_sys::encode_uri_component(epoch.as_str())
                ));
            }
        }
        if let Some(token) = &self.token {
            url.push_str(&format!("&token={token}"));
        }
        (url, room)
    }

    fn on_event(self: &Rc<Self>, event: ConnEvent) {
        match event {
            ConnEvent::Open => self.on_open(),
            ConnEvent::Message(msg) => self.on_message(*msg),
            ConnEvent::Closed { code, reason } => {
                gloo::console::info!(format!("connection closed: {code} {reason}"));
                // Reconnected like any other drop (resuming from the last seen ids); the
                // session finds out meanwhile whether the account is still signed in.
                if code == CLOSE_CREDENTIAL_EXPIRED {
                    self.identity.credential_expired.emit(());
                }
                if code == CLOSE_BANNED {
                    // Banned from the whole site: a reconnect would only be refused. A
                    // reload tries again (the ban may have ended by then).
                    self.dispatch.dispatch(ChatAction::Status(Status::Banned));
                    self.dispatch.dispatch(ChatAction::Banner(Some(
                        "You are banned from this server. Reload the page once the ban ends."
                            .to_owned(),
                    )));
                    return;
                }
                let next = self.link.policy.borrow_mut().closed(js_sys::Math::random());
                self.reconnect_after(next);
            }
        }
    }

    fn on_open(self: &Rc<Self>) {
        self.link.policy.borrow_mut().opened();
        self.dispatch.dispatch(ChatAction::Status(Status::Open));
        let url_room = self.link.url_room.borrow().clone();
        let state = self.latest.borrow().clone();
        for (room, view) in state.rooms.iter() {
            // A room a ban or kick barred is joined again only when the person asks.
            let barred = view.standing.barred.is_some() || self.barred.contains(room);
            if Some(room) != url_room.as_ref() && !barred {
                self.send(&view.resume_join(room));
            }
        }
        for pending in state.resendable() {
            self.send(&super::sends::send_msg(pending));
        }
        if self.link.opened_before.replace(true) {
            self.refresh_directory();
        }
    }

    fn on_message(self: &Rc<Self>, msg: ServerMsg) {
        match &msg {
            ServerMsg::Joined {
                room,
                last_id,
                epoch,
            } => {
                // The first join of the room whose page was asked for early settles with it.
                let joined = super::head_start::Joined {
                    last_id: *last_id,
                    epoch: epoch.clone(),
                };
                let settled = self.head_start_joined(room, joined);
                // A join that resets the room (see `RoomView::join_resets`) brought no replay.
                let loaded = settled
                    || self.latest.borrow().rooms.get(room).is_some_and(|view| {
                        view.loaded && !view.join_resets(*last_id, epoch.as_ref())
                    });
                if !loaded {
                    self.load_page(room.clone(), last_id + 1);
                }
            }
            ServerMsg::HistoryReset { room, .. } => {
                gloo::console::info!(format!("#{room}'s history was reset on the server"));
            }
            ServerMsg::RoomsChanged => self.refresh_my_rooms(),
            ServerMsg::Chat(record) if browser::page_hidden() => self.notify_if_for_me(record),
            _ => {}
        }
        if let Some(room) = super::access::removed_room(&msg) {
            self.head_start_room_removed(&room);
        }
        self.watch_standing(&msg);
        self.check_guest_name(&msg);
        let replacement = self.replacement_for(&msg);
        self.dispatch.dispatch(ChatAction::Server {
            msg,
            now: js_sys::Date::now(),
        });
        if let Some((next, unjoined)) = replacement {
            self.after_removal(next, unjoined);
        }
    }

    /// While the tab is hidden: a desktop notification for a new message that mentions this
    /// person or comes in a direct message (not for edits, deletions or one's own).
    fn notify_if_for_me(&self, record: &chinwag_shared::ChatRecord) {
        if !record.is_live_message() || record.username == self.me {
            return;
        }
        let state = self.latest.borrow();
        let known = state
            .rooms
            .get(&record.room)
            .is_some_and(|view| view.messages.contains_key(&record.id));
        if known {
            return;
        }
        let title = if chinwag_shared::mentions(&record.message, &self.me) {
            format!(
                "{} mentioned you in {}",
                record.username,
                state.room_label(&record.room)
            )
        } else if matches!(state.kind_of(&record.room), RoomKind::Direct { .. }) {
            format!("{} wrote to you", record.username)
        } else {
            return;
        };
        browser::notify(&title, &record.message);
    }

    /// Carries out the policy's `next`: shows the fallback and the status, and arms the timer
    /// of the next attempt.
    fn reconnect_after(self: &Rc<Self>, next: Next) {
        if let Next::FallBack { to, .. } = next {
            self.dispatch.dispatch(ChatAction::Transport(to));
        }
        let status = if browser::online() {
            Status::Reconnecting
        } else {
            Status::Offline
        };
        self.dispatch.dispatch(ChatAction::Status(status));
        let weak = Rc::downgrade(self);
        *self.link.retry_timer.borrow_mut() = Some(Timeout::new(next.delay_ms(), move || {
            with(&weak, |this| this.connect());
        }));
    }
}
