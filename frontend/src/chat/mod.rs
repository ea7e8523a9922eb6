//! The chat engine behind the UI: [`use_chat`] returns a [`ChatHandle`] of state plus
//! callbacks, and is the only network-facing API components see.
//!
//! A `Controller` owns the live parts — the current [`Connection`], the reconnect timer, the
//! browser event listeners — and turns their events into [`ChatAction`]s for the pure reducer
//! in [`state`]. Its closures hold only weak references to it, and everything it owns is
//! dropped with the component, so nothing outlives the screen.
//!
//! Reconnecting: a closed socket schedules the next attempt with full-jitter backoff; the
//! `online` event and the tab becoming visible retry at once. Every joined room resumes from
//! its last seen id under the history epoch that id belongs to (a server whose history was
//! replaced answers `history_reset` and replays the new one), and every unconfirmed send is
//! re-sent with its `client_id`, which the server stores once however often it arrives.
//!
//! Refused for now: a send the server answered with `unavailable` or `rate_limited` waits out
//! its own backoff (the reducer keeps its time) and goes again with the same `client_id` when
//! one timer, armed for the earliest such time, fires; a reconnect does not send it early.
//!
//! Transports: a WebSocket by default; after two sockets in a row fail to open, long-polling
//! ([`transport`]). `?transport=websocket|longpoll|poll` in the page's URL forces one.

pub mod api;
pub mod backoff;
pub mod connection;
pub mod http;
pub mod state;
pub mod transport;

use crate::storage;
use chinwag_shared::{ClientId, ClientMsg, ClientToken, RoomName, ServerMsg, Username};
use connection::ConnEvent;
use gloo::{
    events::EventListener,
    timers::callback::{Interval, Timeout},
};
use state::{BUSIEST_ROOMS, ChatAction, ChatState, HISTORY_PAGE, Pending, Status};
use std::{
    cell::{Cell, RefCell},
    rc::{Rc, Weak},
};
use transport::{Transport, TransportKind};
use web_sys::{Notification, NotificationOptions, NotificationPermission, VisibilityState};
use yew::prelude::*;

/// Typing notices are sent at most this often while someone types.
const TYPING_THROTTLE_MS: f64 = 3_000.0;

/// What the chat screen gets from [`use_chat`].
#[derive(Clone)]
pub struct ChatHandle {
    /// Everything to show.
    pub state: UseReducerHandle<ChatState>,
    /// Send a message to the current room.
    pub send: Callback<String>,
    /// Join (if needed) and show a room.
    pub open_room: Callback<RoomName>,
    /// The person is typing in the current room.
    pub typing: Callback<()>,
    /// Load the page before the oldest shown message of the current room.
    pub load_older: Callback<()>,
    /// Re-send a refused message.
    pub retry: Callback<ClientId>,
    /// Drop a refused or waiting message.
    pub discard: Callback<ClientId>,
    /// Ask for permission to show desktop notifications.
    pub enable_notifications: Callback<()>,
}

/// Runs the chat for `me` for as long as the calling component lives.
#[hook]
pub fn use_chat(me: Username) -> ChatHandle {
    let state = {
        let me = me.clone();
        use_reducer(move || ChatState::new(me, storage::load_rooms(), storage::load_current_room()))
    };
    let latest = use_mut_ref(|| state.clone());
    *latest.borrow_mut() = state.clone();
    let controller = {
        let dispatch = state.dispatcher();
        let latest = latest.clone();
        use_state(move || Rc::new(Controller::new(me, dispatch, latest)))
    };
    {
        let controller = Rc::clone(&controller);
        use_effect_with((), move |()| {
            controller.start();
            move || controller.stop()
        });
    }
    {
        let controller = Rc::clone(&controller);
        use_effect_with(state.next_resend(), move |at| {
            controller.schedule_resend(*at)
        });
    }
    {
        let rooms: Vec<RoomName> = state.rooms.keys().cloned().collect();
        use_effect_with((rooms, state.current.clone()), |(rooms, current)| {
            storage::save_rooms(rooms, current);
        });
    }
    ChatHandle {
        send: bind(&controller, Controller::send_text),
        open_room: bind(&controller, Controller::open_room),
        typing: bind(&controller, |c, ()| c.typing()),
        load_older: bind(&controller, |c, ()| c.load_older()),
        retry: bind(&controller, Controller::retry),
        discard: bind(&controller, |c, id| {
            c.dispatch.dispatch(ChatAction::Discard(id))
        }),
        enable_notifications: bind(&controller, |_, ()| request_notification_permission()),
        state,
    }
}

