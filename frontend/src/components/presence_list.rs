//! Who is in the current room.
//!
//! Each name is a `<bdi>`, so a right-to-left name keeps its own direction without reordering
//! the "(you)" beside it. Guests (not signed in) carry a "guest" badge. A moderator gets a
//! menu beside everyone else to mute, kick or ban them ([`PersonMenu`]).
//!
//! A big room lists only the names fetched so far: its heading gives the room's count ("N
//! here"), and "Show more" fetches the next page while there is one. On a phone the heading
//! still shows, at the start of the people strip (`style.css`), so the count is never hidden.

use super::{guest_badge::guest_badge, person_menu::PersonMenu};
use crate::{chat::acts::ModAct, sorted::SortedSet, testid};
use chinwag_shared::Username;
use yew::prelude::*;

/// Props of [`PresenceList`].
#[derive(Properties, PartialEq)]
pub struct PresenceListProps {
    /// Names in the room, sorted.
    pub users: Vec<Username>,
    /// Those of `users` who are guests.
    #[prop_or_default]
    pub guests: SortedSet<Username>,
    /// This person, marked as "you".
    pub me: Username,
    /// For a moderator: carry out a sanction on someone here.
    #[prop_or_default]
    pub on_sanction: Option<Callback<ModAct>>,
    /// In a big room, how many are here (`users` is then only the first pages).
    #[prop_or_default]
    pub count: Option<u64>,
    /// Whether the server has more names than `users` shows.
    #[prop_or_default]
    pub more: bool,
    /// Fetch the next page of names.
    #[prop_or_default]
    pub on_more: Callback<()>,
}

/// The presence sidebar.
#[component]
pub fn PresenceList(props: &PresenceListProps) -> Html {
    html! {
        <aside class="presence" aria-label="People in this room">
            <h2 data-testid={testid::PRESENCE_COUNT}>{ match props.count {
                Some(count) => format!("{count} here"),
                None => format!("Here now · {}", props.users.len()),
            } }</h2>
            <ul data-testid={testid::PRESENCE}>
                { for props.users.iter().map(|user| html! {
                    <li key={user.as_str()}>
                        <span class="dot" aria-hidden="true"></span>
                        <bdi data-testid={testid::PRESENCE_USER}>{ user.as_str() }</bdi>
                        if props.guests.contains(user) { { guest_badge() } }
                        if *user == props.me {
                            <span class="you">{ "(you)" }</span>
                        } else if let Some(on_sanction) = &props.on_sanction {
                            <PersonMenu who={user.clone()} on_sanction={on_sanction.clone()} />
                        }
                    </li>
                }) }
            </ul>
            if props.more {
                <button type="button" class="link" data-testid={testid::PRESENCE_MORE}
                    onclick={props.on_more.reform(|_: MouseEvent| ())}>{ "Show more" }</button>
            }
        </aside>
    }
}
