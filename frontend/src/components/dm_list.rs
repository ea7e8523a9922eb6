//! The direct messages in the sidebar: one line per person (their name, not the room's), with
//! unread counts, and for a signed-in account a "New message" field that asks whom to write.

use super::name_prompt::NamePrompt;
use crate::{account::attempt::Attempt, testid};
use chinwag_shared::{MAX_USERNAME_CHARS, RoomName, Username};
use yew::prelude::*;

/// One direct message in the list.
#[derive(Clone, PartialEq)]
pub struct DmEntry {
    /// Its room.
    pub room: RoomName,
    /// The other person.
    pub with: Username,
    /// Unread messages in it.
    pub unread: u32,
}

/// Props of [`DmList`].
#[derive(Properties, PartialEq)]
pub struct DmListProps {
    /// The direct messages, by the other person's name.
    pub dms: Vec<DmEntry>,
    /// The room on screen.
    pub current: RoomName,
    /// Show a direct message.
    pub on_open: Callback<RoomName>,
    /// Start (or reopen) a direct message with the account the attempt names.
    pub on_new: Callback<Attempt<String>>,
}

/// The direct messages.
#[component]
pub fn DmList(props: &DmListProps) -> Html {
    html! {
        <section class="dms" aria-labelledby="dm-heading">
            <h2 id="dm-heading">{ "Direct messages" }</h2>
            <ul data-testid={testid::DM_LIST}>
                { for props.dms.iter().map(|dm| dm_item(dm, &props.current, &props.on_open)) }
            </ul>
            <NamePrompt opener="+ New message" label="Message whom?" submit="Open"
                placeholder="their name" max_chars={MAX_USERNAME_CHARS} testid={testid::NEW_DM}
                on_submit={props.on_new.clone()} />
        </section>
    }
}

fn dm_item(dm: &DmEntry, current: &RoomName, on_open: &Callback<RoomName>) -> Html {
    let is_current = dm.room == *current;
    let onclick = {
        let (room, on_open) = (dm.room.clone(), on_open.clone());
        Callback::from(move |_: MouseEvent| on_open.emit(room.clone()))
    };
    let label = match dm.unread {
        0 => format!("Conversation with {}", dm.with),
        unread => format!("Conversation with {}, {unread} unread", dm.with),
    };
    html! {
        <li key={dm.room.as_str()}>
            <button class={classes!("room", is_current.then_some("current"))} {onclick}
                data-testid={testid::DM} data-room={dm.room.to_string()} data-with={dm.with.to_string()}
                aria-current={is_current.then_some("true")} aria-label={label}>
                <span class="room-name"><span class="at" aria-hidden="true">{ "@" }</span><bdi>{ dm.with.as_str() }</bdi></span>
                if dm.unread > 0 && !is_current {
                    <span class="unread" data-testid={testid::UNREAD}>{ dm.unread }</span>
                }
            </button>
        </li>
    }
}
