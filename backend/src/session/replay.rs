//! Joins and replay: getting a room's history to the client with no gap and no duplicate.
//!
//! A join reads the head (or takes the client's `after`), *then* registers with the hub, then
//! replays past its cursor, so every later record is replayed or arrives through the outbox;
//! [`super::cursor`] drops what comes twice and asks for what was skipped. "Live from now"
//! is a cursor at the head read when "now" began ([`LiveFrom`]): before the 101, so nothing
//! stored after `onopen` fired is missed. Replays go through one paging loop
//! ([`Session::replay`]): the recent tail while it holds the range (frames as broadcast, no
//! store read or encoding), else the store, a page ([`MAX_HISTORY_PAGE`]) at a time.

use super::{
    Ending, Session, Step,
    cursor::{Admit, Cursor, Order},
    inbound,
    naming::name_taken,
};
use crate::{
    delivery::frame::Frame,
    logs::Clipped,
    store::{Epoch, Page, RoomHead, page_is_cut},
};
use chinwag_shared::{ClientToken, ErrorCode, MAX_HISTORY_PAGE, RoomName, ServerMsg, Username};

/// A join: the one a connection makes as it opens (from the `/socket` query string) or a
/// later `join` frame.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    /// Room to join.
    pub room: RoomName,
    /// Replay after this id; live only when `None`.
    pub after: Option<u64>,
    /// The connection's name, if the client gave one.
    pub username: Option<Username>,
    /// The client's token, if it gave one.
    pub token: Option<ClientToken>,
    /// The history epoch `after` belongs to, if the client knows it.
    pub epoch: Option<Epoch>,
    /// Where "live from now" starts when `after` is `None`.
    pub live_from: LiveFrom,
}

/// Where a join without `after` ("live messages only") starts: at the room's head as read at
/// the moment the client's "now" began. Every message stored after that head is delivered,
/// through the store if it was published before the session registered with the room, else
/// through the outbox. Reading the head only after registering would lose the messages
/// published in between (delivered, then dropped by the cursor as "already sent").
#[derive(Debug, Clone)]
pub enum LiveFrom {
    /// Read when the session handles the join: for a `join` frame, after the server read it.
    Join,
    /// Read before the 101 went out, so "now" is the moment the client's `onopen` fired.
    Head(RoomHead),
    /// The read before the 101 failed: the join fails as `unavailable`, like a failed read
    /// on join, and the client learns it instead of silently missing what came in between.
    Unknown,
}

/// Which records a replay sends, and whether the cursor follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Records past the cursor, not sent yet: from the recent tail while it holds them, else
    /// from the store. The cursor follows each one.
    CatchUp,
    /// Records sent once already, again (a repeated join): from the store. The cursor stays.
    Resend,
}

/// What one page of a replay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replayed {
    /// The recent tail does not hold the range (or holds another history): ask the store.
    NotHeld,
    /// Everything asked for has been sent.
    Done,
    /// A page went out, ending at this id; there may be more after it.
    MoreAfter(u64),
}

impl Replayed {
    /// What a page that ended at `last` (`None`: it sent nothing) means for a replay up to
    /// `upto`. Only a `cut` page (full by count or bytes) can have stopped short of the end.
    fn after_page(last: Option<u64>, upto: u64, cut: bool) -> Replayed {
        match last {
            Some(last) if cut && last < upto => Replayed::MoreAfter(last),
            _ => Replayed::Done,
        }
    }
}

impl Session {
    /// Joins a room (or answers a repeated join), replays what the client asked for, and
    /// confirms with `joined` and the presence list.
    pub(super) async fn join(&mut self, request: JoinRequest) -> Step {
        let JoinRequest {
            room,
            after,
            username,
            token,
            epoch,
            live_from,
        } = request;
        // A signed-in connection keeps its account's token; a guest's first one sticks.
        if self.token.is_none() {
            self.token = token;
        }
        if let Some(username) = &username
            && let Err(mut frame) = self.adopt_username(username).await
        {
            frame.room = Some(room.to_string());
            return self.send_error(frame).await;
        }
        if let Some(cursor) = self.cursors.get(&room).cloned() {
            return self.rejoin(room, after, epoch, cursor).await;
        }
        if let Err(frame) = self.admit_unjoined(&room).await {
            return self.send_error(frame).await;
        }
        if self.cursors.len() >= self.context.limits.max_rooms {
            let mut frame = inbound::error(
                ErrorCode::TooManyRooms,
                format!(
                    "a connection may be in {} rooms at most",
                    self.context.limits.max_rooms
                ),
            );
            frame.room = Some(room.to_string());
            return self.send_error(frame).await;
        }
        // Read the head *before* registering: every record past it is then either read by
        // the catch-up below or still to come through the outbox (see the module doc).
        let head = match (after, live_from) {
            (None, LiveFrom::Head(head)) => Ok(head),
            (None, LiveFrom::Unknown) => Err(None),
            (Some(_), _) | (None, LiveFrom::Join) => self.hub.head(&room).await.map_err(Some),
        };
        let head = match head {
            Ok(head) => head,
            Err(err) => {
                tracing::warn!(session = self.id, error = ?err, "join failed");
                return self.send_unavailable(&room).await;
            }
        };
        if let Some(name) = self.username.clone().filter(|_| self.principal.is_guest())
            && let Err(frame) = self.claim_name(&room, &name).await
        {
            return self.send_error(frame).await;
        }
        let joined = self.hub.join(
            &room,
            self.id,
            self.outbox.sender(),
            self.username.clone(),
            self.token.clone(),
            self.principal.is_guest(),
        );
        let room = match (joined, self.username.clone()) {
            // From here on the room is named by the hub's copy of its name (see `cursors`).
            (Ok(shared), _) => shared,
            // Only a named connection can be refused, so the name is there.
            (Err(_), Some(name)) => return self.send_error(name_taken(&room, &name)).await,
            (Err(_), None) => return Ok(()),
        };
        let start = Cursor::start(head, after, epoch.as_ref());
        if start.reset {
            // The client's ids belong to a history this store no longer has.
            self.send_reset(&room, start.cursor.epoch()).await?;
        }
        self.cursors.insert(room.clone(), start.cursor);
        self.catch_up(&room, u64::MAX).await?;
        self.send_joined(room).await
    }