/// The live parts of a chat: socket, timers, listeners.
struct Controller {
    me: Username,
    token: Option<ClientToken>,
    dispatch: UseReducerDispatcher<ChatState>,
    latest: Rc<RefCell<UseReducerHandle<ChatState>>>,
    conn: RefCell<Option<Transport>>,
    /// The transport to open next; changes only by fallback, never when forced.
    kind: Cell<TransportKind>,
    forced: bool,
    /// Sockets in a row that closed without ever opening.
    failed_opens: Cell<u32>,
    opened: Cell<bool>,
    /// The room joined through the URL of the current connection; others are joined by frame.
    url_room: RefCell<Option<RoomName>>,
    retry_timer: RefCell<Option<Timeout>>,
    attempts: Cell<u32>,
    /// Fires when the earliest send refused for now is due again.
    resend_timer: RefCell<Option<Timeout>>,
    last_typing_sent: Cell<f64>,
    next_client_id: Cell<u64>,
    listeners: RefCell<Vec<EventListener>>,
    ticker: RefCell<Option<Interval>>,
}

impl Controller {
    fn new(
        me: Username,
        dispatch: UseReducerDispatcher<ChatState>,
        latest: Rc<RefCell<UseReducerHandle<ChatState>>>,
    ) -> Self {
        let forced = forced_transport();
        Self {
            kind: Cell::new(forced.unwrap_or(TransportKind::WebSocket)),
            forced: forced.is_some(),
            failed_opens: Cell::new(0),
            opened: Cell::new(false),
            me,
            token: storage::client_token(),
            dispatch,
            latest,
            conn: RefCell::default(),
            url_room: RefCell::default(),
            retry_timer: RefCell::default(),
            attempts: Cell::new(0),
            resend_timer: RefCell::default(),
            last_typing_sent: Cell::new(0.0),
            next_client_id: Cell::new(0),
            listeners: RefCell::default(),
            ticker: RefCell::default(),
        }
    }

    fn start(self: &Rc<Self>) {
        self.dispatch
            .dispatch(ChatAction::Transport(self.kind.get()));
        self.listen_to_the_browser();
        let weak = Rc::downgrade(self);
        *self.ticker.borrow_mut() = Some(Interval::new(1_000, move || {
            if let Some(this) = weak.upgrade() {
                this.expire_typing();
            }
        }));
        self.refresh_directory();
        self.connect();
    }

    fn stop(&self) {
        self.listeners.borrow_mut().clear();
        self.ticker.borrow_mut().take();
        self.retry_timer.borrow_mut().take();
        self.resend_timer.borrow_mut().take();
        self.conn.borrow_mut().take();
    }

    fn listen_to_the_browser(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let mut listeners = self.listeners.borrow_mut();
        let weak = Rc::downgrade(self);
        listeners.push(EventListener::new(&window, "online", move |_| {
            with(&weak, |this| this.connect_now());
        }));
        let weak = Rc::downgrade(self);
        listeners.push(EventListener::new(&window, "offline", move |_| {
            with(&weak, |this| {
                this.dispatch.dispatch(ChatAction::Status(Status::Offline))
            });
        }));
        if let Some(document) = window.document() {
            let weak = Rc::downgrade(self);
            listeners.push(EventListener::new(
                &document,
                "visibilitychange",
                move |_| {
                    with(&weak, |this| this.on_visibility_change());
                },
            ));
        }
    }

    fn on_visibility_change(self: &Rc<Self>) {
        let hidden = page_hidden();
        self.dispatch
            .dispatch(ChatAction::PageVisibility { hidden });
        if !hidden {
            self.connect_now();
        }
    }

    /// Retries at once unless a connection is open or on its way.
    fn connect_now(self: &Rc<Self>) {
        let busy = self.conn.borrow().as_ref().is_some_and(Transport::is_busy);
        if !busy {
            self.attempts.set(0);
            self.connect();
        }
    }

    fn connect(self: &Rc<Self>) {
        self.retry_timer.borrow_mut().take();
        // The old transport goes first, so its followers or socket stop before new ones start.
        self.conn.borrow_mut().take();
        let (url, room) = self.socket_url();
        let weak = Rc::downgrade(self);
        let on_event = Callback::from(move |event| with(&weak, |this| this.on_event(event)));
        self.opened.set(false);
        match Transport::open(
            self.kind.get(),
            &url,
            &self.me,
            self.token.as_ref(),
            on_event,
        ) {
            Ok(transport) => {
                let url_room = transport.joins_url_room().then_some(room);
                *self.conn.borrow_mut() = Some(transport);
                *self.url_room.borrow_mut() = url_room;
            }
            Err(_) => self.schedule_reconnect(),
        }
    }

