//! The moderation directory's Redis key names, built only here, all in the `chinwag:` namespace.
//!
//! [`super::RedisModeration`]'s modules take every key name from these functions; the `//!` of
//! [`super`] says what each key holds. A key scoped to a room or to the site ends in that
//! scope's [`Scope::key`] in literal braces (`chinwag:sanctions:{general}`, and
//! `chinwag:sanctions:{*}` for the site): a Redis Cluster hash tag, so every key one script or
//! transaction touches hashes to one slot when rooms are sharded, at no cost on one Redis. Room
//! names hold no braces and never are `*`, so the tag is the whole scope and two scopes never
//! share a key. Read markers belong to an account and are touched one key per command, so
//! they need no tag; like every key here they are a fixed prefix with one variable part at the
//! end, so two values never share a key, whatever text an account id holds.

use crate::store::moderation::Scope;
use chinwag_shared::RoomName;

/// A room's owner and slow mode (a hash with `owner` and `slow_mode_secs`).
pub fn room_rules(room: &RoomName) -> String {
    format!("chinwag:room-rules:{{{room}}}")
}

/// A room's moderators (a set of account ids).
pub fn moderators(room: &RoomName) -> String {
    format!("chinwag:moderators:{{{room}}}")
}

/// The site's admins (a set of account ids), tagged like the site's sanctions so the site's
/// rules are read in one step.
pub fn admins() -> String {
    format!("chinwag:admins:{{{}}}", Scope::Site.key())
}

/// A scope's sanctions (a hash, one field per subject and kind).
pub fn sanctions(scope: &Scope) -> String {
    format!("chinwag:sanctions:{{{}}}", scope.key())
}

/// When each of a scope's sanctions ends (a sorted set of the same fields, scored by end).
pub fn sanction_ends(scope: &Scope) -> String {
    format!("chinwag:sanction-ends:{{{}}}", scope.key())
}

/// The last audit id drawn for a scope (`INCR`; never reused, even past trimming).
pub fn audit_last_id(scope: &Scope) -> String {
    format!("chinwag:audit-last-id:{{{}}}", scope.key())
}

/// A scope's audit log (a stream whose entry ids are `{id}-0`): a room's, or the site's.
pub fn audit(scope: &Scope) -> String {
    format!("chinwag:audit:{{{}}}", scope.key())
}

/// An account's read markers (a hash, room → id).
pub fn read_markers(account: &str) -> String {
    format!("chinwag:read-markers:{account}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn general() -> RoomName {
        RoomName::parse("general").unwrap()
    }

    #[test]
    fn a_rooms_keys_share_its_hash_tag() {
        let room = general();
        let scope = Scope::Room(room.clone());
        for key in [
            room_rules(&room),
            moderators(&room),
            sanctions(&scope),
            sanction_ends(&scope),
            audit_last_id(&scope),
            audit(&scope),
        ] {
            assert!(key.starts_with("chinwag:"), "{key}");
            assert!(key.ends_with(":{general}"), "{key}");
        }
        assert_eq!(sanctions(&scope), "chinwag:sanctions:{general}");
    }

    #[test]
    fn the_sites_keys_share_a_tag_no_room_has() {
        for key in [
            admins(),
            sanctions(&Scope::Site),
            sanction_ends(&Scope::Site),
            audit(&Scope::Site),
            audit_last_id(&Scope::Site),
        ] {
            assert!(key.ends_with(":{*}"), "{key}");
        }
        let site = RoomName::parse("site").unwrap();
        assert_ne!(
            sanctions(&Scope::Site),
            sanctions(&Scope::Room(site)),
            "a room named site is not the site"
        );
    }

    #[test]
    fn read_markers_are_keyed_by_the_whole_account_id() {
        assert_eq!(read_markers("17"), "chinwag:read-markers:17");
        assert_eq!(read_markers("jwt:a:b"), "chinwag:read-markers:jwt:a:b");
    }
}
