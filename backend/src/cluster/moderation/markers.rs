//! Read markers in Redis: one hash per account, room → the newest id it has read.
//!
//! [`super::RedisModeration`] calls these for `PUT /api/rooms/{room}/read` and for the unread
//! counts of the room lists. A marker only moves forward: [`MOVE`] compares and writes in one
//! step, so two connections (or nodes) moving one marker at once never take it back. Ids are
//! compared as decimal strings (longer is larger, then by text), not as Lua numbers, which are
//! doubles and would round ids past 2^53; so a stored value must be a number's canonical
//! digits, and one that is not is left alone and reported, never compared.

use super::{keys, malformed, read_command, stored, write};
use crate::{
    cluster::Link,
    store::{StoreError, accounts::AccountId},
};
use chinwag_shared::RoomName;
use redis::Script;
use std::{collections::BTreeMap, sync::LazyLock};

/// KEYS: the account's markers. ARGV: the room, the id (canonical digits). Returns the marker
/// after the move: the id if it was forward (or there was none), else the stored value,
/// which is returned unchanged (and unwritten over) when it is not canonical digits.
static MOVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local canonical = current == '0' or string.match(current, '^[1-9]%d*$') ~= nil
  if not canonical then
    return current
  end
  if #current > #ARGV[2] or (#current == #ARGV[2] and current >= ARGV[2]) then
    return current
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ARGV[2]
",
    )
});

/// Moves `account`'s marker in `room` to `id` if that is forward; the marker after the move.
pub(super) async fn set(
    link: &Link,
    account: &AccountId,
    room: &RoomName,
    id: u64,
) -> Result<u64, StoreError> {
    let key = keys::read_markers(account.as_str());
    let mut invocation = MOVE.prepare_invoke();
    invocation.key(&key).arg(room.as_str()).arg(id.to_string());
    let marker: String = write(link, invocation).await?;
    parse_marker(&key, room.as_str(), &marker)
}

/// `account`'s markers, by room name.
pub(super) async fn all(
    link: &Link,
    account: &AccountId,
) -> Result<Vec<(RoomName, u64)>, StoreError> {
    let key = keys::read_markers(account.as_str());
    let mut command = redis::cmd("HGETALL");
    command.arg(&key);
    let markers: BTreeMap<String, String> = read_command(link, &command).await?;
    markers
        .into_iter()
        .map(|(room, id)| {
            let id = parse_marker(&key, &room, &id)?;
            Ok((stored(&room, RoomName::parse)?, id))
        })
        .collect()
}

/// A stored marker: the canonical digits of a `u64` (what [`set`] writes), nothing else.
fn parse_marker(key: &str, room: &str, raw: &str) -> Result<u64, StoreError> {
    raw.parse::<u64>()
        .ok()
        .filter(|id| id.to_string() == raw)
        .ok_or_else(|| malformed(key, format!("marker {raw:?} in {room:?} is no id")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_digits_are_markers() {
        assert_eq!(parse_marker("k", "r", "0").unwrap(), 0);
        assert_eq!(parse_marker("k", "r", "42").unwrap(), 42);
        assert_eq!(
            parse_marker("k", "r", &u64::MAX.to_string()).unwrap(),
            u64::MAX
        );
        for bad in [
            "",
            "012",
            "+1",
            " 1",
            "1.0",
            "-1",
            "x",
            "18446744073709551616",
        ] {
            assert!(parse_marker("k", "r", bad).is_err(), "{bad:?}");
        }
    }
}
