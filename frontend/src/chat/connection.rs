//! One WebSocket and the four closures attached to it.
//!
//! The closures are owned here, never `forget()`-ed: when a [`Connection`] is dropped it first
//! detaches every handler and then closes the socket, so a replaced connection can neither
//! leak nor deliver stale events. Frames are decoded with the shared crate's types; anything
//! that does not decode is logged and skipped.

use chinwag_shared::{ClientMsg, ServerMsg};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};
use yew::Callback;

/// What a connection reports.
#[derive(Debug, Clone)]
pub enum ConnEvent {
    /// The socket is open.
    Open,
    /// A frame arrived.
    Message(Box<ServerMsg>),
    /// The socket closed (or never opened).
    Closed {
        /// The close code (1006 when the connection failed).
        code: u16,
        /// The server's reason, if any.
        reason: String,
    },
}

/// An open or opening WebSocket.
pub struct Connection {
    socket: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Connection {
    /// Opens a socket to `url`; events go to `on_event`.
    pub fn open(url: &str, on_event: Callback<ConnEvent>) -> Result<Self, JsValue> {
        let socket = WebSocket::new(url)?;

        let events = on_event.clone();
        let on_open =
            Closure::<dyn FnMut(Event)>::new(move |_: Event| events.emit(ConnEvent::Open));

        let events = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return; // the protocol is text only
            };
            match ServerMsg::from_json(&text) {
                Ok(msg) => events.emit(ConnEvent::Message(Box::new(msg))),
                Err(err) => gloo::console::warn!(format!("undecodable frame: {err}: {text}")),
            }
        });

        let events = on_event;
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            events.emit(ConnEvent::Closed {
                code: event.code(),
                reason: event.reason(),
            });
        });

        // An error is always followed by a close event, which is where reconnecting starts.
        let on_error = Closure::<dyn FnMut(Event)>::new(|_: Event| {});

        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        socket.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            socket,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
            _on_error: on_error,
        })
    }

    /// Whether frames can be sent now.
    pub fn is_open(&self) -> bool {
        self.socket.ready_state() == WebSocket::OPEN
    }

    /// Whether the socket is still connecting.
    pub fn is_connecting(&self) -> bool {
        self.socket.ready_state() == WebSocket::CONNECTING
    }

    /// Sends `msg` if the socket is open; `false` if it could not be sent.
    pub fn send(&self, msg: &ClientMsg) -> bool {
        if !self.is_open() {
            return false;
        }
        match serde_json::to_string(msg) {
            Ok(text) => self.socket.send_with_str(&text).is_ok(),
            Err(_) => false,
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        self.socket.set_onerror(None);
        let _already_closed = self.socket.close();
    }
}
