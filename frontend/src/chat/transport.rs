//! One interface over the three ways to reach the server: a WebSocket, long-polling, and
//! polling. The controller opens a [`Transport`] of a [`TransportKind`] and talks to it the
//! same way whichever it is; dropping it closes it.

use super::{
    connection::{ConnEvent, Connection},
    http::{HttpTransport, Mode},
};
use chinwag_shared::{ClientMsg, ClientToken, Username};
use wasm_bindgen::JsValue;
use yew::Callback;

/// Seconds the server may hold a long-poll (the server's maximum is 30).
const LONG_POLL_WAIT_SECS: u32 = 25;

/// Milliseconds between plain polls.
const POLL_INTERVAL_MS: u32 = 2_000;

/// Which way the client talks to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// A WebSocket on `/socket`: the server pushes.
    WebSocket,
    /// HTTP requests the server holds until there is news.
    LongPoll,
    /// HTTP requests at an interval.
    Poll,
}

impl TransportKind {
    /// The name used in `?transport=` and in the status badge.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::WebSocket => "websocket",
            TransportKind::LongPoll => "longpoll",
            TransportKind::Poll => "poll",
        }
    }

    /// Parses a `?transport=` value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "websocket" | "ws" => Some(TransportKind::WebSocket),
            "longpoll" | "long-poll" => Some(TransportKind::LongPoll),
            "poll" => Some(TransportKind::Poll),
            _ => None,
        }
    }

    /// What the badge says.
    pub fn label(self) -> &'static str {
        match self {
            TransportKind::WebSocket => "WebSocket",
            TransportKind::LongPoll => "long-polling",
            TransportKind::Poll => "polling",
        }
    }
}

/// An open (or opening) transport.
pub enum Transport {
    /// A WebSocket.
    Socket(Connection),
    /// Long-polling or polling.
    Http(HttpTransport),
}

impl Transport {
    /// Opens a transport of `kind`. `socket_url` is used only for a WebSocket.
    pub fn open(
        kind: TransportKind,
        socket_url: &str,
        me: &Username,
        token: Option<&ClientToken>,
        events: Callback<ConnEvent>,
    ) -> Result<Self, JsValue> {
        let http = |mode| HttpTransport::open(mode, me.clone(), token.cloned(), events.clone());
        Ok(match kind {
            TransportKind::WebSocket => Transport::Socket(Connection::open(socket_url, events)?),
            TransportKind::LongPoll => Transport::Http(http(Mode::LongPoll {
                wait_secs: LONG_POLL_WAIT_SECS,
            })),
            TransportKind::Poll => Transport::Http(http(Mode::Poll {
                interval_ms: POLL_INTERVAL_MS,
            })),
        })
    }

    /// Sends `msg`; `false` if it could not go now.
    pub fn send(&self, msg: &ClientMsg) -> bool {
        match self {
            Transport::Socket(conn) => conn.send(msg),
            Transport::Http(http) => http.send(msg),
        }
    }

    /// Whether it is open or on its way, so a retry now would be redundant.
    pub fn is_busy(&self) -> bool {
        match self {
            Transport::Socket(conn) => conn.is_open() || conn.is_connecting(),
            Transport::Http(_) => true,
        }
    }

    /// Whether the server joins the URL's room itself (only a socket's URL carries one).
    pub fn joins_url_room(&self) -> bool {
        matches!(self, Transport::Socket(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn transport_names_round_trip_and_unknown_ones_are_refused() {
        for kind in [
            TransportKind::WebSocket,
            TransportKind::LongPoll,
            TransportKind::Poll,
        ] {
            assert_eq!(TransportKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(TransportKind::parse("carrier-pigeon"), None);
    }
}
