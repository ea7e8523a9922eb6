//! The AJAX transport: the socket protocol spoken over HTTP, as the seed lecture's clients
//! did before WebSockets — by long-polling (a request held until there is news) or by plain
//! polling at an interval.
//!
//! It takes the same [`ClientMsg`]s and reports the same [`ConnEvent`]s as a socket, so the
//! controller and reducer do not know which transport is underneath. A `join` starts a
//! follower for the room: a loop that asks for records after the newest it has and reports
//! each as a `chat` frame, then presence. A `send` is a POST whose answer (the stored record,
//! or the refusal) comes back as the frame the socket would have sent. Typing notices go out
//! but none come in: HTTP has no push. Dropping the transport stops every follower after its
//! request in flight.

use super::{api, connection::ConnEvent};
use chinwag_shared::{
    ChatRecord, ClientId, ClientMsg, ClientToken, MessageText, RoomName, ServerMsg, Username,
};
use gloo_timers::future::TimeoutFuture;
use std::{
    cell::{Cell, RefCell},
    collections::HashMap,
    rc::Rc,
};
use yew::Callback;

/// How a follower asks for news.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Held requests: the server answers when there is a record (or after this many seconds).
    LongPoll {
        /// Seconds the server may hold a request.
        wait_secs: u32,
    },
    /// A request every so often.
    Poll {
        /// Milliseconds between requests.
        interval_ms: u32,
    },
}

/// One HTTP "connection": the followers of its joined rooms.
pub struct HttpTransport {
    mode: Mode,
    me: Username,
    token: Option<ClientToken>,
    events: Callback<ConnEvent>,
    /// Joined rooms → the flag that keeps their follower going.
    followers: RefCell<HashMap<RoomName, Rc<Cell<bool>>>>,
}

impl HttpTransport {
    /// A transport that is "open" at once: it reports `Open` on the next tick.
    pub fn open(
        mode: Mode,
        me: Username,
        token: Option<ClientToken>,
        events: Callback<ConnEvent>,
    ) -> Self {
        let opened = events.clone();
        wasm_bindgen_futures::spawn_local(async move { opened.emit(ConnEvent::Open) });
        Self {
            mode,
            me,
            token,
            events,
            followers: RefCell::default(),
        }
    }

    /// Carries out `msg` over HTTP; always accepted (failures come back as events).
    pub fn send(&self, msg: &ClientMsg) -> bool {
        let Ok(request) = msg.validate() else {
            return false;
        };
        match request {
            chinwag_shared::Request::Join { room, after, .. } => self.follow(room, after),
            chinwag_shared::Request::Leave { room } => {
                if let Some(alive) = self.followers.borrow_mut().remove(&room) {
                    alive.set(false);
                }
                self.events
                    .emit(ConnEvent::Message(Box::new(ServerMsg::Left { room })));
            }
            chinwag_shared::Request::Send {
                room,
                text,
                client_id,
                ..
            } => self.post(room, text, client_id),
            chinwag_shared::Request::Typing { room, .. } => {
                let (me, token) = (self.me.clone(), self.token.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    api::typing(&room, &me, token.as_ref()).await;
                });
            }
        }
        true
    }

    fn post(&self, room: RoomName, text: MessageText, client_id: Option<ClientId>) {
        let (me, token, events) = (self.me.clone(), self.token.clone(), self.events.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let answer =
                api::post_message(&room, &me, &text, client_id.as_ref(), token.as_ref()).await;
            let frame = match answer {
                Ok(record) => ServerMsg::Chat(record),
                Err(refusal) => ServerMsg::Error(refusal),
            };
            events.emit(ConnEvent::Message(Box::new(frame)));
        });
    }

    fn follow(&self, room: RoomName, after: Option<u64>) {
        let alive = Rc::new(Cell::new(true));
        if let Some(previous) = self
            .followers
            .borrow_mut()
            .insert(room.clone(), Rc::clone(&alive))
        {
            previous.set(false);
        }
        let follower = Follower {
            room,
            mode: self.mode,
            events: self.events.clone(),
            alive,
        };
        wasm_bindgen_futures::spawn_local(follower.run(after));
    }
}

impl Drop for HttpTransport {
    fn drop(&mut self) {
        for alive in self.followers.borrow().values() {
            alive.set(false);
        }
    }
}

/// The loop that keeps one room up to date.
struct Follower {
    room: RoomName,
    mode: Mode,
    events: Callback<ConnEvent>,
    alive: Rc<Cell<bool>>,
}

impl Follower {
    async fn run(self, after: Option<u64>) {
        // Like a socket join: replay what is missed (or start at the newest), then "joined".
        let start = match after {
            Some(after) => after,
            None => match api::newest(&self.room).await {
                Ok(newest) => newest.map_or(0, |record| record.id),
                Err(err) => return self.fail(err),
            },
        };
        let Some(mut after) = self.catch_up(start, None).await else {
            return;
        };
        self.emit(ServerMsg::Joined {
            room: self.room.clone(),
            last_id: after,
        });
        loop {
            self.refresh_presence().await;
            let wait = match self.mode {
                Mode::LongPoll { wait_secs } => Some(wait_secs),
                Mode::Poll { interval_ms } => {
                    TimeoutFuture::new(interval_ms).await;
                    None
                }
            };
            match self.catch_up(after, wait).await {
                Some(newest) => after = newest,
                None => return,
            }
        }
    }

    /// Fetches and reports records after `after` (one request; a long-poll if `wait`).
    /// `None` once the follower should stop.
    async fn catch_up(&self, after: u64, wait: Option<u32>) -> Option<u64> {
        if !self.alive.get() {
            return None;
        }
        let result = api::messages_after(&self.room, after, wait).await;
        if !self.alive.get() {
            return None;
        }
        match result {
            Ok(records) => Some(self.report(after, records)),
            Err(err) => {
                self.fail(err);
                None
            }
        }
    }

    fn report(&self, mut after: u64, records: Vec<ChatRecord>) -> u64 {
        for record in records {
            after = after.max(record.id);
            self.emit(ServerMsg::Chat(record));
        }
        after
    }

    async fn refresh_presence(&self) {
        if let Ok(users) = api::presence(&self.room).await
            && self.alive.get()
        {
            self.emit(ServerMsg::Presence {
                room: self.room.clone(),
                users,
            });
        }
    }

    fn emit(&self, msg: ServerMsg) {
        self.events.emit(ConnEvent::Message(Box::new(msg)));
    }

    /// A failed request ends this transport, like a dropped socket: the controller reconnects.
    fn fail(&self, reason: String) {
        if self.alive.replace(false) {
            self.events.emit(ConnEvent::Closed { code: 1006, reason });
        }
    }
}
