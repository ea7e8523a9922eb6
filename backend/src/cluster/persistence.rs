//! Whether the Redis a node runs on keeps what the node confirms: the AOF check.
//!
//! On the Redis engine a message is confirmed once Redis has run its append, so how durable a
//! confirmation is depends on Redis's persistence settings, which the node can read but not
//! choose. [`watch`] asks as soon as Redis answers and again every [`RECHECK_EVERY`], warns
//! while the append-only file is off, and keeps `chinwag_redis_aof_enabled` in step. It reads
//! `CONFIG GET append*`; managed services often disable `CONFIG`, so it falls back to `INFO
//! persistence`. It only ever logs: it never fails start-up and never touches readiness.

use super::link::Link;
use crate::metrics::Metrics;
use std::{collections::HashMap, sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

/// How often a node checks again once it has an answer: a Redis restarted with other settings,
/// or a `CONFIG SET appendonly`, shows within this.
pub const RECHECK_EVERY: Duration = Duration::from_secs(60);

/// How soon a node asks again while Redis does not answer at all.
const RETRY_UNREACHABLE: Duration = Duration::from_secs(1);

/// Redis's `appendfsync`: when the append-only file is fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Before Redis answers: a confirmed message survives a power cut.
    Always,
    /// Once a second, in the background: a power cut or OS crash may lose the last second or two.
    EverySec,
    /// When the kernel writes back: an OS crash may lose up to ~30 s (Linux's default).
    No,
    /// `CONFIG` was refused, and `INFO` does not say.
    Unknown,
}

impl Fsync {
    /// Redis's spelling of the policy, for logs.
    fn name(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::EverySec => "everysec",
            Self::No => "no",
            Self::Unknown => "unknown",
        }
    }
}

/// What a Redis persists of what it confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// `appendonly no`: confirmed messages live in memory (and in RDB snapshots, if any); a
    /// restart loses everything since the last snapshot.
    AofOff,
    /// `appendonly yes`, fsynced as said.
    Aof(Fsync),
}

/// What one check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Finding {
    /// Redis said.
    Known(Persistence),
    /// Redis answers but refused both `CONFIG GET` and `INFO persistence` (or answered
    /// neither in a form we read).
    Refused,
    /// Redis did not answer; the link logs that, and readiness reports it.
    Unreachable,
}

impl Persistence {
    /// `CONFIG GET append*` as name → value; `None` if `appendonly` is missing or odd.
    pub fn from_config(config: &HashMap<String, String>) -> Option<Self> {
        match config.get("appendonly")?.as_str() {
            "no" => Some(Self::AofOff),
            "yes" => Some(Self::Aof(
                match config.get("appendfsync").map(String::as_str) {
                    Some("always") => Fsync::Always,
                    Some("everysec") => Fsync::EverySec,
                    Some("no") => Fsync::No,
                    _ => Fsync::Unknown,
                },
            )),
            _ => None,
        }
    }

    /// The text of `INFO persistence`; `None` if it has no readable `aof_enabled` line.
    pub fn from_info(info: &str) -> Option<Self> {
        let enabled = info
            .lines()
            .find_map(|line| line.trim_end().strip_prefix("aof_enabled:"))?;
        match enabled {
            "0" => Some(Self::AofOff),
            "1" => Some(Self::Aof(Fsync::Unknown)),
            _ => None,
        }
    }

    /// `chinwag_redis_aof_enabled`'s value.
    fn gauge(self) -> i64 {
        match self {
            Self::AofOff => 0,
            Self::Aof(_) => 1,
        }
    }
}

