//! The chat screen, for a guest or a signed-in account.
//!
//! `ChatScreen` calls `use_chat` once and hands each view the slice of state it shows plus
//! the callbacks it may call. The top bar shows the room (with its padlock, or the other
//! person of a direct message), the connection, and either the account menu or, for a guest,
//! the name with its "guest" mark and "Change name". The sidebar lists rooms and, for an
//! account, direct messages; a private room's members open as a panel. It also keeps the tab
//! title (unread count while hidden) and an ARIA live region that announces new messages in
//! the current room, and the notice when its history was reset on the server.

use super::{members_section::MembersSection, tokens_section::TokensSection};
use crate::{
    account::SessionHandle,
    chat::{
        ChatHandle, IdentityEvents, notifications_allowed,
        state::{ChatState, NoticeKind, RoomKind},
        use_chat,
    },
    components::{
        account_menu::AccountMenu,
        composer::Composer,
        dm_list::{DmEntry, DmList},
        guest_badge::GuestBadge,
        lock_icon::LockIcon,
        message_list::MessageList,
        presence_list::PresenceList,
        room_list::{RoomEntry, RoomList},
        status_badge::StatusBadge,
        typing_line::TypingLine,
    },
    testid,
};
use chinwag_shared::{RoomName, Username};
use std::collections::BTreeMap;
use yew::prelude::*;

/// Props of [`ChatScreen`].
#[derive(Properties, PartialEq)]
pub struct ChatScreenProps {
    /// Who is chatting.
    pub me: Username,
    /// Whether `me` is a signed-in account (else a guest).
    pub signed_in: bool,
    /// The session: signing out, the password, a guest's change of name.
    pub session: SessionHandle,
}

/// The chat screen.
#[component]
pub fn ChatScreen(props: &ChatScreenProps) -> Html {
    let chat = use_chat(
        props.me.clone(),
        props.signed_in,
        IdentityEvents {
            credential_expired: props.session.credential_expired.clone(),
            guest_name_refused: props.session.guest_name_refused.clone(),
        },
    );
    let members_open = use_state(|| false);
    let state: &ChatState = &chat.state;
    use_tab_title(state);
    let Some(view) = state.current_room() else {
        return html! {};
    };
    let kind = state.kind_of(&state.current);
    let private = kind == RoomKind::Private;
    let pending: Vec<_> = state
        .outbox
        .iter()
        .filter(|pending| pending.room == state.current)
        .cloned()
        .collect();
    let typists: Vec<Username> = view.typing.keys().cloned().collect();
    let toggle_members = {
        let members_open = members_open.clone();
        Callback::from(move |_: MouseEvent| members_open.set(!*members_open))
    };
    let close_members = {
        let members_open = members_open.clone();
        Callback::from(move |()| members_open.set(false))
    };
    let open_room = {
        // Another room closes the members panel of this one.
        let (open_room, members_open) = (chat.open_room.clone(), members_open.clone());
        Callback::from(move |room: RoomName| {
            members_open.set(false);
            open_room.emit(room);
        })
    };
    html! {
        <div class="app">
            <header class="topbar">
                <h1>{ "Chinwag" }</h1>
                <span class="room-title">{ room_title(&state.current, &kind) }</span>
                if private {
                    <button type="button" class="link members-button" onclick={toggle_members}
                        data-testid={testid::MEMBERS_BUTTON} aria-expanded={members_open.to_string()}
                        aria-controls="members-panel">
                        { "Members" }
                    </button>
                }
                <StatusBadge status={state.status} transport={state.transport} />
                { identity(props) }
                { notification_button(&chat) }
            </header>
            <RoomList rooms={room_entries(state)} busiest={busiest_rooms(state)}
                current={state.current.clone()} on_open={open_room.clone()}
                on_new_room={props.signed_in.then(|| chat.create_room.clone())}>
                if props.signed_in {
                    <DmList dms={dm_entries(state)} current={state.current.clone()}
                        on_open={open_room.clone()} on_new={chat.start_dm.clone()} />
                }
            </RoomList>
            <main class="chat" aria-label={chat_label(&state.current, &kind)}>
                if let Some(banner) = &state.banner {
                    <div class="banner" role="alert" data-testid={testid::BANNER}>
                        <p>{ banner }</p>
                        <button type="button" class="link" aria-label="Dismiss this message"
                            onclick={chat.dismiss_banner.reform(|_: MouseEvent| ())}>{ "Dismiss" }</button>
                    </div>
                }
                <MessageList room={state.current.clone()} messages={view.messages.clone()}
                    notices={view.notices.clone()} {pending} me={props.me.clone()}
                    me_guest={!props.signed_in}
                    has_older={view.has_older} on_load_older={chat.load_older.clone()}
                    on_retry={chat.retry.clone()} on_discard={chat.discard.clone()} />
                <TypingLine names={typists} />
                <Composer room={state.current.clone()} label={state.room_label(&state.current)}
                    on_send={chat.send.clone()}
                    on_typing={chat.typing.clone()} />
            </main>
            <PresenceList users={view.presence.clone()} guests={view.guests.clone()}
                me={props.me.clone()} />
            if private && *members_open {
                <MembersSection room={state.current.clone()} me={props.me.clone()}
                    on_close={close_members} />
            }
            <div class="sr-only" aria-live="polite" aria-atomic="true">{ announcement(state) }</div>
        </div>
    }
}

