//! The connection badge: connecting, open, reconnecting or offline.

use crate::{chat::state::Status, testid};
use yew::prelude::*;

/// Props of [`StatusBadge`].
#[derive(Properties, PartialEq)]
pub struct StatusBadgeProps {
    /// The connection's state.
    pub status: Status,
}

/// Shows the connection's state in words and colour.
#[component]
pub fn StatusBadge(props: &StatusBadgeProps) -> Html {
    let label = match props.status {
        Status::Connecting => "Connecting…",
        Status::Open => "Connected",
        Status::Reconnecting => "Reconnecting…",
        Status::Offline => "Offline",
    };
    html! {
        <span class={classes!("badge", props.status.as_str())} role="status"
            data-testid={testid::STATUS} data-state={props.status.as_str()}>
            { label }
        </span>
    }
}
