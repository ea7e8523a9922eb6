//! Why a store could not do what was asked: [`StoreError`], one variant per engine plus the
//! failures both share, each carrying its cause as a type rather than a string.
//!
//! Every caller (the hub, sessions, the HTTP API) treats all of them alike: the client is told
//! `unavailable` and may retry, idempotently, with its `client_id`. The variants are for the
//! log line and the operator. [`RedisError`] is defined here, not in `cluster/`, because the
//! store's error names it and the store sits below the cluster; the Redis link and presence
//! return it too. No error here carries a secret: a Redis URL's password is never in one.

use super::sqlite::SqliteError;
use chinwag_shared::ValidationError;
use std::time::Duration;

/// Why the store could not do what was asked. Clients see all of these as `unavailable`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The embedded engine failed (see [`SqliteError`]).
    #[error("sqlite: {0}")]
    Sqlite(#[from] SqliteError),
    /// Redis refused, timed out or is unreachable; the write may or may not have happened, so
    /// it is never confirmed (a retry with the same `client_id` stores it at most once).
    #[error("redis: {0}")]
    Redis(#[from] RedisError),
    /// The store was shut down; no more writes are taken.
    #[error("the store is shut down")]
    Closed,
    /// A stored value no longer passes validation.
    #[error(transparent)]
    Corrupt(#[from] Corrupt),
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        Self::Sqlite(SqliteError::Refused(err))
    }
}

/// A value read back from a store that no longer passes validation: a database file edited
/// by hand, or a Redis key written by something other than Chinwag.
#[derive(Debug, thiserror::Error)]
pub enum Corrupt {
    /// A stored name (a room's, a user's) is not a valid one.
    #[error("stored value {raw:?} is invalid: {reason}")]
    Value {
        /// The value as stored.
        raw: String,
        /// The rule it breaks.
        #[source]
        reason: ValidationError,
    },
    /// A Redis log entry is not the JSON of a server message.
    #[error("a log entry is not a server message: {0}")]
    Entry(#[from] serde_json::Error),
    /// A Redis log entry is a server message, but not a chat record.
    #[error("a log entry is not a chat record")]
    NotChat,
    /// A Redis log entry has no record field.
    #[error("a log entry has no record")]
    NoRecord,
    /// An entry of the Redis room list is not a room name with an id.
    #[error("room list entry {room:?} {last_id:?}")]
    RoomListEntry {
        /// The member, as stored.
        room: String,
        /// Its score, as Redis answered it.
        last_id: String,
    },
}

/// Why a command to Redis failed: the Redis engine's log, fan-out and presence all meet
/// these, through `cluster::Link`. Cloned to answer every append of a failed batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RedisError {
    /// Redis, or the connection to it, answered with an error (or the URL is not one).
    #[error(transparent)]
    Refused(#[from] redis::RedisError),
    /// No answer within the deadline (`--redis-timeout-ms`).
    #[error("no answer within {} ms", after.as_millis())]
    TimedOut {
        /// The deadline that passed.
        after: Duration,
    },
    /// Redis ended the fan-out subscription.
    #[error("subscription closed")]
    SubscriptionClosed,
    /// Fewer replicas than `--redis-wait-replicas` acknowledged a write in time: it is on the
    /// master, but not yet safe from a failover, so it is not confirmed.
    #[error("{acked} of {wanted} replicas acknowledged in time")]
    NotReplicated {
        /// Replicas asked for.
        wanted: u32,
        /// Replicas that acknowledged.
        acked: u32,
    },
    /// A one-Redis subscriber was given a link to a cluster (a bug, not an outage).
    #[error("this subscriber needs one Redis, not a cluster")]
    NotOneRedis,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SyncMode;
    use std::sync::Arc;

    #[test]
    fn a_redis_url_that_does_not_parse_keeps_its_password_out_of_the_error() {
        for url in ["redis://:hunter2@[::1:6379", "rediss//:hunter2@host:6379"] {
            let Err(err) = redis::Client::open(url) else {
                panic!("{url} is no URL");
            };
            let shown = StoreError::from(RedisError::from(err)).to_string();
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.starts_with("redis: "), "{shown}");
        }
    }

    #[test]
    fn a_missed_deadline_says_how_long_it_waited() {
        let err = StoreError::from(RedisError::TimedOut {
            after: Duration::from_millis(250),
        });
        assert_eq!(err.to_string(), "redis: no answer within 250 ms");
    }

    #[test]
    fn a_failed_batch_names_its_size_and_its_one_cause() {
        let cause = Arc::new(StoreError::Sqlite(SqliteError::SyncNotApplied {
            wanted: SyncMode::Full,
            level: 0,
        }));
        let err = StoreError::from(SqliteError::BatchFailed { batch: 3, cause });
        assert_eq!(
            err.to_string(),
            "sqlite: a batch of 3 appends failed: \
             sqlite: PRAGMA synchronous is 0 after setting it to 2 (full)"
        );
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn a_stored_name_that_breaks_the_rules_is_reported_with_the_rule() {
        let reason = chinwag_shared::RoomName::parse("Not A Room").unwrap_err();
        let err = StoreError::from(Corrupt::Value {
            raw: "Not A Room".to_owned(),
            reason,
        });
        assert!(
            err.to_string()
                .starts_with("stored value \"Not A Room\" is invalid: "),
            "{err}"
        );
    }
}
