//! The connection badge: connecting, open, reconnecting, offline or banned, and the transport when it
//! is not a WebSocket.

use crate::{
    chat::{state::Status, transport::TransportKind},
    testid,
};
use yew::prelude::*;

/// Props of [`StatusBadge`].
#[derive(Properties, PartialEq)]
pub struct StatusBadgeProps {
    /// The connection's state.
    pub status: Status,
    /// How the client reaches the server.
    pub transport: TransportKind,
}

/// Shows the connection's state in words and colour.
#[component]
pub fn StatusBadge(props: &StatusBadgeProps) -> Html {
    let label = match props.status {
        Status::Connecting => "Connecting…",
        Status::Open => "Connected",
        Status::Reconnecting => "Reconnecting…",
        Status::Offline => "Offline",
        Status::Banned => "Banned",
    };
    // The usual transport goes unsaid; a fallback is worth knowing about.
    let via = match props.transport {
        TransportKind::WebSocket => String::new(),
        other => format!(" · {}", other.label()),
    };
    html! {
        <span class={classes!("badge", props.status.as_str())} role="status"
            data-testid={testid::STATUS} data-state={props.status.as_str()}
            data-transport={props.transport.as_str()}>
            { label }{ via }
        </span>
    }
}
