//! Where the engine's keys live: on one Redis, or spread over a Redis Cluster's slots.
//!
//! A Redis Cluster hashes every key to one of 16,384 slots, each owned by one master, and runs
//! a script or a pipeline only if all its keys share a slot. What decides a key's slot is its
//! hash tag: the text between the first `{` and the next `}`, when there is one. So on a
//! cluster:
//!
//! - **a room's keys** carry the room as their tag (`chinwag:log:{general}`): its log, its
//!   `seq`, its client-id copies, its presence, its private-room record and members, and its
//!   moderation, so one room's append script touches one slot, and rooms spread over the
//!   shards;
//! - **the directory's keys** (accounts, credentials, who is in which private room, read
//!   markers, API keys, the room lists, node records) share one tag, `{chinwag}`, because the
//!   directory's scripts change several of them at once (a sign-up takes the name, the id and
//!   the account together). The directory is small and written rarely next to the logs.
//!
//! On one Redis the names are the ones every earlier version wrote (`chinwag:log:general`),
//! so an existing deployment keeps its data.
//!
//! The choice is the deployment's, fixed for the life of the process: [`use_cluster`] is
//! called once, before the engine builds a key, when the node is started with
//! `--redis-cluster`. Holding it here rather than passing it to every key builder keeps the
//! seventy-odd builders as plain functions of their names.

use chinwag_shared::RoomName;
use std::{fmt, sync::OnceLock};

/// The two layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyspace {
    /// One Redis: untagged names.
    Single,
    /// A Redis Cluster: names tagged by room, or with the directory's tag.
    Cluster,
}

static CHOSEN: OnceLock<Keyspace> = OnceLock::new();

/// Makes every key built from now on a cluster's. Idempotent.
pub fn use_cluster() {
    let _same_or_first = CHOSEN.set(Keyspace::Cluster);
}

/// The layout in force: [`Keyspace::Single`] unless [`use_cluster`] was called.
pub fn current() -> Keyspace {
    CHOSEN.get().copied().unwrap_or(Keyspace::Single)
}

/// The directory's prefix: `chinwag:` on one Redis, `{chinwag}:` on a cluster (one slot).
pub fn directory() -> &'static str {
    match current() {
        Keyspace::Single => "chinwag:",
        Keyspace::Cluster => "{chinwag}:",
    }
}

/// A room as it goes into its keys: itself on one Redis, `{room}` on a cluster, so that all
/// of a room's keys hash to the room's slot.
pub fn room(room: &RoomName) -> RoomTag<'_> {
    RoomTag {
        room,
        tagged: current() == Keyspace::Cluster,
    }
}

/// See [`room`].
pub struct RoomTag<'a> {
    room: &'a RoomName,
    tagged: bool,
}

impl fmt::Display for RoomTag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.tagged {
            write!(f, "{{{}}}", self.room)
        } else {
            write!(f, "{}", self.room)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_redis_keeps_the_names_earlier_versions_wrote() {
        // Nothing in the unit tests chooses the cluster layout.
        let general = RoomName::parse("general").unwrap();
        assert_eq!(current(), Keyspace::Single);
        assert_eq!(
            format!("chinwag:log:{}", room(&general)),
            "chinwag:log:general"
        );
        assert_eq!(directory(), "chinwag:");
    }

    #[test]
    fn a_cluster_tag_is_the_room_between_braces() {
        let general = RoomName::parse("general").unwrap();
        let tag = RoomTag {
            room: &general,
            tagged: true,
        };
        assert_eq!(format!("chinwag:log:{tag}"), "chinwag:log:{general}");
    }
}
