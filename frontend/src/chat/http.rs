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
//!
//! A follower names the history epoch with each request. When the server answers that the
//! epoch is gone, the follower reports `history_reset` and starts again from id 0 under the
//! new one, as a socket's resume would.
//!
//! A room the server refuses (403 `forbidden`: a private room this person is not in, or was
//! removed from; 403 `banned`) stops only its own follower, which reports the error frame a
//! socket would send for it; the other rooms' followers go on. Any other failure ends the
//! whole transport, like a dropped socket, and the controller reconnects.

use super::{
    api::{self, HistoryError, HistoryPage},
    connection::ConnEvent,
};
use crate::sorted::SortedMap;
use chinwag_shared::{
    ClientId, ClientMsg, ClientToken, Epoch, ErrorFrame, MessageText, RoomName, ServerMsg, Username,
};
use gloo_timers::future::TimeoutFuture;
use std::{
    cell::{Cell, RefCell},
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
    followers: RefCell<SortedMap<RoomName, Rc<Cell<bool>>>>,
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
            chinwag_shared::Request::Join {
                room, after, epoch, ..
            } => self.follow(room, after, epoch),
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

    fn follow(&self, room: RoomName, after: Option<u64>, epoch: Option<Epoch>) {
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
        wasm_bindgen_futures::spawn_local(follower.run(after, epoch));
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

/// Where a follower is in its room's history.
struct Cursor {
    /// The newest id reported.
    after: u64,
    /// The epoch `after` belongs to, once known.
    epoch: Option<Epoch>,
}

impl Follower {
    async fn run(self, after: Option<u64>, epoch: Option<Epoch>) {
        // Like a socket join: replay what is missed (or start at the newest), then "joined".
        let mut cursor = match after {
            Some(after) => Cursor { after, epoch },
            None => match api::newest(&self.room).await {
                Ok(page) => Cursor {
                    after: page.records.last().map_or(0, |record| record.id),
                    epoch: page.epoch,
                },
                Err(err) => return self.stop(err),
            },
        };
        if !self.catch_up(&mut cursor, None).await {
            return;
        }
        self.emit(ServerMsg::Joined {
            room: self.room.clone(),
            last_id: cursor.after,
            epoch: cursor.epoch.clone(),
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
            if !self.catch_up(&mut cursor, wait).await {
                return;
            }
        }
    }

    /// Fetches and reports records after the cursor (a long-poll if `wait`), and moves it on.
    /// A reset history is reported and then followed from its start at once. `false` once
    /// the follower should stop.
    async fn catch_up(&self, cursor: &mut Cursor, mut wait: Option<u32>) -> bool {
        let mut reset = false;
        loop {
            if !self.alive.get() {
                return false;
            }
            let result =
                api::messages_after(&self.room, cursor.after, wait, cursor.epoch.as_ref()).await;
            if !self.alive.get() {
                return false;
            }
            match result {
                Ok(page) => {
                    self.advance(cursor, page);
                    return true;
                }
                // A second reset in a row means the server has not settled on an epoch: that
                // counts as a failure, so the reconnect's backoff paces the next attempts.
                Err(HistoryError::Reset { epoch }) if !reset => {
                    reset = true;
                    wait = None;
                    // A server that names no epoch resets to none: the reducer reads an empty
                    // epoch as that.
                    self.emit(ServerMsg::HistoryReset {
                        room: self.room.clone(),
                        epoch: epoch.clone().unwrap_or_else(|| Epoch::from("")),
                    });
                    *cursor = Cursor { after: 0, epoch };
                }
                Err(err) => {
                    self.stop(err);
                    return false;
                }
            }
        }
    }

    /// Reports `page` and moves the cursor past it.
    fn advance(&self, cursor: &mut Cursor, page: HistoryPage) {
        if page.epoch.is_some() {
            cursor.epoch = page.epoch;
        }
        for record in page.records {
            cursor.after = cursor.after.max(record.id);
            self.emit(ServerMsg::Chat(record));
        }
    }

    async fn refresh_presence(&self) {
        if let Ok(users) = api::presence(&self.room).await
            && self.alive.get()
        {
            self.emit(ServerMsg::Presence {
                room: self.room.clone(),
                users,
                guests: Vec::new(),
                count: None,
            });
        }
    }

    fn emit(&self, msg: ServerMsg) {
        self.events.emit(ConnEvent::Message(Box::new(msg)));
    }

    /// Ends this follower after `err`. A refused room goes as a socket's `forbidden` frame
    /// would take it (see the module docs); anything else ends the transport.
    fn stop(&self, err: HistoryError) {
        match err {
            HistoryError::Forbidden { code, detail } => {
                if self.alive.replace(false) {
                    self.emit(ServerMsg::Error(ErrorFrame {
                        code,
                        detail,
                        room: Some(self.room.to_string()),
                        client_id: None,
                        retry_after_ms: None,
                    }));
                }
            }
            err => self.fail(err.to_string()),
        }
    }

    /// A failed request ends this transport, like a dropped socket: the controller reconnects.
    fn fail(&self, reason: String) {
        if self.alive.replace(false) {
            self.events.emit(ConnEvent::Closed { code: 1006, reason });
        }
    }
}
