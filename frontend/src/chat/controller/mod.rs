//! The controller: the live parts of one chat, and the only code that turns browser events
//! into [`ChatAction`]s and state into frames.
//!
//! [`use_chat`](super::use_chat) builds one [`Controller`] per chat screen, starts it in an
//! effect and stops it in that effect's destructor. It reads the latest [`ChatState`] to decide
//! what to send, and changes the state only by dispatching actions to the pure reducer. Each
//! concept has its own file, and each keeps its live parts in a field of its own:
//!
//! - [`link`]: opening the transport, resuming rooms and pending sends on open, and
//!   reconnecting as the pure [`Reconnect`](super::reconnect::Reconnect) policy decides;
//! - [`sends`]: new messages, their `client_id`s, and re-sends of refused ones on a timer;
//! - [`rooms`]: opening rooms and loading history pages and the room directory over HTTP;
//! - [`head_start`]: the room's newest page asked for as the app started, shown as soon as it
//!   comes and settled against the socket's `joined` so no record is missing or shown twice;
//! - [`typing`]: throttled typing notices out, expiring ones in;
//! - [`browser`]: `online`/`offline`/`visibilitychange` listeners, `?transport=`, and
//!   desktop notifications;
//! - [`access`]: this account's private rooms and direct messages, and rooms the server
//!   takes away;
//! - [`moderation`]: room settings, edits and deletions, sanctions, and rooms a ban or kick
//!   bars;
//! - [`read`]: read markers sent to the server, debounced.
//!
//! Invariant: every closure the controller hands out holds a `Weak` to it, and every timer,
//! listener and transport it starts is a field here, so `stop` (or dropping it) ends them all.
//! Only one-off HTTP requests (history pages, the directory, memberships) are not owned: each runs to its
//! end and then dispatches once.

mod access;
mod browser;
mod head_start;
mod link;
mod moderation;
mod read;
mod rooms;
mod sends;
mod typing;

pub use browser::notifications_allowed;
pub(super) use browser::request_notification_permission;

use super::{
    IdentityEvents,
    state::{ChatAction, ChatState},
};
use crate::storage;
use chinwag_shared::{ClientId, ClientMsg, ClientToken, Username};
use std::{
    cell::RefCell,
    rc::{Rc, Weak},
};
use yew::prelude::*;

/// The live parts of a chat: transport, timers, listeners.
pub(super) struct Controller {
    me: Username,
    /// Whether `me` is a signed-in account (not a guest): only accounts have memberships.
    signed_in: bool,
    /// Told when the server ends the credential or refuses the guest's name.
    identity: IdentityEvents,
    token: Option<ClientToken>,
    dispatch: UseReducerDispatcher<ChatState>,
    /// The state as of the last render, to read what to send.
    latest: Rc<RefCell<UseReducerHandle<ChatState>>>,
    link: link::Link,
    /// The first page of the room the chat opens on, if it was asked for early.
    head_start: RefCell<head_start::HeadStart>,
    sends: sends::Sends,
    typing: typing::Typing,
    browser: browser::Browser,
    barred: moderation::Barred,
    read: read::ReadSync,
}

impl Controller {
    /// A controller for `me` (a signed-in account, or a guest), not yet started.
    pub(super) fn new(
        me: Username,
        signed_in: bool,
        identity: IdentityEvents,
        dispatch: UseReducerDispatcher<ChatState>,
        latest: Rc<RefCell<UseReducerHandle<ChatState>>>,
    ) -> Self {
        Self {
            me,
            signed_in,
            identity,
            token: storage::client_token(),
            dispatch,
            latest,
            link: link::Link::new(browser::forced_transport()),
            head_start: RefCell::default(),
            sends: sends::Sends::default(),
            typing: typing::Typing::default(),
            browser: browser::Browser::default(),
            barred: moderation::Barred::default(),
            read: read::ReadSync::default(),
        }
    }

    /// Listens to the browser, loads the room directory and opens the first connection. The
    /// requests go out together; none waits for another's answer.
    pub(super) fn start(self: &Rc<Self>) {
        self.dispatch
            .dispatch(ChatAction::Transport(self.link.kind()));
        self.take_head_start();
        self.listen_to_the_browser();
        self.watch_typing();
        self.refresh_directory();
        self.refresh_my_rooms();
        self.connect();
    }

    /// Ends everything the controller started: listeners, timers and the transport.
    pub(super) fn stop(&self) {
        self.browser.stop();
        self.typing.stop();
        self.link.stop_retrying();
        self.sends.stop();
        self.read.stop();
        self.link.close();
    }

    /// Sends `msg` over the current transport; `false` if it could not go now.
    fn send(&self, msg: &ClientMsg) -> bool {
        self.link.send(msg)
    }

    /// Forgets a refused or waiting message.
    pub(super) fn discard(self: &Rc<Self>, client_id: ClientId) {
        self.dispatch.dispatch(ChatAction::Discard(client_id));
    }
}

/// Runs `f` on the controller if it still exists.
fn with(weak: &Weak<Controller>, f: impl FnOnce(&Rc<Controller>)) {
    if let Some(this) = weak.upgrade() {
        f(&this);
    }
}