    /// Confirms a join with the room's cursor, then its presence list.
    async fn send_joined(&mut self, room: RoomName) -> Step {
        let Some(cursor) = self.cursors.get(&room) else {
            return Ok(());
        };
        let joined = ServerMsg::Joined {
            room: room.clone(),
            last_id: cursor.last(),
            epoch: Some(Epoch::clone(cursor.epoch())),
        };
        self.send_msg(&joined).await?;
        // A big room's list would be as long as the room: its first page and its count.
        let presence = match self.hub.presence_snapshot(&room).await {
            Ok(presence) => presence,
            Err(err) => {
                tracing::warn!(session = self.id, error = %err, "presence unavailable");
                let guests = self.hub.guests(&room).await.unwrap_or_default();
                ServerMsg::Presence {
                    room,
                    users: Vec::new(),
                    guests,
                    count: None,
                }
            }
        };
        self.send_msg(&presence).await
    }

    /// A join for a room the connection is already in: replay what it asks for again.
    async fn rejoin(
        &mut self,
        room: RoomName,
        after: Option<u64>,
        epoch: Option<Epoch>,
        cursor: Cursor,
    ) -> Step {
        let rejoin = cursor.rejoin(after, epoch.as_ref());
        if rejoin.reset {
            self.send_reset(&room, cursor.epoch()).await?;
        }
        if let Some(after) = rejoin.resend_after {
            self.replay(&room, after, cursor.last(), Pass::Resend)
                .await?;
        }
        self.send_joined(room).await
    }

    /// Tells the client that `room`'s history was replaced and now has `epoch`.
    async fn send_reset(&mut self, room: &RoomName, epoch: &Epoch) -> Step {
        let room_name = Clipped::new(room.as_str());
        tracing::info!(session = self.id, room = %room_name, %epoch, "history epoch changed; client told to reset");
        let reset = ServerMsg::HistoryReset {
            room: room.clone(),
            epoch: Epoch::clone(epoch),
        };
        self.send_msg(&reset).await
    }

    /// Leaves a room at the client's request, and confirms it.
    pub(super) async fn leave(&mut self, room: RoomName) -> Step {
        if self.cursors.remove(&room).is_some() {
            self.hub.leave(&room, self.id);
        }
        self.confirmations.forget(&room);
        self.send_msg(&ServerMsg::Left { room }).await
    }

    /// Delivers a frame fan-out queued, keeping each room's ids gapless and unrepeated.
    pub(super) async fn on_frame(&mut self, frame: &Frame) -> Step {
        if self.inbox.as_ref() == Some(frame.room()) {
            // A notice for the person (`rooms_changed`, `read_marker`): not a room's, no
            // cursor. A removal through the inbox is a site-wide ban: `on_removal` ends the
            // connection.
            if let Frame::Event(event) = frame
                && event.removes.is_some()
            {
                return Box::pin(self.on_removal(event)).await;
            }
            return self.send_text(frame.text().clone()).await;
        }
        let Some(cursor) = self.cursors.get_mut(frame.room()) else {
            return Ok(()); // queued before this connection left the room
        };
        let chat = match frame {
            Frame::Event(event) if event.removes.is_some() => {
                return Box::pin(self.on_removal(event)).await;
            }
            Frame::Event(event) => return self.send_text(event.text.clone()).await,
            Frame::Chat(chat) => chat,
        };
        // The common case is `Deliver(Send)`: one hash lookup and no copies.
        let order = match cursor.admit(chat.id, &chat.epoch) {
            Admit::Skip => return Ok(()), // already sent during a replay
            Admit::Deliver(order) => order,
            Admit::Reset(order) => {
                // The store lost its history under us and started again at id 1. What this
                // client was owed belongs to the old history; it re-sends what is still
                // unconfirmed (protocol: `history_reset`) and is answered directly.
                Box::pin(self.send_reset(&chat.room, &chat.epoch)).await?;
                self.confirmations.forget(&chat.room);
                order
            }
        };
        match order {
            Order::Send => self.send_chat(&chat.room, chat.id, &chat.text).await,
            Order::Fill { upto } => {
                // Boxed: a catch-up reads the store, and its future is large (see `serve`).
                Box::pin(self.catch_up(&chat.room, upto)).await?;
                self.send_chat(&chat.room, chat.id, &chat.text).await?;
                if let Some(cursor) = self.cursors.get_mut(&chat.room) {
                    cursor.sent(chat.id);
                }
                Ok(())
            }
        }
    }