/// The account menu for an account; the name, its guest mark and "Change name" for a guest.
fn identity(props: &ChatScreenProps) -> Html {
    let session = &props.session;
    if props.signed_in {
        return html! {
            <AccountMenu me={props.me.clone()} on_sign_out={session.sign_out.clone()}
                on_sign_out_everywhere={session.sign_out_everywhere.clone()}
                on_change_password={session.change_password.clone()}
                tokens={html! { <TokensSection /> }} />
        };
    }
    html! {
        <>
            <span class="me-guest">
                <bdi class="me" title="Your name">{ props.me.as_str() }</bdi>
                <GuestBadge />
            </span>
            <button class="link" onclick={session.change_name.reform(|_: MouseEvent| ())}>
                { "Change name" }
            </button>
        </>
    }
}

/// "#general", a padlock and "#team", or "@bob" for a direct message.
fn room_title(room: &RoomName, kind: &RoomKind) -> Html {
    match kind {
        RoomKind::Public => html! { <>{ "#" }{ room.as_str() }</> },
        RoomKind::Private => html! { <><LockIcon />{ " #" }{ room.as_str() }</> },
        RoomKind::Direct { with } => html! { <>{ "@" }<bdi>{ with.as_str() }</bdi></> },
    }
}

/// The chat region's accessible name.
fn chat_label(room: &RoomName, kind: &RoomKind) -> String {
    match kind {
        RoomKind::Direct { with } => format!("Conversation with {with}"),
        RoomKind::Public | RoomKind::Private => format!("#{room}"),
    }
}

/// The joined rooms and this account's private rooms (not direct messages), by name, with
/// unread counts.
fn room_entries(state: &ChatState) -> Vec<RoomEntry> {
    let mut entries: BTreeMap<RoomName, RoomEntry> = BTreeMap::new();
    let joined = state
        .rooms
        .iter()
        .map(|(name, view)| (name, view.unread))
        .chain(state.private_rooms().map(|name| (name, 0)));
    for (name, unread) in joined {
        match state.kind_of(name) {
            RoomKind::Direct { .. } => {}
            kind => {
                entries.entry(name.clone()).or_insert(RoomEntry {
                    name: name.clone(),
                    unread,
                    private: kind == RoomKind::Private,
                });
            }
        }
    }
    entries.into_values().collect()
}

/// The direct messages, by the other person's name.
fn dm_entries(state: &ChatState) -> Vec<DmEntry> {
    state
        .direct_messages()
        .into_iter()
        .map(|(room, with)| DmEntry {
            unread: state.rooms.get(&room).map_or(0, |view| view.unread),
            room,
            with,
        })
        .collect()
}

/// The server's busiest rooms that are not joined, busiest first.
fn busiest_rooms(state: &ChatState) -> Vec<RoomEntry> {
    state
        .directory
        .iter()
        .filter(|summary| {
            !state.rooms.contains_key(&summary.room)
                && !state.memberships.contains_key(&summary.room)
        })
        .map(|summary| RoomEntry {
            name: summary.room.clone(),
            unread: 0,
            private: false,
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

/// `(3) #general · Chinwag` while unread messages wait, `#general · Chinwag` otherwise (`@bob`
/// for a direct message).
#[hook]
fn use_tab_title(state: &ChatState) {
    let room = state.room_label(&state.current);
    let title = match state.total_unread() {
        0 => format!("{room} · Chinwag"),
        unread => format!("({unread}) {room} · Chinwag"),
    };
    use_effect_with(title, |title| {
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            document.set_title(title);
        }
    });
}
