//! The chat screen, for a guest or a signed-in account.
//!
//! `ChatScreen` calls `use_chat` once and hands each view the slice of state it shows plus
//! the callbacks it may call. The top bar shows the room (with its padlock, or the other
//! person of a direct message), the connection, and either the account menu or, for a guest,
//! the name with its "guest" mark and "Change name". The sidebar lists rooms and, for an
//! account, direct messages, with unread and mention counts; a private room's members, and
//! for a moderator the room's settings, open as panels (from the panels' bundle, loaded the
//! first time one opens: [`crate::panels`]). A room a ban or kick barred says so
//! above its log (with "Rejoin"), and the composer says what holds it back. It also keeps
//! the tab title (unread count while hidden) and an ARIA live region that announces new
//! messages in the current room, and the notice when its history was reset on the server.

use crate::{
    account::SessionHandle,
    chat::{
        ChatHandle, IdentityEvents, notifications_allowed,
        state::{Barred, ChatState, Hold, NoticeKind, RoomKind, RoomView},
        use_chat,
    },
    components::{
        account_menu::AccountMenu,
        composer::Composer,
        dm_list::{DmEntry, DmList},
        guest_badge::guest_badge,
        lock_icon::lock_icon,
        message::MessageActions,
        message_list::MessageList,
        presence_list::PresenceList,
        room_list::{RoomEntry, RoomList},
        status_badge::status_badge,
        typing_line::typing_line,
    },
    panels::{
        host::PanelHost,
        wire::{PanelEvent, PanelProps},
    },
    sorted::SortedMap,
    testid,
};
use chinwag_shared::{RoomName, Username};
use yew::prelude::*;