    /// Sends the stored records of `room` after its cursor and up to `upto`, advancing the
    /// cursor as it goes.
    async fn catch_up(&mut self, room: &RoomName, upto: u64) -> Step {
        let Some(after) = self.cursors.get(room).map(Cursor::last) else {
            return Ok(());
        };
        self.replay(room, after, upto, Pass::CatchUp).await
    }

    /// Sends `room`'s records with ids in (`after`, `upto`], page by page: the one paging
    /// loop of catch-ups and repeated joins.
    async fn replay(&mut self, room: &RoomName, after: u64, upto: u64, pass: Pass) -> Step {
        let mut after = after;
        while after < upto {
            let replayed = match pass {
                Pass::CatchUp => match self.replay_recent_page(room, after, upto).await? {
                    Replayed::NotHeld => self.replay_store_page(room, after, upto, pass).await?,
                    held => held,
                },
                Pass::Resend => self.replay_store_page(room, after, upto, pass).await?,
            };
            match replayed {
                Replayed::MoreAfter(last) => after = last,
                Replayed::NotHeld | Replayed::Done => return Ok(()),
            }
        }
        Ok(())
    }

    /// Sends one page of `room`'s stored records with ids in (`after`, `upto`]; on a
    /// catch-up, the cursor follows.
    async fn replay_store_page(
        &mut self,
        room: &RoomName,
        after: u64,
        upto: u64,
        pass: Pass,
    ) -> Result<Replayed, Ending> {
        let page = Page::After {
            after,
            limit: MAX_HISTORY_PAGE,
        };
        let records = self
            .hub
            .page(room, page)
            .await
            .map_err(Ending::StoreFailed)?;
        let mut last = None;
        for record in records.iter().take_while(|record| record.id <= upto) {
            self.send_stored(record).await?;
            last = Some(record.id);
            if pass == Pass::CatchUp
                && let Some(cursor) = self.cursors.get_mut(room)
            {
                cursor.sent(record.id);
            }
        }
        let cut = page_is_cut(&records, MAX_HISTORY_PAGE);
        Ok(Replayed::after_page(last, upto, cut))
    }

    /// Sends one page of what the recent tail holds after `after` (up to `upto`) as the
    /// frames that were broadcast, with no store read and no encoding; the cursor follows.
    /// [`Replayed::NotHeld`] when the tail does not hold all of it (or holds another epoch):
    /// then the store must answer.
    async fn replay_recent_page(
        &mut self,
        room: &RoomName,
        after: u64,
        upto: u64,
    ) -> Result<Replayed, Ending> {
        let Some((epoch, frames)) = self.hub.recent_frames(room, after, upto, MAX_HISTORY_PAGE)
        else {
            return Ok(Replayed::NotHeld);
        };
        if self
            .cursors
            .get(room)
            .is_none_or(|cursor| !cursor.is_in(&epoch))
        {
            return Ok(Replayed::NotHeld);
        }
        let mut last = None;
        for chat in frames.iter().filter_map(|frame| frame.as_chat()) {
            self.send_chat(room, chat.id, &chat.text).await?;
            last = Some(chat.id);
            if let Some(cursor) = self.cursors.get_mut(room) {
                cursor.sent(chat.id);
            }
        }
        let cut = frames.len() == MAX_HISTORY_PAGE;
        Ok(Replayed::after_page(last, upto, cut))
    }
}

#[cfg(test)]
mod tests {
    use super::Replayed;

    #[test]
    fn a_full_page_that_stopped_short_asks_for_the_next_one() {
        assert_eq!(
            Replayed::after_page(Some(50), 80, true),
            Replayed::MoreAfter(50)
        );
    }

    #[test]
    fn a_page_that_was_not_full_is_the_end() {
        assert_eq!(Replayed::after_page(Some(50), 80, false), Replayed::Done);
    }

    #[test]
    fn a_page_that_reached_the_limit_is_the_end_even_if_full() {
        assert_eq!(Replayed::after_page(Some(80), 80, true), Replayed::Done);
    }

    #[test]
    fn a_page_that_sent_nothing_is_the_end() {
        assert_eq!(Replayed::after_page(None, 80, true), Replayed::Done);
    }
}
