//! Who is in the current room.
//!
//! Each name is a `<bdi>`, so a right-to-left name keeps its own direction without reordering
//! the "(you)" beside it.

use crate::testid;
use chinwag_shared::Username;
use yew::prelude::*;

/// Props of [`PresenceList`].
#[derive(Properties, PartialEq)]
pub struct PresenceListProps {
    /// Names in the room, sorted.
    pub users: Vec<Username>,
    /// This person, marked as "you".
    pub me: Username,
}

/// The presence sidebar.
#[component]
pub fn PresenceList(props: &PresenceListProps) -> Html {
    html! {
        <aside class="presence" aria-label="People in this room">
            <h2>{ format!("Here now · {}", props.users.len()) }</h2>
            <ul data-testid={testid::PRESENCE}>
                { for props.users.iter().map(|user| html! {
                    <li key={user.as_str()}>
                        <span class="dot" aria-hidden="true"></span>
                        <bdi data-testid={testid::PRESENCE_USER}>{ user.as_str() }</bdi>
                        if *user == props.me { <span class="you">{ "(you)" }</span> }
                    </li>
                }) }
            </ul>
        </aside>
    }
}
