//! Read state: each signed-in person's read marker per room, and the unread and mention
//! counts that come from it.
//!
//! A marker is the newest id the person has seen in a room, kept in the moderation directory
//! so it survives a reload and follows them to a new device; it only moves forward. When it
//! moves, every connection of the account hears `read_marker` through its inbox, on every
//! node, so all their tabs agree. Counts are read from the log itself (messages after the
//! marker that are not their own and not deleted, and of those the ones that `@mention`
//! them), bounded by [`UNREAD_COUNT_CAP`] so a long absence costs a bounded read. Only rooms
//! the person has read before, or private rooms they belong to, get counts: a public room
//! they never opened is not "unread".

use super::{Hub, access::inbox, moderation::ActError, rules::Visitor};
use crate::{
    delivery::frame::EventFrame,
    store::{Page, StoreError, accounts::AccountId},
};
use chinwag_shared::{
    MAX_HISTORY_PAGE, RoomName, RoomSummary, ServerMsg, UNREAD_COUNT_CAP, Username, mentions,
};
use std::collections::HashMap;

/// Unread messages and, of those, mentions of the reader.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unread {
    /// Messages after the marker, not the reader's own, not deleted (at most the cap).
    pub messages: u64,
    /// Of those, the ones that mention the reader.
    pub mentions: u64,
}

impl Hub {
    /// `account`'s read marker in `room` (0 if it has none).
    pub async fn read_marker(
        &self,
        account: &AccountId,
        room: &RoomName,
    ) -> Result<u64, StoreError> {
        Ok(self
            .moderation()
            .read_markers(account)
            .await?
            .into_iter()
            .find_map(|(marked, id)| (marked == *room).then_some(id))
            .unwrap_or(0))
    }

    /// Moves `reader`'s marker in `room` forward to `id` (at most the room's newest id), and
    /// tells its other connections. Answers the marker after the move.
    pub async fn mark_read(
        &self,
        reader: &Visitor<'_>,
        room: &RoomName,
        id: u64,
    ) -> Result<u64, ActError> {
        let identity = reader
            .principal
            .identity()
            .ok_or(ActError::Unauthenticated)?;
        self.enter(reader, room).await?;
        let newest = self.head(room).await?.last_id;
        let marker = self
            .moderation()
            .set_read_marker(&identity.account, room, id.min(newest))
            .await?;
        if let Some(inbox) = inbox(&identity.account) {
            let notice = ServerMsg::ReadMarker {
                room: room.clone(),
                id: marker,
            };
            self.fanout.publish_event(EventFrame::new(&inbox, &notice));
        }
        Ok(marker)
    }

    /// What `reader` has not read in `room` after `marker`.
    pub async fn unread(
        &self,
        room: &RoomName,
        marker: u64,
        reader: &Username,
    ) -> Result<Unread, StoreError> {
        let mut unread = Unread::default();
        let mut after = marker;
        let key = reader.hold_key();
        // Each page moves `after` forward; the count stops at the cap, so this reads at most
        // a few pages however far behind the reader is.
        loop {
            let page = self
                .page(
                    room,
                    Page::After {
                        after,
                        limit: MAX_HISTORY_PAGE,
                    },
                )
                .await?;
            let Some(last) = page.last() else {
                return Ok(unread);
            };
            after = last.id;
            for record in &page {
                if record.is_live_message() && record.username.hold_key() != key {
                    unread.messages += 1;
                    if mentions(&record.message, reader) {
                        unread.mentions += 1;
                    }
                    if unread.messages >= UNREAD_COUNT_CAP {
                        return Ok(unread);
                    }
                }
            }
        }
    }

    /// Fills in `rooms`' unread and mention counts for `account` (named `reader`): for rooms
    /// it has a marker in, and for those in `member_of` (its private rooms, counted from 0).
    pub async fn count_unread(
        &self,
        account: &AccountId,
        reader: &Username,
        rooms: &mut [RoomSummary],
        member_of: bool,
    ) -> Result<(), StoreError> {
        let markers: HashMap<RoomName, u64> = self
            .moderation()
            .read_markers(account)
            .await?
            .into_iter()
            .collect();
        for summary in rooms {
            let marker = match markers.get(&summary.room) {
                Some(marker) => *marker,
                None if member_of => 0,
                None => continue,
            };
            let unread = if summary.last_id > marker {
                self.unread(&summary.room, marker, reader).await?
            } else {
                Unread::default()
            };
            summary.unread = Some(unread.messages);
            summary.mentions = Some(unread.mentions);
        }
        Ok(())
    }
}