/// Props of [`ChatScreen`].
#[derive(Properties, PartialEq)]
pub struct ChatScreenProps {
    /// Who is chatting.
    pub me: Username,
    /// Whether `me` is a signed-in account (else a guest).
    pub signed_in: bool,
    /// Whether that account is a site admin (its menu links to the console).
    #[prop_or_default]
    pub admin: bool,
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
    let panel = use_state(|| Panel::None);
    let state: &ChatState = &chat.state;
    use_tab_title(state);
    let Some(view) = state.current_room() else {
        return html! {};
    };
    let kind = state.kind_of(&state.current);
    let private = kind == RoomKind::Private;
    let moderator = view.standing.role().moderates() && view.standing.barred.is_none();
    let on_sanction = moderator.then(|| chat.moderate.clone());
    let settings = view.standing.settings.clone().filter(|_| moderator);
    let pending: Vec<_> = state
        .outbox
        .iter()
        .filter(|pending| pending.room == state.current)
        .cloned()
        .collect();
    let typists: Vec<Username> = view.typing.keys().cloned().collect();
    let toggle = |which: Panel| {
        let panel = panel.clone();
        Callback::from(move |_: MouseEvent| {
            panel.set(if *panel == which { Panel::None } else { which })
        })
    };
    let panel_events = {
        let (panel, chat) = (panel.clone(), chat.clone());
        Callback::from(move |event: PanelEvent| match event {
            PanelEvent::Close => panel.set(Panel::None),
            PanelEvent::Settings(settings) => chat.settings_changed.emit(settings),
            PanelEvent::Done(done) => chat.say_done.emit(done),
            PanelEvent::Failed(failed) => chat.say_failed.emit(failed),
        })
    };
    let open_room = {
        // Another room closes the panels of this one.
        let (open_room, panel) = (chat.open_room.clone(), panel.clone());
        Callback::from(move |room: RoomName| {
            panel.set(Panel::None);
            open_room.emit(room);
        })
    };
    let actions = MessageActions {
        on_edit: chat.edit.clone(),
        on_delete: chat.delete.clone(),
        on_sanction: chat.moderate.clone(),
        ..MessageActions::default()
    };
    html! {
        <div class="app">
            <header class="topbar">
                <h1>{ "Chinwag" }</h1>
                <span class="room-title">{ room_title(&state.current, &kind) }</span>
                if private {
                    <button type="button" class="link members-button" onclick={toggle(Panel::Members)}
                        data-testid={testid::MEMBERS_BUTTON} aria-expanded={(*panel == Panel::Members).to_string()}
                        aria-controls="members-panel">
                        { "Members" }
                    </button>
                }
                if settings.is_some() {
                    <button type="button" class="link settings-button" onclick={toggle(Panel::Settings)}
                        data-testid={testid::ROOM_SETTINGS_BUTTON}
                        aria-expanded={(*panel == Panel::Settings).to_string()}
                        aria-controls="room-settings-panel">
                        { "Room settings" }
                    </button>
                }
                { status_badge(state.status, state.transport) }
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
                if let Some(info) = &state.info {
                    <div class="banner info" role="status" data-testid={testid::INFO}>
                        <p>{ info }</p>
                        <button type="button" class="link" aria-label="Dismiss this message"
                            onclick={chat.dismiss_info.reform(|_: MouseEvent| ())}>{ "Dismiss" }</button>
                    </div>
                }
                { barred_banner(state, view, &chat) }
                <MessageList room={state.current.clone()} messages={view.messages.clone()}
                    notices={view.notices.clone()} {pending} me={props.me.clone()}
                    me_guest={!props.signed_in}
                    has_older={view.has_older} on_load_older={chat.load_older.clone()}
                    on_retry={chat.retry.clone()} on_discard={chat.discard.clone()}
                    signed_in={props.signed_in && view.standing.barred.is_none()}
                    barred={view.standing.barred.is_some()} {moderator} {actions} />
                { typing_line(&typists) }
                <Composer room={state.current.clone()} label={state.room_label(&state.current)}
                    on_send={chat.send.clone()}
                    on_typing={chat.typing.clone()}
                    hold={view.hold(js_sys::Date::now())}
                    slow_mode_secs={view.standing.slow_mode_secs()} {moderator} />
            </main>
            <PresenceList users={view.presence.clone()} guests={view.guests.clone()}
                me={props.me.clone()} {on_sanction}
                count={view.presence_count} more={view.presence_more}
                on_more={chat.more_presence.clone()} />
            if private && *panel == Panel::Members {
                <PanelHost panel={PanelProps::Members {
                    room: state.current.clone(), me: props.me.clone(), moderator,
                }} on_event={panel_events.clone()} />
            }
            if let (Some(settings), Panel::Settings) = (settings, *panel) {
                <PanelHost panel={PanelProps::RoomSettings { settings }} on_event={panel_events} />
            }
            <div class="sr-only" aria-live="polite" aria-atomic="true">{ announcement(state) }</div>
        </div>
    }
}

/// The panel open over the chat, if any.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Panel {
    None,
    /// A private room's members.
    Members,
    /// The room's settings (moderators).
    Settings,
}

/// Above the log of a room a ban or kick took this person out of: why, and "Rejoin"; of a
/// room this person is muted in: until when.
fn barred_banner(state: &ChatState, view: &RoomView, chat: &ChatHandle) -> Html {
    let Some(barred) = &view.standing.barred else {
        return match view.hold(js_sys::Date::now()) {
            Some(Hold::Muted { until }) => {
                let room = state.room_label(&state.current);
                let until = match until {
                    Some(until) => format!("until {}", clock_time(until)),
                    None => "until a moderator lifts it".to_owned(),
                };
                html! {
                    <div class="banner barred" role="status" data-testid={testid::ROOM_HOLD}>
                        <p>{ format!("A moderator muted you in {room} {until}: you can read, not write.") }</p>
                    </div>
                }
            }
            _ => html! {},
        };
    };
    let room = state.room_label(&state.current);
    // The server's words are a whole sentence ("you were banned from #general: spam").
    let (text, action) = match barred {
        Barred::Banned(detail) => (
            sentence(detail).unwrap_or_else(|| format!("You are banned from {room}.")),
            "Try again",
        ),
        Barred::Kicked(detail) => (
            sentence(detail)
                .unwrap_or_else(|| format!("A moderator removed you from {room}. You may rejoin.")),
            "Rejoin",
        ),
    };
    let rejoin = {
        let (rejoin, room) = (chat.rejoin.clone(), state.current.clone());
        Callback::from(move |_: MouseEvent| rejoin.emit(room.clone()))
    };
    html! {
        <div class="banner barred" role="alert" data-testid={testid::ROOM_HOLD}>
            <p>{ text }</p>
            <button type="button" class="secondary" onclick={rejoin} data-testid={testid::REJOIN}>
                { action }
            </button>
        </div>
    }
}