    /// Two sockets in a row that never opened: the network (a proxy, a firewall) does not
    /// pass WebSockets here, so fall back to long-polling, unless a transport was forced.
    fn note_failed_open(&self) {
        if self.opened.get() || self.forced || self.kind.get() != TransportKind::WebSocket {
            return;
        }
        let failures = self.failed_opens.get() + 1;
        self.failed_opens.set(failures);
        if failures >= 2 {
            self.kind.set(TransportKind::LongPoll);
            self.attempts.set(0);
            self.dispatch
                .dispatch(ChatAction::Transport(TransportKind::LongPoll));
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
                url.push_str(&format!("&epoch={}", js_sys::encode_uri_component(epoch)));
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
                self.note_failed_open();
                self.schedule_reconnect();
            }
        }
    }

    fn on_open(self: &Rc<Self>) {
        self.attempts.set(0);
        self.opened.set(true);
        self.failed_opens.set(0);
        self.dispatch.dispatch(ChatAction::Status(Status::Open));
        let url_room = self.url_room.borrow().clone();
        let state = self.latest.borrow().clone();
        for (room, view) in state.rooms.iter() {
            if Some(room) != url_room.as_ref() {
                self.send(&view.resume_join(room));
            }
        }
        for pending in state.resendable() {
            self.send(&send_msg(pending));
        }
        self.refresh_directory();
    }

    fn on_message(self: &Rc<Self>, msg: ServerMsg) {
        match &msg {
            ServerMsg::Joined {
                room,
                last_id,
                epoch,
            } => {
                // A join that resets the room (see `RoomView::join_resets`) brought no replay.
                let loaded = self
                    .latest
                    .borrow()
                    .rooms
                    .get(room)
                    .is_some_and(|view| view.loaded && !view.join_resets(*last_id, epoch));
                if !loaded {
                    self.load_page(room.clone(), last_id + 1);
                }
            }
            ServerMsg::HistoryReset { room, .. } => {
                gloo::console::info!(format!("#{room}'s history was reset on the server"));
            }
            ServerMsg::Chat(record) if record.username != self.me && page_hidden() => {
                notify(
                    &format!("{} in #{}", record.username, record.room),
                    &record.message,
                );
            }
            _ => {}
        }
        self.dispatch.dispatch(ChatAction::Server {
            msg,
            now: js_sys::Date::now(),
        });
    }

    fn schedule_reconnect(self: &Rc<Self>) {
        let online = web_sys::window().is_none_or(|window| window.navigator().on_line());
        let status = if online {
            Status::Reconnecting
        } else {
            Status::Offline
        };
        self.dispatch.dispatch(ChatAction::Status(status));
        let attempt = self.attempts.get();
        self.attempts.set(attempt.saturating_add(1));
        let delay = backoff::delay_ms(attempt, js_sys::Math::random());
        let weak = Rc::downgrade(self);
        *self.retry_timer.borrow_mut() = Some(Timeout::new(delay, move || {
            with(&weak, |this| this.connect());
        }));
    }

    /// Arms the timer for `at` (ms since the epoch), the earliest re-send the state holds,
    /// replacing the previous one; `None` disarms it.
    fn schedule_resend(self: &Rc<Self>, at: Option<f64>) {
        let timer = at.map(|at| {
            // Saturating float → int conversion: a past time fires at once.
            let delay = (at - js_sys::Date::now()).ceil().max(0.0) as u32;
            let weak = Rc::downgrade(self);
            Timeout::new(delay, move || with(&weak, |this| this.resend_due()))
        });
        *self.resend_timer.borrow_mut() = timer;
    }

    /// Sends every message whose wait is over. One that cannot go now (no open connection)
    /// still stops waiting, so the next open sends it with the rest.
    fn resend_due(self: &Rc<Self>) {
        let state = self.latest.borrow().clone();
        let due: Vec<ClientId> = state
            .due_resends(js_sys::Date::now())
            .map(|pending| {
                self.send(&send_msg(pending));
                pending.client_id.clone()
            })
            .collect();
        if due.is_empty() {
            // The timer fired a little before the time: wait out the rest.
            self.schedule_resend(state.next_resend());
        } else {
            // The new state's next time re-arms the timer (see `use_chat`).
            self.dispatch.dispatch(ChatAction::Resent(due));
        }
    }

    fn send(&self, msg: &ClientMsg) -> bool {
        self.conn
            .borrow()
            .as_ref()
            .is_some_and(|conn| conn.send(msg))
    }

    fn send_text(self: &Rc<Self>, text: String) {
        let Some(client_id) = self.new_client_id() else {
            return;
        };
        let room = self.latest.borrow().current.clone();
        let pending = Pending::new(client_id, room, text);
        // Queued first: if the socket is down, the pending message shows and goes on reconnect.
        self.send(&send_msg(&pending));
        self.dispatch.dispatch(ChatAction::Queue(pending));
    }

    fn retry(self: &Rc<Self>, client_id: ClientId) {
        self.dispatch.dispatch(ChatAction::Retry(client_id.clone()));
        let state = self.latest.borrow().clone();
        if let Some(pending) = state.outbox.iter().find(|p| p.client_id == client_id) {
            self.send(&send_msg(pending));
        }
    }

    /// A `client_id` unique across tabs and reloads: time, randomness and a counter.
    fn new_client_id(&self) -> Option<ClientId> {
        let n = self.next_client_id.get();
        self.next_client_id.set(n + 1);
        let random = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
        let id = format!("{:x}-{random:08x}-{n}", js_sys::Date::now() as u64);
        ClientId::parse(&id).ok()
    }

    fn open_room(self: &Rc<Self>, room: RoomName) {
        let joined = self.latest.borrow().rooms.contains_key(&room);
        self.dispatch.dispatch(ChatAction::OpenRoom(room.clone()));
        if !joined {
            // If the socket is down, on_open joins every room in the state, this one included.
            self.send(&ClientMsg::Join {
                room: room.to_string(),
                after: None,
                username: None,
                token: None,
                epoch: None,
            });
        }
    }

    fn typing(&self) {
        let now = js_sys::Date::now();
        if now - self.last_typing_sent.get() < TYPING_THROTTLE_MS {
            return;
        }
        let room = self.latest.borrow().current.to_string();
        if self.send(&ClientMsg::Typing {
            room,
            username: None,
        }) {
            self.last_typing_sent.set(now);
        }
    }

    fn load_older(self: &Rc<Self>) {
        let state = self.latest.borrow().clone();
        let oldest = state.current_room().and_then(|view| view.oldest_id());
        if let Some(oldest) = oldest {
            self.load_page(state.current.clone(), oldest);
        }
    }

    /// Fetches the page of `room` just before id `before`.
    fn load_page(&self, room: RoomName, before: u64) {
        let dispatch = self.dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match api::history_before(&room, before, HISTORY_PAGE).await {
                Ok(page) => dispatch.dispatch(ChatAction::HistoryLoaded {
                    room,
                    records: page.records,
                    page_size: HISTORY_PAGE,
                    epoch: page.epoch,
                }),
                Err(err) => dispatch.dispatch(ChatAction::Banner(Some(format!(
                    "Could not load #{room}'s history: {err}"
                )))),
            }
        });
    }

    fn refresh_directory(&self) {
        let dispatch = self.dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(rooms) = api::busiest_rooms(BUSIEST_ROOMS).await {
                dispatch.dispatch(ChatAction::RoomsListed(rooms));
            }
        });
    }

    fn expire_typing(&self) {
        let anyone_typing = self
            .latest
            .borrow()
            .rooms
            .values()
            .any(|view| !view.typing.is_empty());
        if anyone_typing {
            self.dispatch.dispatch(ChatAction::ExpireTyping {
                now: js_sys::Date::now(),
            });
        }
    }
}

