//! The Redis engine's moderation directory ([`Moderation`]): roles, slow mode, mutes and bans,
//! the audit log and read markers, shared by every node on one Redis, so an act taken through
//! one node holds on all.
//!
//! The hub (`hub::moderation`, `hub::rules`) calls it through the trait, exactly as it calls
//! the SQLite directory. The keys ([`keys`] builds each name; `{general}` and `{*}` are literal
//! braces, the hash tag of a room's or the site's keys):
//!
//! - `chinwag:room-rules:{general}`: a hash with `owner` and `slow_mode_secs` (absent when off);
//! - `chinwag:moderators:{general}` and `chinwag:admins:{*}`: sets of account ids;
//! - `chinwag:sanctions:{general}` / `{*}`: a hash, kind and subject (`mute:a:17`) → the
//!   sanction's JSON,
//!   and `chinwag:sanction-ends:{general}` / `{*}`: the same fields scored by end (`+inf`
//!   until lifted) ([`sanctions`]);
//! - `chinwag:audit-last-id:{general}` / `{*}`: the counter audit ids are drawn from, and
//!   `chinwag:audit:{general}` / `{*}` (the site's log): a stream of the newest
//!   [`AUDIT_KEPT`](crate::store::moderation::AUDIT_KEPT) entries ([`audit`]);
//! - `chinwag:read-markers:17` for account `17` (no tag): a hash, room → id ([`markers`]).
//!
//! Invariants, each kept by one Lua script (Redis runs a script alone): one sanction per
//! scope, subject and kind, at most
//! [`SANCTIONS_KEPT`](crate::store::moderation::SANCTIONS_KEPT) per scope, expired ones forgotten
//! before counting; audit ids drawn and the log trimmed in the step that appends; a marker
//! compared and moved in one step. A Redis failure is [`StoreError::Redis`]; a stored name or
//! JSON value that no longer validates is [`crate::store::Corrupt`]; a stored number or shape
//! that is not one Chinwag writes is a Redis type error, as in [`super::accounts`].

pub mod keys;

mod audit;
mod markers;
mod rules;
mod sanctions;

use super::Link;
use crate::store::{
    Corrupt, RedisError, StoreError,
    accounts::AccountId,
    moderation::{
        Moderation, NewAudit, RoomRules, Sanction, Scope, SiteRules, Subject, TooManySanctions,
    },
};
use async_trait::async_trait;
use chinwag_shared::{
    RoomName, ValidationError,
    moderation::{AuditEntry, SanctionKind},
};
use redis::{Cmd, FromRedisValue, ScriptInvocation};

/// The moderation directory in Redis.
pub struct RedisModeration {
    link: Link,
}

impl RedisModeration {
    /// The directory on `link`.
    pub fn new(link: Link) -> Self {
        Self { link }
    }
}

/// Runs a read-only `command` (retried once after a lost connection).
async fn read_command<T: FromRedisValue>(link: &Link, command: &Cmd) -> Result<T, StoreError> {
    Ok(link
        .read(|mut conn| async move { command.query_async(&mut conn).await })
        .await?)
}

/// Runs a script whose only writes are safe to repeat (forgetting what has expired), so it
/// is retried once after a lost connection, like a read.
async fn read_script<T: FromRedisValue>(
    link: &Link,
    invocation: &ScriptInvocation<'_>,
) -> Result<T, StoreError> {
    Ok(link
        .read(|mut conn| async move { invocation.invoke_async(&mut conn).await })
        .await?)
}

/// Runs a script that writes: never retried, as for every write of the engine.
async fn write<T: FromRedisValue>(
    link: &Link,
    invocation: ScriptInvocation<'_>,
) -> Result<T, StoreError> {
    Ok(link
        .call(|mut conn| async move { invocation.invoke_async(&mut conn).await })
        .await?)
}

/// Runs one command that writes: never retried.
async fn write_command<T: FromRedisValue>(link: &Link, command: Cmd) -> Result<T, StoreError> {
    Ok(link
        .call(|mut conn| async move { command.query_async(&mut conn).await })
        .await?)
}

/// A stored name read back through its validation, as the SQLite directory does.
fn stored<T>(raw: &str, parse: fn(&str) -> Result<T, ValidationError>) -> Result<T, StoreError> {
    parse(raw).map_err(|reason| {
        Corrupt::Value {
            raw: raw.to_owned(),
            reason,
        }
        .into()
    })
}

/// A value at `key` is not of a shape Chinwag writes (`detail` says how): written by something
/// else. Reported as Redis's own answer to a value of the wrong type is, which leaves the
/// node's readiness alone (the error is made here, after Redis answered).
fn malformed(key: &str, detail: String) -> StoreError {
    let err = redis::RedisError::from((
        redis::ErrorKind::UnexpectedReturnType,
        "moderation entry malformed",
        format!("{key}: {detail}"),
    ));
    RedisError::Refused(err).into()
}

#[async_trait]
impl Moderation for RedisModeration {
    async fn room_rules(&self, room: &RoomName) -> Result<RoomRules, StoreError> {
        rules::room(&self.link, room).await
    }

    async fn site_rules(&self) -> Result<SiteRules, StoreError> {
        rules::site(&self.link).await
    }

    async fn set_owner(&self, room: &RoomName, owner: &AccountId) -> Result<(), StoreError> {
        rules::set_owner(&self.link, room, owner).await
    }

    async fn set_moderator(
        &self,
        room: &RoomName,
        account: &AccountId,
        moderator: bool,
    ) -> Result<bool, StoreError> {
        rules::set_in(&self.link, keys::moderators(room), account, moderator).await
    }

    async fn set_admin(&self, account: &AccountId, admin: bool) -> Result<bool, StoreError> {
        rules::set_in(&self.link, keys::admins(), account, admin).await
    }

    async fn set_slow_mode(&self, room: &RoomName, secs: u32) -> Result<(), StoreError> {
        rules::set_slow_mode(&self.link, room, secs).await
    }

    async fn impose(
        &self,
        sanction: &Sanction,
    ) -> Result<Result<(), TooManySanctions>, StoreError> {
        sanctions::impose(&self.link, sanction).await
    }

    async fn lift(
        &self,
        scope: &Scope,
        subject: &Subject,
        kind: SanctionKind,
    ) -> Result<bool, StoreError> {
        sanctions::lift(&self.link, scope, subject, kind).await
    }

    async fn audit(&self, scope: &Scope, audit: NewAudit) -> Result<u64, StoreError> {
        audit::append(&self.link, scope, audit).await
    }

    async fn audit_log(
        &self,
        scope: &Scope,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        audit::page(&self.link, scope, before, limit).await
    }

    async fn set_read_marker(
        &self,
        account: &AccountId,
        room: &RoomName,
        id: u64,
    ) -> Result<u64, StoreError> {
        markers::set(&self.link, account, room, id).await
    }

    async fn read_markers(&self, account: &AccountId) -> Result<Vec<(RoomName, u64)>, StoreError> {
        markers::all(&self.link, account).await
    }
}