/// "5:24 PM" in the reader's locale and timezone, for Unix ms `ms`.
fn clock_time(ms: u64) -> String {
    // f64 holds every millisecond timestamp until the year 287,396 exactly.
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    date.to_locale_time_string("default").into()
}

/// `detail` as a sentence: capitalized, with a full stop; `None` if it says nothing. The
/// capital is ASCII only: the server writes its details in English, and `char::to_uppercase`
/// would link all of Unicode's case table (about 12 KB of wasm).
fn sentence(detail: &str) -> Option<String> {
    let detail = detail.trim();
    let mut chars = detail.chars();
    let first = chars.next()?;
    let stop = if detail.ends_with(['.', '!', '?']) {
        ""
    } else {
        "."
    };
    Some(format!(
        "{}{}{stop}",
        first.to_ascii_uppercase(),
        chars.as_str()
    ))
}

/// The account menu for an account; the name, its guest mark and "Change name" for a guest.
fn identity(props: &ChatScreenProps) -> Html {
    let session = &props.session;
    if props.signed_in {
        return html! {
            <AccountMenu me={props.me.clone()} admin={props.admin} on_sign_out={session.sign_out.clone()}
                on_sign_out_everywhere={session.sign_out_everywhere.clone()}
                password={html! { <PanelHost panel={PanelProps::Password} /> }}
                tokens={html! { <PanelHost panel={PanelProps::Tokens} /> }} />
        };
    }
    html! {
        <>
            <span class="me-guest">
                <bdi class="me" title="Your name">{ props.me.as_str() }</bdi>
                { guest_badge() }
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
        RoomKind::Private => html! { <>{ lock_icon() }{ " #" }{ room.as_str() }</> },
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
    let mut entries: SortedMap<RoomName, RoomEntry> = SortedMap::new();
    let joined = state.rooms.keys().chain(state.private_rooms());
    for name in joined {
        match state.kind_of(name) {
            RoomKind::Direct { .. } => {}
            kind => {
                let unread = state.unread_of(name);
                entries.get_or_insert_with(name.clone(), || RoomEntry {
                    name: name.clone(),
                    unread: unread.messages,
                    mentions: unread.mentions,
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
            unread: state.unread_of(&room).messages,
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
        .map(|summary| {
            let unread = state.unread_of(&summary.room);
            RoomEntry {
                name: summary.room.clone(),
                unread: unread.messages,
                mentions: unread.mentions,
                private: false,
            }
        })
        .collect()
}

/// The newest news of the current room for the live region: "alice: hi" for a message from
/// someone else, or the history-reset notice while nothing newer follows it.
fn announcement(state: &ChatState) -> String {
    let Some(view) = state.current_room() else {
        return String::new();
    };
    let newest = view.messages.last_key_value();
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
        .filter(|(_, record)| record.username != state.me && record.is_live_message())
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_servers_words_become_a_sentence() {
        assert_eq!(
            sentence(" you were banned from #general: spam ").as_deref(),
            Some("You were banned from #general: spam.")
        );
        assert_eq!(sentence("Done!").as_deref(), Some("Done!"));
        assert_eq!(sentence("  "), None);
    }
}
