//! The head start: the newest page of the room a returning visitor had open, asked for the
//! moment the app starts, beside the session's own questions (`/api/auth`, `/api/me`),
//! instead of after the chat's socket has opened and joined.
//!
//! The room is known before anything else: it is the one stored at the end of the last visit
//! ([`storage::load_current_room`]), which is the room the chat opens on. Nothing is asked for
//! a browser that stored none (a first visit asks for a name first). The request is the same
//! one a history page makes, with the session cookie, so a private room answers only its
//! members, and a refusal is left to the socket's join to show, as before.
//!
//! `index.html` asks for the same URL even earlier, before the wasm has downloaded (a
//! `preload` link, with `/api/auth` and `/api/me`), and the browser answers this request from
//! that one: keep the two URLs the same (`e2e`'s page-load test fails if they part).
//!
//! The answer waits here until the chat's controller [`take`]s it; a chat that never starts
//! (the session expired, the person signs in as someone else) leaves it unused. Whether the
//! page can be shown as it is, or the join shows that something came between, is the
//! controller's to settle ([`super::controller`], `head_start`).

use super::{
    api::{self, HistoryError, HistoryPage},
    state::HISTORY_PAGE,
};
use crate::storage;
use chinwag_shared::RoomName;
use futures::channel::oneshot;
use std::cell::RefCell;

/// The answer to the early request: the newest page, or why there is none.
pub type Answer = Result<HistoryPage, HistoryError>;

/// An early request for `room`'s newest page, and where its answer will arrive.
pub struct EarlyPage {
    /// The room asked about.
    pub room: RoomName,
    /// The answer, once it comes; cancelled if the request's task ends without one.
    pub answer: oneshot::Receiver<Answer>,
}

thread_local! {
    /// The one early request of this page load, until the chat takes it.
    static WAITING: RefCell<Option<EarlyPage>> = const { RefCell::new(None) };
}

/// Asks for the newest page of the room stored at the end of the last visit, if there is one.
pub fn begin() {
    let Some(room) = storage::load_current_room() else {
        return;
    };
    let (answer_tx, answer) = oneshot::channel();
    let asked = room.clone();
    wasm_bindgen_futures::spawn_local(async move {
        // A receiver already dropped means nobody wants the page any more.
        let _unwanted = answer_tx.send(api::newest_page(&asked, HISTORY_PAGE).await);
    });
    WAITING.with(|waiting| *waiting.borrow_mut() = Some(EarlyPage { room, answer }));
}

/// The early request, if one was made for `room`; taken once, so only the first chat uses it.
pub fn take(room: &RoomName) -> Option<EarlyPage> {
    WAITING
        .with(|waiting| waiting.borrow_mut().take())
        .filter(|head_start| head_start.room == *room)
}