/// Checks Redis's persistence until `stop`, logging each change of what it finds and setting
/// the gauge (-1 while unknown).
pub async fn watch(link: Link, metrics: Arc<Metrics>, stop: CancellationToken) {
    let mut last = None;
    loop {
        let finding = check(&link).await;
        if last != Some(finding) {
            report(finding, &metrics);
            last = Some(finding);
        }
        let wait = match finding {
            Finding::Unreachable => RETRY_UNREACHABLE,
            Finding::Known(_) | Finding::Refused => RECHECK_EVERY,
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

async fn check(link: &Link) -> Finding {
    let config = link
        .ask(|mut conn| async move {
            redis::cmd("CONFIG")
                .arg("GET")
                .arg("append*")
                .query_async::<HashMap<String, String>>(&mut conn)
                .await
        })
        .await;
    let config_error = match config.map(|config| Persistence::from_config(&config)) {
        Ok(Some(found)) => return Finding::Known(found),
        Ok(None) => "no appendonly in the answer".to_owned(),
        Err(err) => err.to_string(),
    };
    let info = link
        .ask(|mut conn| async move {
            redis::cmd("INFO")
                .arg("persistence")
                .query_async::<String>(&mut conn)
                .await
        })
        .await;
    match info.map(|info| Persistence::from_info(&info)) {
        Ok(Some(found)) => {
            tracing::debug!(error = %config_error, "CONFIG GET refused; read INFO persistence");
            Finding::Known(found)
        }
        Ok(None) | Err(_) if !link.is_ready() => Finding::Unreachable,
        Ok(None) => Finding::Refused,
        Err(err) => {
            tracing::debug!(config = %config_error, info = %err, "persistence unreadable");
            Finding::Refused
        }
    }
}

fn report(finding: Finding, metrics: &Metrics) {
    match finding {
        Finding::Known(Persistence::AofOff) => tracing::warn!(
            "redis has its append-only file off: confirmed messages live only in its memory \
             (and RDB snapshots, if any), and a Redis restart loses them; set `appendonly yes`"
        ),
        Finding::Known(Persistence::Aof(Fsync::No)) => tracing::warn!(
            "redis fsyncs its append-only file only when the kernel writes back \
             (`appendfsync no`): an OS crash or power cut may lose ~30 s of confirmed messages"
        ),
        Finding::Known(Persistence::Aof(fsync)) => {
            tracing::info!(
                appendfsync = fsync.name(),
                "redis keeps an append-only file"
            );
        }
        Finding::Refused => tracing::warn!(
            "cannot tell whether redis persists what it confirms: it refused both `CONFIG GET \
             append*` and `INFO persistence`"
        ),
        Finding::Unreachable => {}
    }
    let gauge = match finding {
        Finding::Known(persistence) => persistence.gauge(),
        Finding::Refused | Finding::Unreachable => -1,
    };
    metrics.redis_aof_enabled.set(gauge);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn config_get_names_the_fsync_policy() {
        let read = |appendonly, appendfsync| {
            Persistence::from_config(&config(&[
                ("appendonly", appendonly),
                ("appendfsync", appendfsync),
                ("appendfilename", "appendonly.aof"),
            ]))
        };
        assert_eq!(read("no", "everysec"), Some(Persistence::AofOff));
        assert_eq!(read("yes", "always"), Some(Persistence::Aof(Fsync::Always)));
        assert_eq!(
            read("yes", "everysec"),
            Some(Persistence::Aof(Fsync::EverySec))
        );
        assert_eq!(read("yes", "no"), Some(Persistence::Aof(Fsync::No)));
        assert_eq!(
            read("yes", "sometimes"),
            Some(Persistence::Aof(Fsync::Unknown))
        );
        assert_eq!(read("maybe", "always"), None);
        assert_eq!(Persistence::from_config(&config(&[])), None);
    }

    #[test]
    fn info_persistence_tells_on_from_off_but_not_the_policy() {
        let info = |enabled: &str| {
            format!(
                "# Persistence\r\nloading:0\r\naof_enabled:{enabled}\r\naof_rewrite_in_progress:0\r\n"
            )
        };
        assert_eq!(
            Persistence::from_info(&info("0")),
            Some(Persistence::AofOff)
        );
        assert_eq!(
            Persistence::from_info(&info("1")),
            Some(Persistence::Aof(Fsync::Unknown))
        );
        assert_eq!(Persistence::from_info(&info("x")), None);
        assert_eq!(
            Persistence::from_info("# Persistence\r\nloading:0\r\n"),
            None
        );
    }
}
