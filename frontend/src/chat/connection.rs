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

#[cfg(test)]
mod tests {
    use chinwag_shared::{ChatRecord, Epoch, ErrorCode, ErrorFrame, RoomName, ServerMsg, Username};
    use wasm_bindgen_test::wasm_bindgen_test;

    // The shared crate checks `from_json` against serde's derived decoder natively; this is
    // the same check in the browser, where the variants' fields are read by the wasm build's
    // object-only readers (`chinwag_shared`'s `object_only`).
    #[wasm_bindgen_test(unsupported = test)]
    fn every_kind_of_frame_reads_back_in_this_build() {
        let room = RoomName::parse("general").unwrap_or_else(|err| panic!("{err}"));
        let bob = Username::parse("bob").unwrap_or_else(|err| panic!("{err}"));
        let frames = [
            ServerMsg::Chat(ChatRecord {
                id: 7,
                room: room.clone(),
                username: bob.clone(),
                message: "hi".to_owned(),
                ts: 1,
                guest: true,
                bot: false,
                client_id: None,
                change: None,
                edited: Some(8),
                deleted: None,
            }),
            ServerMsg::Joined {
                room: room.clone(),
                last_id: 42,
                epoch: Some(Epoch::from("k3x9")),
            },
            ServerMsg::HistoryReset {
                room: room.clone(),
                epoch: Epoch::from("k3x9"),
            },
            ServerMsg::Left { room: room.clone() },
            ServerMsg::Presence {
                room: room.clone(),
                users: vec![bob.clone()],
                guests: vec![bob.clone()],
                count: Some(500),
            },
            ServerMsg::PresenceDiff {
                room: room.clone(),
                arrived: vec![bob.clone()],
                guests: vec![],
                departed: vec![],
                count: 501,
            },
            ServerMsg::UserJoined {
                room: room.clone(),
                username: bob.clone(),
                guest: true,
            },
            ServerMsg::UserLeft {
                room: room.clone(),
                username: bob.clone(),
            },
            ServerMsg::Typing {
                room: room.clone(),
                username: bob,
            },
            ServerMsg::Error(ErrorFrame {
                code: ErrorCode::SlowMode,
                detail: "wait".to_owned(),
                room: Some("general".to_owned()),
                client_id: Some("c-9".to_owned()),
                retry_after_ms: Some(1_500),
            }),
            ServerMsg::RoomsChanged,
            ServerMsg::ReadMarker {
                room: room.clone(),
                id: 12,
            },
            ServerMsg::RoomSettingsChanged { room },
        ];
        for frame in frames {
            let text = serde_json::to_string(&frame).unwrap_or_else(|err| panic!("{err}"));
            let decoded = ServerMsg::from_json(&text).unwrap_or_else(|err| panic!("{text}: {err}"));
            assert_eq!(decoded, frame, "{text}");
        }
    }
}
