//! Settling the head start: the room's newest page, asked for as the app started
//! ([`crate::chat::head_start`]), against the socket's `joined` for the same room.
//!
//! The two race. The page holds the records up to its newest id `top` as the server read
//! them; `joined` says the room's newest id `last_id` when the socket joined, and the live
//! frames after it follow. The room shows every record once and in order when everything up
//! to `last_id` is shown, so once both are known ([`settle`]):
//!
//! - `top >= last_id`: the page covers up to the join (a record in both lands once, by id);
//! - `top < last_id`: records came between the page and the join, and the records after `top`
//!   are asked for, page by page, until `last_id` is reached;
//! - another history (the epochs differ, or without epochs a log shorter than the page): the
//!   page is not shown, or the `joined` resets the room that showed it, and the page before
//!   `last_id + 1` is loaded as a join without a head start does.
//!
//! The page is shown the moment it arrives, before the `joined` if it comes first: that is
//! the point. A failed early request (a refused private room, the network) is dropped without
//! a word; the room then loads as it did without one, and the socket's join shows a refusal.
//! Only the first connection's join of the head start's room settles it; after that, or once
//! the server takes the room away (a `left`, a refused join), the controller loads pages as
//! before.

use super::{Controller, with};
use crate::chat::{
    api::{self, HistoryPage},
    head_start,
    state::{ChatAction, HISTORY_PAGE, history_replaced},
};
use chinwag_shared::{Epoch, RoomName};
use std::rc::Rc;

/// Requests of records after the page's newest before giving up on filling a gap: each brings
/// up to 500 records (fewer if long), so this is thousands of records sent between one
/// round trip's page and join, far past the server's rate limits.
const FILL_REQUESTS: usize = 20;

/// Where the head start is, for the controller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) enum HeadStart {
    /// There is none, or it is settled: joins load pages as without one.
    #[default]
    Idle,
    /// The page of `room` is on its way; `joined` if the socket's join came first.
    Waiting {
        /// The room asked about.
        room: RoomName,
        /// What the join said, if it came first.
        joined: Option<Joined>,
    },
    /// The page of `room` is shown; the join is to come.
    Shown {
        /// The room shown.
        room: RoomName,
        /// The page's newest id (`None`: an empty page) and the epoch of its ids.
        page: PagePoint,
    },
}

/// What a `joined` said: the room's newest id, under an epoch (`None`: the server named none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The newest id.
    pub last_id: u64,
    /// The epoch that id belongs to.
    pub epoch: Option<Epoch>,
}

/// How far the early page reaches: its newest id (`None` for an empty page) and its epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePoint {
    /// The page's newest id.
    pub newest: Option<u64>,
    /// The epoch of its ids.
    pub epoch: Option<Epoch>,
}

/// What the page and the join together call for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    /// The page reaches the join: nothing is missing.
    Covered,
    /// Records after this id, up to the join's, are missing: ask for them.
    FillAfter(u64),
    /// The page is of another history than the join's: load the page before the join's
    /// newest id as a plain join does.
    Reload,
}

/// Whether a page reaching `page` may stand beside a `joined`, and what it lacks.
pub fn settle(page: &PagePoint, joined: &Joined) -> Settle {
    if history_replaced(
        page.newest,
        page.epoch.as_ref(),
        joined.last_id,
        joined.epoch.as_ref(),
    ) {
        Settle::Reload
    } else if page.newest.unwrap_or(0) >= joined.last_id {
        Settle::Covered
    } else {
        Settle::FillAfter(page.newest.unwrap_or(0))
    }
}

/// What the controller does after an event of the head start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing: the head start has nothing (more) to do with this event.
    Nothing,
    /// Show the early page, and then ask for what it lacks, if anything.
    Show(Option<Fill>),
    /// Ask for the records after the shown page, up to the join's newest.
    Fill(Fill),
    /// Load the page before this id, as a join without a head start does (the early page, if
    /// it was shown, was of another history, which the `joined` resets).
    LoadBefore(u64),
}

/// The records to ask for: those after `after`, up to what `joined` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    /// The newest id already shown.
    pub after: u64,
    /// The join to reach.
    pub joined: Joined,
}

impl HeadStart {
    /// The early page came (`Some`, reaching that far) or failed (`None`). The room it is for,
    /// and what to do.
    pub fn page_arrived(&mut self, page: Option<PagePoint>) -> Option<(RoomName, Step)> {
        let HeadStart::Waiting { room, joined } = std::mem::take(self) else {
            return None;
        };
        let step = match (page, joined) {
            // As without a head start: the join loads the page, now or when it comes.
            (None, None) => Step::Nothing,
            (None, Some(joined)) => Step::LoadBefore(joined.last_id + 1),
            (Some(page), None) => {
                *self = HeadStart::Shown {
                    room: room.clone(),
                    page,
                };
                Step::Show(None)
            }
            (Some(page), Some(joined)) => match settle(&page, &joined) {
                Settle::Covered => Step::Show(None),
                Settle::FillAfter(after) => Step::Show(Some(Fill { after, joined })),
                Settle::Reload => Step::LoadBefore(joined.last_id + 1),
            },
        };
        Some((room, step))
    }

