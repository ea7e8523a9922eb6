//! Mutes and bans in Redis: one hash field per (subject, kind) in each scope, and an index of
//! when each ends.
//!
//! [`super::RedisModeration`] calls [`impose`] and [`lift`] for the hub's moderation acts, and
//! [`parse`] on what its rules scripts ([`super::rules`]) read. The field is `{kind}:{subject}`
//! (`mute:a:17`), so imposing again overwrites the one sanction of that subject and kind; its
//! value is the sanction's JSON ([`Stored`]). Every script that touches a scope first forgets
//! the sanctions whose end has passed by Redis's clock ([`FORGET_EXPIRED`]), so a scope holds
//! only what is in force (plus what ended since it was last touched), and [`impose`] refuses a
//! new one past [`SANCTIONS_KEPT`] in the same step that counts them.

use super::{keys, malformed, write};
use crate::{
    cluster::Link,
    store::{
        Corrupt, StoreError,
        moderation::{SANCTIONS_KEPT, Sanction, Scope, Subject, TooManySanctions},
    },
};
use chinwag_shared::{Username, moderation::SanctionKind};
use redis::Script;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, sync::LazyLock};

/// Lua shared by every script that touches a scope's sanctions: `forget_expired(hash, ends)`
/// deletes the fields whose end (their score in `ends`) is at or before now, by Redis's
/// `TIME` (a sanction holds while `now < until`). Redis replicates a script's effects, so
/// reading the clock in one is allowed.
pub(super) const FORGET_EXPIRED: &str = r"
local function forget_expired(sanctions, ends)
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local over = string.format('%.0f', now)
  local gone = redis.call('ZRANGEBYSCORE', ends, '-inf', over)
  for _, field in ipairs(gone) do
    redis.call('HDEL', sanctions, field)
  end
  if #gone > 0 then
    redis.call('ZREMRANGEBYSCORE', ends, '-inf', over)
  end
end
";

/// KEYS: the scope's sanctions, their ends. ARGV: the field, the sanction's JSON, its end
/// (`+inf` until lifted), how many the scope keeps. Returns 1 if stored, 0 if the scope is
/// full (replacing a field never makes it fuller).
static IMPOSE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        &[
            FORGET_EXPIRED,
            r"
forget_expired(KEYS[1], KEYS[2])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0
    and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
",
        ]
        .concat(),
    )
});

/// KEYS: the scope's sanctions, their ends. ARGV: the field. Returns 1 if a sanction in force
/// was lifted, 0 if there was none (or it had ended).
static LIFT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        &[
            FORGET_EXPIRED,
            r"
forget_expired(KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
",
        ]
        .concat(),
    )
});

/// A sanction's hash field: one per subject and kind, whatever the rest of it says.
fn field(subject: &Subject, kind: SanctionKind) -> String {
    format!("{}:{subject}", kind_key(kind))
}

/// A kind's stored form (its wire string).
fn kind_key(kind: SanctionKind) -> &'static str {
    match kind {
        SanctionKind::Mute => "mute",
        SanctionKind::Ban => "ban",
    }
}

/// A sanction as its hash field's value holds it: everything but its scope (the key says it).
/// Names go through their validation when read back, and the subject through
/// [`Subject::parse`], so a value written by something other than Chinwag is an error.
#[derive(Debug, Serialize, Deserialize)]
struct StoredSanction {
    kind: SanctionKind,
    #[serde(with = "subject_form")]
    subject: Subject,
    username: Username,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until: Option<u64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    reason: String,
    by: Username,
    created: u64,
}

impl StoredSanction {
    /// What `sanction`'s field holds.
    fn of(sanction: &Sanction) -> Self {
        Self {
            kind: sanction.kind,
            subject: sanction.subject.clone(),
            username: sanction.username.clone(),
            until: sanction.until,
            reason: sanction.reason.clone(),
            by: sanction.by.clone(),
            created: sanction.created,
        }
    }

    /// The sanction it holds, in `scope`.
    fn in_scope(self, scope: &Scope) -> Sanction {
        Sanction {
            scope: scope.clone(),
            subject: self.subject,
            kind: self.kind,
            username: self.username,
            until: self.until,
            reason: self.reason,
            by: self.by,
            created: self.created,
        }
    }
}

