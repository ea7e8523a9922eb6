//! The rooms sidebar: the joined rooms and this account's private rooms (switch, see unread
//! and mention counts; a padlock marks the private ones), a short list of the server's busiest others to
//! join, a field to join or create one by name, and for a signed-in account "New private
//! room". What else the sidebar holds (the direct messages) comes as children, after these.

use super::{lock_icon::lock_icon, name_prompt::NamePrompt};
use crate::{account::attempt::Attempt, testid};
use chinwag_shared::{MAX_ROOM_CHARS, RoomName, unicode::lowercase};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// One line of the sidebar.
#[derive(Clone, PartialEq)]
pub struct RoomEntry {
    /// The room.
    pub name: RoomName,
    /// Unread messages in it.
    pub unread: u32,
    /// Of those, how many mention this person.
    pub mentions: u32,
    /// Whether only members may enter it.
    pub private: bool,
}

/// Props of [`RoomList`].
#[derive(Properties, PartialEq)]
pub struct RoomListProps {
    /// Joined rooms, in order.
    pub rooms: Vec<RoomEntry>,
    /// Busy rooms not joined, busiest first; a short list, never the server's every room.
    pub busiest: Vec<RoomEntry>,
    /// The room on screen.
    pub current: RoomName,
    /// Open (joining if needed) a room.
    pub on_open: Callback<RoomName>,
    /// Create a private room, for a signed-in account; `None` for a guest.
    #[prop_or_default]
    pub on_new_room: Option<Callback<Attempt<String>>>,
    /// More sections, after the rooms.
    #[prop_or_default]
    pub children: Html,
}

/// The rooms sidebar.
#[component]
pub fn RoomList(props: &RoomListProps) -> Html {
    let draft = use_state(String::new);
    let error = use_state(|| None::<String>);
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |event: InputEvent| {
            draft.set(event.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let onsubmit = {
        let (draft, error, on_open) = (draft.clone(), error.clone(), props.on_open.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let wanted = lowercase(draft.trim().trim_start_matches('#'));
            match RoomName::parse(&wanted) {
                Ok(room) => {
                    on_open.emit(room);
                    draft.set(String::new());
                    error.set(None);
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        })
    };
    html! {
        <nav class="rooms" aria-label="Rooms">
            <h2>{ "Rooms" }</h2>
            <ul data-testid={testid::ROOM_LIST}>
                { for props.rooms.iter().map(|entry| room_item(entry, &props.current, &props.on_open)) }
            </ul>
            if let Some(on_new_room) = &props.on_new_room {
                <NamePrompt opener="+ New private room" label="Private room's name" submit="Create"
                    placeholder="e.g. team" max_chars={MAX_ROOM_CHARS} testid={testid::NEW_ROOM}
                    on_submit={on_new_room.clone()} />
            }
            if !props.busiest.is_empty() {
                <h3 id="busiest-rooms">{ "Busiest" }</h3>
                <ul data-testid={testid::BUSIEST_ROOMS} aria-labelledby="busiest-rooms">
                    { for props.busiest.iter().map(|entry| room_item(entry, &props.current, &props.on_open)) }
                </ul>
            }
            <form class="room-form" {onsubmit}>
                <input data-testid={testid::ROOM_INPUT} value={(*draft).clone()} {oninput}
                    placeholder="Join a room…" aria-label="Join or create a room by name"
                    aria-invalid={error.is_some().then_some("true")} />
                if let Some(message) = &*error {
                    <p class="error" role="alert">{ message }</p>
                }
            </form>
            { props.children.clone() }
        </nav>
    }
}

fn room_item(entry: &RoomEntry, current: &RoomName, on_open: &Callback<RoomName>) -> Html {
    let is_current = entry.name == *current;
    let onclick = {
        let (room, on_open) = (entry.name.clone(), on_open.clone());
        Callback::from(move |_: MouseEvent| on_open.emit(room.clone()))
    };
    let private = if entry.private { ", private" } else { "" };
    let label = match (entry.unread, entry.mentions) {
        (0, _) => format!("{}{private}", entry.name),
        (unread, 0) => format!("{}{private}, {unread} unread", entry.name),
        (unread, mentions) => format!(
            "{}{private}, {unread} unread, {mentions} mentioning you",
            entry.name
        ),
    };
    html! {
        <li key={entry.name.as_str()}>
            <button class={classes!("room", is_current.then_some("current"))} {onclick}
                data-testid={testid::ROOM} data-room={entry.name.to_string()}
                aria-current={is_current.then_some("true")} aria-label={label}>
                <span class="room-name">{ "#" }{ entry.name.as_str() }</span>
                if entry.private {
                    { lock_icon() }
                }
                if entry.mentions > 0 && !is_current {
                    <span class="mentions" data-testid={testid::MENTIONS} aria-hidden="true">
                        { format!("@{}", entry.mentions) }
                    </span>
                }
                if entry.unread > 0 && !is_current {
                    <span class="unread" data-testid={testid::UNREAD}>{ entry.unread }</span>
                }
            </button>
        </li>
    }
}
