//! Rooms over HTTP: opening a room, the pages of its history, and the room directory.
//!
//! Joining goes over the transport (a `join` frame, or the next open's resume if it is down);
//! a room joined by name may be a private room this account was added to since the chat
//! started, so its memberships are asked for again then (a padlock and a members panel);
//! history pages and the directory are plain requests to the HTTP API ([`api`]) whose
//! answers, or failures, are dispatched to the reducer when they arrive.

use super::Controller;
use crate::chat::{
    api,
    state::{BUSIEST_ROOMS, ChatAction, HISTORY_PAGE, PRESENCE_PAGE},
};
use chinwag_shared::{ClientMsg, RoomName};
use std::rc::Rc;

impl Controller {
    /// Joins `room` if it is new, and shows it.
    pub(in crate::chat) fn open_room(self: &Rc<Self>, room: RoomName) {
        let joined = self.latest.borrow().rooms.contains_key(&room);
        self.dispatch.dispatch(ChatAction::OpenRoom(room.clone()));
        if joined {
            // A joined room's settings are asked for on each join; coming back to it is a
            // good moment to learn of a role given meanwhile (no notice says so).
            self.fetch_settings(room.clone());
        } else {
            // If the socket is down, on_open joins every room in the state, this one included.
            self.send(&ClientMsg::Join {
                room: room.to_string(),
                after: None,
                username: None,
                token: None,
                epoch: None,
            });
            self.refresh_my_rooms();
        }
    }

    /// Loads the page before the oldest shown message of the current room.
    pub(in crate::chat) fn load_older(self: &Rc<Self>) {
        let state = self.latest.borrow().clone();
        let oldest = state.current_room().and_then(|view| view.oldest_id());
        if let Some(oldest) = oldest {
            self.load_page(state.current.clone(), oldest);
        }
    }

    /// Fetches the page of `room` just before id `before`.
    pub(super) fn load_page(&self, room: RoomName, before: u64) {
        let dispatch = self.dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match api::history_before(&room, before, HISTORY_PAGE).await {
                Ok(page) => dispatch.dispatch(ChatAction::HistoryLoaded {
                    room,
                    records: page.records,
                    page_size: HISTORY_PAGE,
                    epoch: page.epoch,
                }),
                Err(err) => dispatch.dispatch(ChatAction::Banner(Some(format!(
                    "Could not load #{room}'s history: {err}"
                )))),
            }
        });
    }

    /// Fetches the next page of the current room's presence list (a big room's).
    pub(in crate::chat) fn more_presence(self: &Rc<Self>) {
        let state = self.latest.borrow().clone();
        let room = state.current.clone();
        let Some(view) = state.current_room() else {
            return;
        };
        let after = view.presence.last().cloned();
        let dispatch = self.dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match api::presence_after(&room, after.as_ref(), PRESENCE_PAGE).await {
                Ok(names) => dispatch.dispatch(ChatAction::PresencePage {
                    room,
                    names,
                    page_size: PRESENCE_PAGE,
                }),
                Err(err) => dispatch.dispatch(ChatAction::Banner(Some(format!(
                    "Could not list who is in #{room}: {err}"
                )))),
            }
        });
    }

    /// Fetches the server's busiest rooms for the sidebar; a failure keeps the old list.
    pub(super) fn refresh_directory(&self) {
        let dispatch = self.dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(rooms) = api::busiest_rooms(BUSIEST_ROOMS).await {
                dispatch.dispatch(ChatAction::RoomsListed(rooms));
            }
        });
    }
}
