//! The app: the name screen until a name is chosen, then the chat screen.
//!
//! `ChatScreen` calls `use_chat` once and hands each view the slice of state it shows plus
//! the callbacks it may call. It also keeps the tab title (unread count while hidden) and an
//! ARIA live region that announces new messages in the current room, and the notice when its
//! history was reset on the server.

use crate::{
    chat::{
        ChatHandle, notifications_allowed,
        state::{ChatState, NoticeKind},
        use_chat,
    },
    components::{
        composer::Composer,
        message_list::MessageList,
        presence_list::PresenceList,
        room_list::{RoomEntry, RoomList},
        status_badge::StatusBadge,
        typing_line::TypingLine,
        username_form::UsernameForm,
    },
    storage,
};
use chinwag_shared::Username;
use yew::prelude::*;

/// The root component.
#[component]
pub fn App() -> Html {
    let username = use_state(storage::load_username);
    let on_name = {
        let username = username.clone();
        Callback::from(move |name: Username| {
            // If storage refuses, the name still holds for this visit.
            storage::save_username(&name);
            username.set(Some(name));
        })
    };
    let on_change_name = {
        let username = username.clone();
        Callback::from(move |()| {
            storage::forget_username();
            username.set(None);
        })
    };
    match &*username {
        None => html! { <UsernameForm on_submit={on_name} /> },
        Some(me) => html! { <ChatScreen me={me.clone()} {on_change_name} /> },
    }
}

/// Props of [`ChatScreen`].
#[derive(Properties, PartialEq)]
struct ChatScreenProps {
    me: Username,
    /// Go back to the name screen (e.g. after `username_taken`).
    on_change_name: Callback<()>,
}

#[component]
fn ChatScreen(props: &ChatScreenProps) -> Html {
    let chat = use_chat(props.me.clone());
    let state: &ChatState = &chat.state;
    use_tab_title(state);
    let Some(view) = state.current_room() else {
        return html! {};
    };
    let pending: Vec<_> = state
        .outbox
        .iter()
        .filter(|pending| pending.room == state.current)
        .cloned()
        .collect();
    let typists: Vec<Username> = view.typing.keys().cloned().collect();
    html! {
        <div class="app">
            <header class="topbar">
                <h1>{ "Chinwag" }</h1>
                <span class="room-title">{ "#" }{ state.current.as_str() }</span>
                <StatusBadge status={state.status} transport={state.transport} />
                <bdi class="me" title="Your name">{ props.me.as_str() }</bdi>
                <button class="link" onclick={props.on_change_name.reform(|_: MouseEvent| ())}>
                    { "Change name" }
                </button>
                { notification_button(&chat) }
            </header>
            <RoomList rooms={joined_rooms(state)} busiest={busiest_rooms(state)}
                current={state.current.clone()} on_open={chat.open_room.clone()} />
            <main class="chat" aria-label={format!("#{}", state.current)}>
                if let Some(banner) = &state.banner {
                    <p class="banner" role="alert">{ banner }</p>
                }
                <MessageList room={state.current.clone()} messages={view.messages.clone()}
                    notices={view.notices.clone()} {pending} me={props.me.clone()}
                    has_older={view.has_older} on_load_older={chat.load_older.clone()}
                    on_retry={chat.retry.clone()} on_discard={chat.discard.clone()} />
                <TypingLine names={typists} />
                <Composer room={state.current.clone()} on_send={chat.send.clone()}
                    on_typing={chat.typing.clone()} />
            </main>
            <PresenceList users={view.presence.clone()} me={props.me.clone()} />
            <div class="sr-only" aria-live="polite" aria-atomic="true">{ announcement(state) }</div>
        </div>
    }
}

/// The joined rooms, by name, with unread counts.
fn joined_rooms(state: &ChatState) -> Vec<RoomEntry> {
    state
        .rooms
        .iter()
        .map(|(name, view)| RoomEntry {
            name: name.clone(),
            unread: view.unread,
        })
        .collect()
}

/// The server's busiest rooms that are not joined, busiest first.
fn busiest_rooms(state: &ChatState) -> Vec<RoomEntry> {
    state
        .directory
        .iter()
        .filter(|summary| !state.rooms.contains_key(&summary.room))
        .map(|summary| RoomEntry {
            name: summary.room.clone(),
            unread: 0,
        })
        .collect()
}

/// The newest news of the current room for the live region: "alice: hi" for a message from
/// someone else, or the history-reset notice while nothing newer follows it.
fn announcement(state: &ChatState) -> String {
    let Some(view) = state.current_room() else {
        return String::new();
    };
    let newest = view.messages.get_max();
    let reset = view
        .notices
        .iter()
        .rev()
        .find(|notice| notice.kind == NoticeKind::HistoryReset)
        .filter(|notice| newest.is_none_or(|(id, _)| notice.after_id >= *id));
    if let Some(notice) = reset {
        return notice.text.clone();
    }
    newest
        .filter(|(_, record)| record.username != state.me)
        .map(|(_, record)| format!("{}: {}", record.username, record.message))
        .unwrap_or_default()
}

fn notification_button(chat: &ChatHandle) -> Html {
    if notifications_allowed() {
        return html! {};
    }
    html! {
        <button class="link notify" title="Show a desktop notification for messages while this tab is hidden"
            onclick={chat.enable_notifications.reform(|_: MouseEvent| ())}>
            { "Notify me" }
        </button>
    }
}

/// `(3) #general · Chinwag` while unread messages wait, `#general · Chinwag` otherwise.
#[hook]
fn use_tab_title(state: &ChatState) {
    let title = match state.total_unread() {
        0 => format!("#{} · Chinwag", state.current),
        unread => format!("({unread}) #{} · Chinwag", state.current),
    };
    use_effect_with(title, |title| {
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            document.set_title(title);
        }
    });
}
