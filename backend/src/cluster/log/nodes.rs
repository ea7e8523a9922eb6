//! Why a deleted text really leaves Redis: one stream entry per listpack node.
//!
//! Redis keeps a stream's entries in listpack nodes of up to `stream-node-max-entries` (100 by
//! default). `XDEL` only flags an entry deleted inside its node: its bytes stay, in memory and
//! in every `DUMP` and RDB snapshot, until each entry of that node is deleted or trimmed. With
//! `stream-node-max-entries 1` every entry is a node of its own, and the change script's
//! `XDEL` frees it at once, at a cost in memory: ~730 B per entry instead of ~220 B, measured
//! on 200-byte records. The store ([`super::RedisStore`]) runs [`keep_one_entry_per_node`]:
//! it sets that as soon as Redis answers and checks again every [`RECHECK_EVERY`] (a Redis
//! restarted from its config file forgets a `CONFIG SET`), warning while Redis refuses it (a
//! managed Redis that disables `CONFIG`). It never fails start-up and never touches readiness.
//! The setting applies to nodes created after it: entries stored before it share nodes. It is
//! set on the Redis the node talks to only; a replica needs it in its own configuration.

use crate::{cluster::link::Link, store::RedisError};
use std::{collections::HashMap, time::Duration};

/// How often the store checks again once Redis has answered.
pub const RECHECK_EVERY: Duration = Duration::from_secs(60);

/// How soon the store asks again while Redis does not answer at all.
const RETRY_UNREACHABLE: Duration = Duration::from_secs(1);

/// The Redis setting, and the value that gives each entry a node of its own.
const SETTING: &str = "stream-node-max-entries";
const ONE: &str = "1";

/// What one check of `stream-node-max-entries` found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamNodes {
    /// It was 1 already.
    OneEntryEach,
    /// It was `was`; the store set it to 1.
    Set {
        /// The value before.
        was: String,
    },
    /// Redis answers but refused `CONFIG GET` or `CONFIG SET` (or answered something odd):
    /// deleted texts may stay in shared nodes.
    Refused,
    /// Redis did not answer; the check is repeated soon.
    Unreachable,
}

/// Sets `stream-node-max-entries` to 1 unless it is already.
pub async fn one_entry_per_node(link: &Link) -> StreamNodes {
    let current = link
        .ask(|mut conn| async move {
            redis::cmd("CONFIG")
                .arg("GET")
                .arg(SETTING)
                .query_async::<HashMap<String, String>>(&mut conn)
                .await
        })
        .await;
    let was = match current {
        Ok(config) => match config.get(SETTING) {
            Some(value) if value == ONE => return StreamNodes::OneEntryEach,
            Some(value) => value.clone(),
            None => return StreamNodes::Refused,
        },
        Err(err) => return refusal(link, &err),
    };
    let set = link
        .ask(|mut conn| async move {
            redis::cmd("CONFIG")
                .arg("SET")
                .arg(SETTING)
                .arg(ONE)
                .query_async::<()>(&mut conn)
                .await
        })
        .await;
    match set {
        Ok(()) => StreamNodes::Set { was },
        Err(err) => refusal(link, &err),
    }
}

/// A failed `CONFIG` command: Redis refused it, or did not answer at all.
fn refusal(link: &Link, err: &RedisError) -> StreamNodes {
    let unanswered = match err {
        RedisError::TimedOut { .. } => true,
        RedisError::Refused(err) => err.is_io_error() || err.is_connection_dropped(),
        RedisError::SubscriptionClosed
        | RedisError::NotReplicated { .. }
        | RedisError::NotOneRedis => false,
    };
    if unanswered || !link.is_ready() {
        StreamNodes::Unreachable
    } else {
        tracing::debug!(error = %err, "CONFIG {SETTING} refused");
        StreamNodes::Refused
    }
}

/// Keeps `stream-node-max-entries` at 1 for as long as it runs (the store aborts it when
/// dropped), logging each change of what it finds.
pub async fn keep_one_entry_per_node(link: Link) {
    let mut last = None;
    loop {
        let found = one_entry_per_node(&link).await;
        if last.as_ref() != Some(&found) {
            report(&found);
        }
        let wait = match found {
            StreamNodes::Unreachable => RETRY_UNREACHABLE,
            StreamNodes::OneEntryEach | StreamNodes::Set { .. } | StreamNodes::Refused => {
                RECHECK_EVERY
            }
        };
        last = Some(found);
        tokio::time::sleep(wait).await;
    }
}

fn report(found: &StreamNodes) {
    match found {
        StreamNodes::OneEntryEach => {
            tracing::debug!("redis keeps one stream entry per node: deleted texts leave it");
        }
        StreamNodes::Set { was } => tracing::info!(
            was = %was,
            "set redis's stream-node-max-entries to 1, so a deleted message's text leaves \
             its memory and snapshots at once; put it in redis.conf to keep it across restarts"
        ),
        StreamNodes::Refused => tracing::warn!(
            "redis refused `CONFIG SET stream-node-max-entries 1`: the text of a deleted \
             message stays in its stream node (memory, DUMP, RDB) until the node's other \
             entries are deleted or trimmed; set it in the Redis configuration"
        ),
        StreamNodes::Unreachable => {}
    }
}

/// Aborts the task it holds when dropped: ties a background check to its store.
pub struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