/// [`Subject`] in JSON as its stored form ([`Subject::key`]).
mod subject_form {
    use crate::store::moderation::Subject;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(subject: &Subject, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&subject.key())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Subject, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Subject::parse(&raw).ok_or_else(|| D::Error::custom(format!("no subject: {raw:?}")))
    }
}

/// Imposes `sanction`, replacing the one of its scope, subject and kind; refuses a new one in
/// a scope holding [`SANCTIONS_KEPT`] in force.
pub(super) async fn impose(
    link: &Link,
    sanction: &Sanction,
) -> Result<Result<(), TooManySanctions>, StoreError> {
    let json = serde_json::to_string(&StoredSanction::of(sanction)).map_err(Corrupt::Entry)?;
    let ends = sanction
        .until
        .map_or_else(|| "+inf".to_owned(), |until| until.to_string());
    let mut invocation = IMPOSE.prepare_invoke();
    invocation
        .key(keys::sanctions(&sanction.scope))
        .key(keys::sanction_ends(&sanction.scope))
        .arg(field(&sanction.subject, sanction.kind))
        .arg(json)
        .arg(ends)
        .arg(SANCTIONS_KEPT);
    let stored: i64 = write(link, invocation).await?;
    Ok(if stored == 1 {
        Ok(())
    } else {
        Err(TooManySanctions)
    })
}

/// Lifts the sanction of `scope`, `subject` and `kind`; whether one was in force.
pub(super) async fn lift(
    link: &Link,
    scope: &Scope,
    subject: &Subject,
    kind: SanctionKind,
) -> Result<bool, StoreError> {
    let mut invocation = LIFT.prepare_invoke();
    invocation
        .key(keys::sanctions(scope))
        .key(keys::sanction_ends(scope))
        .arg(field(subject, kind));
    let lifted: i64 = write(link, invocation).await?;
    Ok(lifted == 1)
}

/// `scope`'s sanctions from its hash (field → JSON), in field order. A value that is not a
/// sanction's JSON is [`Corrupt::Entry`]; one filed under another subject or kind than its
/// own would break "one per subject and kind", so it is an error too.
pub(super) fn parse(
    scope: &Scope,
    fields: BTreeMap<String, String>,
) -> Result<Vec<Sanction>, StoreError> {
    fields
        .into_iter()
        .map(|(at, json)| {
            let stored: StoredSanction = serde_json::from_str(&json).map_err(Corrupt::Entry)?;
            if at != field(&stored.subject, stored.kind) {
                return Err(malformed(
                    &keys::sanctions(scope),
                    format!("field {at:?} holds another subject's sanction"),
                ));
            }
            Ok(stored.in_scope(scope))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::accounts::AccountId;

    fn account(id: &str) -> Subject {
        Subject::Account(AccountId::new(id))
    }

    #[test]
    fn a_subject_and_kind_make_one_field() {
        assert_eq!(field(&account("17"), SanctionKind::Mute), "mute:a:17");
        assert_eq!(
            field(&account("jwt:a:b"), SanctionKind::Ban),
            "ban:a:jwt:a:b"
        );
        assert_ne!(
            field(&account("17"), SanctionKind::Mute),
            field(&account("17"), SanctionKind::Ban)
        );
    }

    #[test]
    fn a_stored_sanction_reads_back_whole() {
        let scope = Scope::Site;
        let sanction = Sanction {
            scope: scope.clone(),
            subject: Subject::Address("::1".parse().unwrap()),
            kind: SanctionKind::Ban,
            username: Username::parse("mallory").unwrap(),
            until: Some(5),
            reason: "spam".to_owned(),
            by: Username::parse("admin").unwrap(),
            created: 3,
        };
        let json = serde_json::to_string(&StoredSanction::of(&sanction)).unwrap();
        let fields = BTreeMap::from([(field(&sanction.subject, sanction.kind), json)]);
        assert_eq!(parse(&scope, fields).unwrap(), vec![sanction]);
    }
}