/// A callback that runs `f` on the controller.
fn bind<T: 'static>(controller: &Rc<Controller>, f: fn(&Rc<Controller>, T)) -> Callback<T> {
    let controller = Rc::clone(controller);
    Callback::from(move |arg| f(&controller, arg))
}

/// The transport named by `?transport=` in the page's URL, if any.
fn forced_transport() -> Option<TransportKind> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("transport="))
        .and_then(TransportKind::parse)
}

/// Runs `f` on the controller if it still exists.
fn with(weak: &Weak<Controller>, f: impl FnOnce(&Rc<Controller>)) {
    if let Some(this) = weak.upgrade() {
        f(&this);
    }
}

fn send_msg(pending: &Pending) -> ClientMsg {
    ClientMsg::Send {
        room: Some(pending.room.to_string()),
        username: None,
        message: pending.text.clone(),
        client_id: Some(pending.client_id.to_string()),
    }
}

fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .is_some_and(|document| document.visibility_state() == VisibilityState::Hidden)
}

/// Whether the person allowed desktop notifications.
pub fn notifications_allowed() -> bool {
    Notification::permission() == NotificationPermission::Granted
}

fn request_notification_permission() {
    // Browsers without the Notification API make this an error; then there is nothing to ask.
    let _unsupported = Notification::request_permission();
}

fn notify(title: &str, body: &str) {
    if !notifications_allowed() {
        return;
    }
    let options = NotificationOptions::new();
    options.set_body(body);
    let _blocked = Notification::new_with_options(title, &options);
}
