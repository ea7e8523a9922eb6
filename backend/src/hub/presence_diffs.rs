//! Big rooms seen from the hub: the paged presence list and the sender of presence diffs.
//!
//! The registry gathers a big room's arrivals and departures
//! ([`crate::delivery::presence_diffs`]); [`Hub::send_presence_diffs`] is the one task per
//! node that waits for each diff's window to end, counts the room through the engine's
//! [`super::presence::Presence`] and delivers one `presence_diff` to the room's members here;
//! or, for a diff longer than a page of the list, the room's fresh snapshot
//! ([`Hub::presence_snapshot`], the frame a joiner gets), so no frame grows with the crowd.

use super::{Hub, presence::PresenceError, presence::PresencePage};
use crate::delivery::{
    frame::Frame,
    presence_diffs::{BigRooms, Diff},
};
use chinwag_shared::{RoomName, ServerMsg, Username};
use std::sync::Arc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

impl Hub {
    /// This hub, treating rooms as `settings` say.
    #[must_use]
    pub fn with_big_rooms(self, settings: BigRooms) -> Self {
        self.rooms.presence_diffs().configure(settings);
        self
    }

    /// When a room counts as big, and how often its diffs go out.
    pub fn big_rooms(&self) -> BigRooms {
        self.rooms.presence_diffs().settings()
    }

    /// Up to `limit` of the names in `room` (on every node) that sort after `after`, and how
    /// many there are. Noted, so that a room big across the deployment is treated as big
    /// here even if few of its members are on this node.
    pub async fn presence_page(
        &self,
        room: &RoomName,
        after: Option<&Username>,
        limit: usize,
    ) -> Result<PresencePage, PresenceError> {
        let page = self.presence.page(room, after, limit).await?;
        self.rooms.note_count(room, page.count);
        Ok(page)
    }

    /// `room`'s presence as a joiner gets it: everyone in a small room; in a big one the
    /// first page of names and the count. `guests` is the part of `users` held by guests.
    pub async fn presence_snapshot(&self, room: &RoomName) -> Result<ServerMsg, PresenceError> {
        let settings = self.big_rooms();
        let page = self.presence_page(room, None, settings.list_max).await?;
        let count = settings.is_big(page.count).then_some(page.count);
        let mut guests = self.guests(room).await.unwrap_or_default();
        if count.is_some() {
            guests.retain(|guest| page.names.binary_search(guest).is_ok());
        }
        Ok(ServerMsg::Presence {
            room: room.clone(),
            users: page.names,
            guests,
            count,
        })
    }

    /// Sends each big room's diff when its window ends, until `stop`.
    pub async fn send_presence_diffs(self: Arc<Self>, stop: CancellationToken) {
        let diffs = self.rooms.presence_diffs();
        loop {
            let due = diffs.next_due();
            tokio::select! {
                () = stop.cancelled() => break,
                () = diffs.started() => {}
                () = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    for diff in diffs.take_due(Instant::now()) {
                        let room = diff.room.clone();
                        let message = self.presence_news(diff).await;
                        self.rooms.deliver(&Frame::event(&room, &message));
                    }
                }
            }
        }
    }

    /// What a room's members are told of `diff`: the diff with the room's count, or, when it
    /// names more people than a page of the list holds, the room's snapshot, which is
    /// shorter and replaces what they knew.
    async fn presence_news(&self, diff: Diff) -> ServerMsg {
        let room = diff.room.clone();
        if diff.names_listed() > self.big_rooms().list_max {
            match self.presence_snapshot(&room).await {
                Ok(snapshot) => return snapshot,
                Err(err) => {
                    tracing::debug!(%room, error = %err, "no snapshot of a crowded room; its diff instead");
                }
            }
        }
        let count = match self.presence.count(&room).await {
            Ok(count) => count,
            Err(err) => {
                // The diff still says who came and went; the count is this node's best
                // knowledge.
                tracing::debug!(%room, error = %err, "big room not counted");
                u64::try_from(self.rooms.name_count(&room)).unwrap_or(u64::MAX)
            }
        };
        self.rooms.note_count(&room, count);
        diff.message(count)
    }
}
