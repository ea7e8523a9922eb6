//! Moderation from the controller's side: a room's settings (asked for on each join and
//! whenever the server says they changed), editing and deleting messages, a moderator's
//! sanctions, and coming back into a room after a ban or kick. The room settings panel
//! changes slow mode and the moderators itself (it is in the panels' bundle,
//! [`crate::panels`]) and hands the settings the server answered to the chat's reducer.
//!
//! Each act is one HTTP request ([`moderation_api`]); its answer goes to the reducer (an
//! edit's or deletion's change record folds in as if it came live, new settings replace
//! the old) and its refusal to the banner, in words. A room whose ban or kick the server
//! announced is remembered here as soon as the frame arrives, so the `left` right behind it
//! does not take the room off the screen, and no reconnect joins it again by itself.

use super::Controller;
use crate::sorted::SortedSet;
use crate::{
    account::{failure::Purpose, moderation_api},
    chat::{
        acts::{self, ModAct},
        state::ChatAction,
    },
};
use chinwag_shared::{ClientMsg, ErrorCode, ErrorFrame, RoomName, ServerMsg};
use std::{cell::RefCell, rc::Rc};

/// Rooms a ban or kick took this person out of, until they ask to come back.
#[derive(Default)]
pub(super) struct Barred {
    rooms: RefCell<SortedSet<RoomName>>,
}

impl Barred {
    /// Whether `room` was barred by a ban or kick.
    pub(super) fn contains(&self, room: &RoomName) -> bool {
        self.rooms.borrow().contains(room)
    }
}

impl Controller {
    /// Asks for `room`'s settings; a failure keeps the old ones (a member's, if none).
    pub(super) fn fetch_settings(&self, room: RoomName) {
        let dispatch = self.dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(settings) = moderation_api::settings(&room).await {
                dispatch.dispatch(ChatAction::Settings(settings));
            }
        });
    }

    /// Before the reducer sees `msg`: what it means for settings and barred rooms.
    pub(super) fn watch_standing(&self, msg: &ServerMsg) {
        match msg {
            ServerMsg::Joined { room, .. } | ServerMsg::RoomSettingsChanged { room } => {
                self.fetch_settings(room.clone());
            }
            ServerMsg::Error(ErrorFrame {
                code: code @ (ErrorCode::Banned | ErrorCode::Kicked | ErrorCode::Muted),
                room: Some(room),
                client_id,
                ..
            }) => {
                let Ok(room) = RoomName::parse(room) else {
                    return;
                };
                if *code == ErrorCode::Muted {
                    // Until when: the settings say.
                    self.fetch_settings(room);
                } else if client_id.is_none() {
                    self.barred.rooms.borrow_mut().insert(room);
                }
            }
            _ => {}
        }
    }

    /// Comes back into `room` after a ban or kick; a ban still in force refuses it again.
    pub(in crate::chat) fn rejoin(self: &Rc<Self>, room: RoomName) {
        self.barred.rooms.borrow_mut().remove(&room);
        self.dispatch.dispatch(ChatAction::Rejoin(room.clone()));
        let state = self.latest.borrow().clone();
        let join = match state.rooms.get(&room) {
            Some(view) => view.resume_join(&room),
            None => ClientMsg::Join {
                room: room.to_string(),
                after: None,
                username: None,
                token: None,
                epoch: None,
            },
        };
        self.send(&join);
    }

    /// Replaces the text of this person's message `id` in the room on screen.
    pub(in crate::chat) fn edit_message(self: &Rc<Self>, (id, text): (u64, String)) {
        let room = self.latest.borrow().current.clone();
        let dispatch = self.dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = moderation_api::edit_message(&room, id, text).await;
            dispatch.dispatch(folded_or_refused(answer, "edit"));
        });
    }

    /// Deletes message `id` of the room on screen (one's own, or as a moderator).
    pub(in crate::chat) fn delete_message(self: &Rc<Self>, id: u64) {
        let room = self.latest.borrow().current.clone();
        let dispatch = self.dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = moderation_api::delete_message(&room, id).await;
            dispatch.dispatch(folded_or_refused(answer, "delete"));
        });
    }

    /// Mutes, bans or kicks someone in the room on screen, and says so.
    pub(in crate::chat) fn moderate(self: &Rc<Self>, act: ModAct) {
        let room = self.latest.borrow().current.clone();
        let dispatch = self.dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            dispatch.dispatch(match acts::carry_out(&room, &act).await {
                Ok(done) => ChatAction::Info(Some(done)),
                Err(refused) => ChatAction::Banner(Some(refused)),
            });
        });
    }
}

/// The reducer's action for the answer to an edit or deletion: its change record, folded in
/// as if it came live, or the refusal in the banner.
fn folded_or_refused(
    answer: Result<chinwag_shared::ChatRecord, crate::account::failure::ApiFailure>,
    what: &str,
) -> ChatAction {
    match answer {
        Ok(change) => ChatAction::Server {
            msg: ServerMsg::Chat(change),
            now: js_sys::Date::now(),
        },
        Err(failure) => ChatAction::Banner(Some(format!(
            "Could not {what} the message: {}",
            failure.message(Purpose::Moderation)
        ))),
    }
}
