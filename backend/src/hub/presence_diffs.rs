//! Big rooms seen from the hub: the paged presence list and the sender of presence diffs.
//!
//! The registry gathers a big room's arrivals and departures
//! ([`crate::delivery::presence_diffs`]); [`Hub::send_presence_diffs`] is the one task per
//! node that waits for each diff's window to end, counts the room through the engine's
//! [`super::presence::Presence`] and delivers one `presence_diff` to the room's members here.

use super::{Hub, presence::PresenceError, presence::PresencePage};
use crate::delivery::{frame::Frame, presence_diffs::BigRooms};
use chinwag_shared::{RoomName, Username};
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
                        let count = match self.presence.count(&room).await {
                            Ok(count) => count,
                            Err(err) => {
                                // The diff still says who came and went; the count is this
                                // node's best knowledge.
                                tracing::debug!(%room, error = %err, "big room not counted");
                                u64::try_from(self.rooms.name_count(&room)).unwrap_or(u64::MAX)
                            }
                        };
                        self.rooms.note_count(&room, count);
                        self.rooms.deliver(&Frame::event(&room, &diff.message(count)));
                    }
                }
            }
        }
    }
}
