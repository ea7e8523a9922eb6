//! The connection badge: connecting, open, reconnecting, offline or banned, and the transport when it
//! is not a WebSocket.

use crate::{
    chat::{state::Status, transport::TransportKind},
    testid,
};
use yew::prelude::*;

/// Shows the connection's state (`status`) in words and colour, and how the client reaches
/// the server (`transport`).
pub fn status_badge(status: Status, transport: TransportKind) -> Html {
    let label = match status {
        Status::Connecting => "Connecting…",
        Status::Open => "Connected",
        Status::Reconnecting => "Reconnecting…",
        Status::Offline => "Offline",
        Status::Banned => "Banned",
    };
    // The usual transport goes unsaid; a fallback is worth knowing about.
    let via = match transport {
        TransportKind::WebSocket => String::new(),
        other => format!(" · {}", other.label()),
    };
    html! {
        <span class={classes!("badge", status.as_str())} role="status"
            data-testid={testid::STATUS} data-state={status.as_str()}
            data-transport={transport.as_str()}>
            { label }{ via }
        </span>
    }
}
