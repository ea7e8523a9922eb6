//! Private rooms and direct messages: listing this account's, creating a private room,
//! opening a direct message, and following the server when it takes a room away.
//!
//! Only a signed-in account has memberships, so a guest's controller asks for none. The
//! list is asked for when the chat starts, after each room this person joins (by creating
//! it, opening a direct message, or by name: see `rooms`), and whenever the server refuses a
//! room or says this person left one. A room taken away leaves the screen in the reducer
//! (`state::access`); the room shown instead is chosen by the same rule here, and joined if
//! it was not.
//!
//! A guest's name is checked by the server when a room is joined: one an account owns, or
//! one another browser holds in that room, refuses the join with a `username_taken` error
//! that names no message. The chat cannot go on under that name, so the session is told,
//! and it shows the first screen again with the server's reason beside the guest's name.

use super::Controller;
use crate::{
    account::{api, attempt::Attempt, failure::Purpose},
    chat::state::ChatAction,
};
use chinwag_shared::{
    ClientMsg, ErrorCode, ErrorFrame, RoomName, ServerMsg, Username, unicode::lowercase,
};
use std::rc::Rc;

impl Controller {
    /// Asks for this account's private rooms and direct messages; a failure keeps the old
    /// list, and a guest asks for nothing.
    pub(super) fn refresh_my_rooms(&self) {
        if !self.signed_in {
            return;
        }
        let dispatch = self.dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(rooms) = api::my_rooms().await {
                dispatch.dispatch(ChatAction::MyRoomsListed(rooms));
            }
        });
    }

    /// Creates the private room the attempt names, then opens it.
    pub(in crate::chat) fn create_private_room(self: &Rc<Self>, attempt: Attempt<String>) {
        let room = match RoomName::parse(&lowercase(attempt.input.trim())) {
            Ok(room) => room,
            Err(err) => return attempt.fail(format!("That room name is not allowed: {err}.")),
        };
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            match api::create_private_room(&room).await {
                Ok(info) => {
                    attempt.succeed();
                    this.dispatch.dispatch(ChatAction::RoomAdded(info.clone()));
                    this.open_room(info.room);
                }
                Err(failure) => attempt.fail(failure.message(Purpose::NewRoom)),
            }
        });
    }

    /// Opens (creating it the first time) the direct message with the account the attempt
    /// names, and shows it.
    pub(in crate::chat) fn start_dm(self: &Rc<Self>, attempt: Attempt<String>) {
        let with = match Username::parse(attempt.input.trim()) {
            Ok(with) => with,
            Err(err) => return attempt.fail(format!("That name is not allowed: {err}.")),
        };
        let this = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            match api::open_dm(&with).await {
                Ok(info) => {
                    attempt.succeed();
                    this.dispatch.dispatch(ChatAction::RoomAdded(info.clone()));
                    this.open_room(info.room);
                }
                Err(failure) => attempt.fail(failure.message(Purpose::NewDm)),
            }
        });
    }

    /// Tells the session when `msg` refuses this guest's name (see the module docs).
    pub(super) fn check_guest_name(&self, msg: &ServerMsg) {
        if let ServerMsg::Error(ErrorFrame {
            code: ErrorCode::UsernameTaken,
            client_id: None,
            detail,
            ..
        }) = msg
            && !self.signed_in
        {
            self.identity.guest_name_refused.emit(detail.clone());
        }
    }

    /// Before the reducer sees `msg`: if it takes a room away, the room that will be shown
    /// instead, and whether it still has to be joined.
    pub(super) fn replacement_for(&self, msg: &ServerMsg) -> Option<(RoomName, bool)> {
        let removed = removed_room(msg)?;
        if self.barred.contains(&removed) {
            // A ban or kick just said why: the room stays, barred (see `moderation`).
            return None;
        }
        let state = self.latest.borrow();
        if !state.rooms.contains_key(&removed) {
            return None;
        }
        let next = state.room_after_removing(&removed);
        let unjoined = next != removed && !state.rooms.contains_key(&next);
        Some((next, unjoined))
    }

    /// After a room was taken away: join the room shown instead if needed, and ask for the
    /// memberships again.
    pub(super) fn after_removal(&self, next: RoomName, unjoined: bool) {
        if unjoined {
            self.send(&ClientMsg::Join {
                room: next.to_string(),
                after: None,
                username: None,
                token: None,
                epoch: None,
            });
        }
        self.refresh_my_rooms();
    }
}

/// The room a frame takes away: a `left`, or a `forbidden` that names a room and no message.
pub(super) fn removed_room(msg: &ServerMsg) -> Option<RoomName> {
    match msg {
        ServerMsg::Left { room } => Some(room.clone()),
        ServerMsg::Error(ErrorFrame {
            code: ErrorCode::Forbidden,
            room: Some(room),
            client_id: None,
            ..
        }) => RoomName::parse(room).ok(),
        _ => None,
    }
}