    /// The server took `room` away (a `left`, or a refused join): a later join of it is a
    /// fresh one, which loads its own page, so the head start has nothing more to settle.
    pub fn room_removed(&mut self, room: &RoomName) {
        if let HeadStart::Waiting { room: ours, .. } | HeadStart::Shown { room: ours, .. } = self
            && ours == room
        {
            *self = HeadStart::Idle;
        }
    }

    /// The socket joined `room`. `None` if the head start has nothing to do with it (the
    /// join loads its page as without one); else what to do.
    pub fn joined(&mut self, room: &RoomName, joined: Joined) -> Option<Step> {
        match self {
            HeadStart::Waiting {
                room: waiting,
                joined: slot,
            } if waiting == room => {
                *slot = Some(joined);
                Some(Step::Nothing)
            }
            HeadStart::Shown { room: shown, page } if shown == room => {
                let step = match settle(page, &joined) {
                    Settle::Covered => Step::Nothing,
                    Settle::FillAfter(after) => Step::Fill(Fill { after, joined }),
                    // The `joined` being dispatched resets the room, since the page named
                    // its epoch; the page before the join loads after it.
                    Settle::Reload => Step::LoadBefore(joined.last_id + 1),
                };
                *self = HeadStart::Idle;
                Some(step)
            }
            _ => None,
        }
    }
}

impl Controller {
    /// Takes the early request for the room the chat opens on, if there is one, and shows its
    /// page when it comes.
    pub(super) fn take_head_start(self: &Rc<Self>) {
        let room = self.latest.borrow().current.clone();
        let Some(early) = head_start::take(&room) else {
            return;
        };
        *self.head_start.borrow_mut() = HeadStart::Waiting { room, joined: None };
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            // A request whose task ended without an answer failed.
            let answer = early.answer.await.ok().and_then(Result::ok);
            with(&weak, |this| this.head_page_arrived(answer));
        });
    }

    fn head_page_arrived(self: &Rc<Self>, page: Option<HistoryPage>) {
        let point = page.as_ref().map(|page| PagePoint {
            newest: page.records.last().map(|record| record.id),
            epoch: page.epoch.clone(),
        });
        let next = self.head_start.borrow_mut().page_arrived(point);
        if let Some((room, step)) = next {
            self.take_step(room, step, page);
        }
    }

    /// The socket joined `room`: `true` if the head start settles it (and the caller loads
    /// no page), `false` if the room loads as without one.
    pub(super) fn head_start_joined(self: &Rc<Self>, room: &RoomName, joined: Joined) -> bool {
        let next = self.head_start.borrow_mut().joined(room, joined);
        match next {
            Some(step) => {
                self.take_step(room.clone(), step, None);
                true
            }
            None => false,
        }
    }

    /// The server took `room` away ([`HeadStart::room_removed`]).
    pub(super) fn head_start_room_removed(&self, room: &RoomName) {
        self.head_start.borrow_mut().room_removed(room);
    }

    fn take_step(&self, room: RoomName, step: Step, page: Option<HistoryPage>) {
        match step {
            Step::Nothing => {}
            Step::Show(fill) => {
                if let Some(page) = page {
                    self.dispatch.dispatch(ChatAction::HistoryLoaded {
                        room: room.clone(),
                        records: page.records,
                        page_size: HISTORY_PAGE,
                        epoch: page.epoch,
                    });
                }
                if let Some(fill) = fill {
                    self.fill_gap(room, fill);
                }
            }
            Step::Fill(fill) => self.fill_gap(room, fill),
            Step::LoadBefore(before) => self.load_page(room, before),
        }
    }

    /// Asks for `room`'s records after the shown ones, page by page, up to the join's newest.
    fn fill_gap(&self, room: RoomName, fill: Fill) {
        let dispatch = self.dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let Fill { mut after, joined } = fill;
            for _ in 0..FILL_REQUESTS {
                match api::messages_after(&room, after, None, joined.epoch.as_ref()).await {
                    Ok(page) => {
                        let newest = page.records.last().map(|record| record.id);
                        dispatch.dispatch(ChatAction::HistoryLoaded {
                            room: room.clone(),
                            records: page.records,
                            page_size: HISTORY_PAGE,
                            epoch: page.epoch,
                        });
                        match newest {
                            Some(newest) if newest < joined.last_id => after = newest,
                            _ => return,
                        }
                    }
                    Err(err) => {
                        dispatch.dispatch(ChatAction::Banner(Some(format!(
                            "Could not load #{room}'s history: {err}"
                        ))));
                        return;
                    }
                }
            }
            dispatch.dispatch(ChatAction::Banner(Some(format!(
                "Could not load all of #{room}'s history: reload the page."
            ))));
        });
    }
}

#[cfg(test)]
mod tests;
