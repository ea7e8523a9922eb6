//! The chat engine behind the UI: [`use_chat`] returns a [`ChatHandle`] of state plus
//! callbacks, and is the only network-facing API components see.
//!
//! Data flows one way. The [`controller`] owns the live parts (the current transport, its
//! timers, the browser's event listeners) and turns what they report into [`ChatAction`](state::ChatAction)s
//! for the pure reducer in [`state`]; the hook hands the state to the screen and turns the
//! screen's callbacks into controller calls. Below the controller:
//!
//! - [`transport`]: one interface over a WebSocket ([`connection`]), long-polling and polling
//!   ([`http`]), with the HTTP API in [`api`];
//! - [`reconnect`]: the pure policy of when to reconnect and when to fall back from
//!   WebSockets to long-polling, on the delays of [`backoff`];
//! - [`state`]: everything shown, with the outbox of unconfirmed sends;
//! - [`head_start`]: the newest page of the room a returning visitor had open, asked for as
//!   the app starts rather than after the socket's join.
//!
//! Everything the controller owns is dropped with the component that called `use_chat`, and
//! its closures hold only weak references to it, so nothing outlives the screen.

pub mod acts;
pub mod api;
pub mod backoff;
pub mod connection;
mod controller;
pub mod head_start;
pub mod http;
pub mod reconnect;
pub mod state;
pub mod transport;

pub use controller::notifications_allowed;

use crate::{account::attempt::Attempt, storage};
use acts::ModAct;
use chinwag_shared::{ClientId, RoomName, Username, moderation::RoomSettings};
use controller::Controller;
use state::{ChatAction, ChatState};
use std::rc::Rc;
use yew::prelude::*;

/// What the chat tells the session about who is chatting.
#[derive(Clone, PartialEq)]
pub struct IdentityEvents {
    /// The server closed the socket because the account's credential ran out.
    pub credential_expired: Callback<()>,
    /// The server refused a guest's name (an account owns it, or another browser holds it
    /// in a room); the server's reason, in words.
    pub guest_name_refused: Callback<String>,
}

/// What the chat screen gets from [`use_chat`].
#[derive(Clone)]
pub struct ChatHandle {
    /// Everything to show.
    pub state: UseReducerHandle<ChatState>,
    /// Send a message to the current room.
    pub send: Callback<String>,
    /// Join (if needed) and show a room.
    pub open_room: Callback<RoomName>,
    /// The person is typing in the current room.
    pub typing: Callback<()>,
    /// Load the page before the oldest shown message of the current room.
    pub load_older: Callback<()>,
    /// Load the next page of a big room's presence list.
    pub more_presence: Callback<()>,
    /// Re-send a refused message.
    pub retry: Callback<ClientId>,
    /// Drop a refused or waiting message.
    pub discard: Callback<ClientId>,
    /// Ask for permission to show desktop notifications.
    pub enable_notifications: Callback<()>,
    /// Hide the banner.
    pub dismiss_banner: Callback<()>,
    /// Create a private room (signed in only) and open it.
    pub create_room: Callback<Attempt<String>>,
    /// Open the direct message with an account (signed in only).
    pub start_dm: Callback<Attempt<String>>,
    /// Replace the text of one's own message (by id) in the room on screen.
    pub edit: Callback<(u64, String)>,
    /// Delete a message (by id) of the room on screen: one's own, or as a moderator.
    pub delete: Callback<u64>,
    /// Mute, ban or kick someone in the room on screen (moderators).
    pub moderate: Callback<ModAct>,
    /// Come back into a room after a ban or kick.
    pub rejoin: Callback<RoomName>,
    /// A room's settings as the server answered a change the room settings panel made.
    pub settings_changed: Callback<RoomSettings>,
    /// Say in the info line that something was done (a panel's sanction).
    pub say_done: Callback<String>,
    /// Say in the banner that something failed (a panel's refused change).
    pub say_failed: Callback<String>,
    /// Hide the word that something was done.
    pub dismiss_info: Callback<()>,
}

/// Runs the chat for `me` for as long as the calling component lives. `signed_in` says
/// whether `me` is an account (which has private rooms and direct messages) or a guest;
/// `identity` is told when the server ends the account's credential or refuses the guest's
/// name.
#[hook]
pub fn use_chat(me: Username, signed_in: bool, identity: IdentityEvents) -> ChatHandle {
    let state = {
        let me = me.clone();
        use_reducer(move || ChatState::new(me, storage::load_rooms(), storage::load_current_room()))
    };
    let latest = use_mut_ref(|| state.clone());
    *latest.borrow_mut() = state.clone();
    let controller = {
        let dispatch = state.dispatcher();
        let latest = latest.clone();
        use_state(move || Rc::new(Controller::new(me, signed_in, identity, dispatch, latest)))
    };
    {
        let controller = Rc::clone(&controller);
        use_effect_with((), move |()| {
            controller.start();
            move || controller.stop()
        });
    }
    {
        let controller = Rc::clone(&controller);
        use_effect_with(state.next_resend(), move |at| {
            controller.schedule_resend(*at)
        });
    }
    {
        // Each marker the reducer moves on screen goes to the server (signed in only).
        let controller = Rc::clone(&controller);
        let read = state.current_room().and_then(|view| view.read);
        use_effect_with((state.current.clone(), read), move |(room, read)| {
            if let Some(id) = *read {
                controller.note_read((room.clone(), id));
            }
        });
    }
    {
        let rooms: Vec<RoomName> = state.rooms.keys().cloned().collect();
        use_effect_with((rooms, state.current.clone()), |(rooms, current)| {
            storage::save_rooms(rooms, current);
        });
    }
    ChatHandle {
        send: bind(&controller, Controller::send_text),
        open_room: bind(&controller, Controller::open_room),
        typing: bind(&controller, |c, ()| c.typing()),
        load_older: bind(&controller, |c, ()| c.load_older()),
        more_presence: bind(&controller, |c, ()| c.more_presence()),
        retry: bind(&controller, Controller::retry),
        discard: bind(&controller, Controller::discard),
        enable_notifications: bind(&controller, |_, ()| {
            controller::request_notification_permission()
        }),
        dismiss_banner: state
            .dispatcher()
            .to_callback()
            .reform(|()| ChatAction::Banner(None)),
        create_room: bind(&controller, Controller::create_private_room),
        start_dm: bind(&controller, Controller::start_dm),
        edit: bind(&controller, Controller::edit_message),
        delete: bind(&controller, Controller::delete_message),
        moderate: bind(&controller, Controller::moderate),
        rejoin: bind(&controller, Controller::rejoin),
        settings_changed: state
            .dispatcher()
            .to_callback()
            .reform(ChatAction::Settings),
        say_done: state
            .dispatcher()
            .to_callback()
            .reform(|done| ChatAction::Info(Some(done))),
        say_failed: state
            .dispatcher()
            .to_callback()
            .reform(|failed| ChatAction::Banner(Some(failed))),
        dismiss_info: state
            .dispatcher()
            .to_callback()
            .reform(|()| ChatAction::Info(None)),
        state,
    }
}

/// A callback that runs `f` on the controller.
fn bind<T: 'static>(controller: &Rc<Controller>, f: fn(&Rc<Controller>, T)) -> Callback<T> {
    let controller = Rc::clone(controller);
    Callback::from(move |arg| f(&controller, arg))
}
