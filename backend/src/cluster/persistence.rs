//! Whether the Redis a node runs on keeps what it confirms: the AOF check.
//!
//! On the Redis engine a message is confirmed once Redis has run its append, so how durable a
//! confirmation is depends on Redis's persistence settings, which the node can read but not
//! choose. [`watch`] asks as soon as Redis answers and again every [`RECHECK_EVERY`], warns
//! while the append-only file is off, and keeps `chinwag_redis_aof_enabled` in step. It reads
//! `CONFIG GET append*`; managed services often disable `CONFIG`, so it falls back to `INFO
//! persistence`. It only ever logs: it never fails start-up and never touches readiness.
//!
//! On a Redis Cluster every master confirms the rooms of its own slots, so each is asked, by
//! address, and the warnings name the masters concerned: one master without an append-only
//! file loses its rooms' confirmed messages on a restart however the others are set. (Asked
//! as a keyless command, a cluster would answer from one master picked at random.) The gauge
//! is the weakest answer: 0 if any master has the file off, -1 if any cannot be read.

use super::link::{Connection, Link};
use crate::{metrics::Metrics, store::RedisError};
use redis::{
    Cmd, FromRedisValue, Value,
    cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo},
};
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

/// Every Redis asked, by name (its address on a cluster; none for the one Redis), with what
/// it said; sorted by name, so two checks that found the same compare equal.
type Findings = Vec<(Option<String>, Finding)>;

/// Checks Redis's persistence until `stop`, logging each change of what it finds and setting
/// the gauge (-1 while unknown).
pub async fn watch(link: Link, metrics: Arc<Metrics>, stop: CancellationToken) {
    let mut last: Option<Findings> = None;
    loop {
        let findings = check(&link).await;
        if last.as_ref() != Some(&findings) {
            report(&findings, &metrics);
        }
        let unreachable = findings
            .iter()
            .any(|(_, finding)| *finding == Finding::Unreachable);
        last = Some(findings);
        let wait = if unreachable {
            RETRY_UNREACHABLE
        } else {
            RECHECK_EVERY
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

async fn check(link: &Link) -> Findings {
    let mut config_get = redis::cmd("CONFIG");
    config_get.arg("GET").arg("append*");
    let configs = match ask_each::<HashMap<String, String>>(link, config_get).await {
        Ok(configs) => configs,
        Err(_) if !link.is_ready() => return vec![(None, Finding::Unreachable)],
        Err(err) => vec![(None, Err(err.to_string()))],
    };
    // Asked only if some Redis did not say by CONFIG, and then once for all of them.
    let mut infos = None;
    let mut findings = Vec::with_capacity(configs.len());
    for (name, config) in configs {
        let config_error = match config.map(|config| Persistence::from_config(&config)) {
            Ok(Some(found)) => {
                findings.push((name, Finding::Known(found)));
                continue;
            }
            Ok(None) => "no appendonly in the answer".to_owned(),
            Err(err) => err,
        };
        if infos.is_none() {
            let mut info = redis::cmd("INFO");
            info.arg("persistence");
            infos = Some(ask_each::<String>(link, info).await);
        }
        let said = match &infos {
            Some(Ok(infos)) => infos
                .iter()
                .find(|(other, _)| *other == name)
                .map(|(_, info)| info.as_deref().map(Persistence::from_info)),
            _ => None,
        };
        let finding = match said {
            Some(Ok(Some(found))) => {
                tracing::debug!(redis = ?name, error = %config_error, "CONFIG GET refused; read INFO persistence");
                Finding::Known(found)
            }
            _ if !link.is_ready() => Finding::Unreachable,
            Some(Err(info_error)) => {
                tracing::debug!(redis = ?name, config = %config_error, info = %info_error, "persistence unreadable");
                Finding::Refused
            }
            Some(Ok(None)) | None => Finding::Refused,
        };
        findings.push((name, finding));
    }
    findings.sort_by(|a, b| a.0.cmp(&b.0));
    findings
}

/// Runs `command` on the one Redis, or on every master of a cluster, and returns each one's
/// answer by name (each master's address; none for the one Redis). An `Err` is the question
/// failing as a whole (no connection); a Redis that refused it has the refusal in its entry.
async fn ask_each<T: FromRedisValue>(
    link: &Link,
    command: Cmd,
) -> Result<Vec<(Option<String>, Result<T, String>)>, RedisError> {
    link.ask(|conn| async move {
        match conn {
            Connection::Single(mut conn) => match command.query_async::<T>(&mut conn).await {
                Ok(answer) => Ok(vec![(None, Ok(answer))]),
                // A refusal is an answer; a lost connection fails the question.
                Err(err) if err.is_io_error() || err.is_timeout() => Err(err),
                Err(err) => Ok(vec![(None, Err(err.to_string()))]),
            },
            Connection::Cluster(mut conn) => {
                let every_master =
                    RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None));
                let answers = conn.route_command(command, every_master).await?;
                Ok(by_master(answers))
            }
        }
    })
    .await
}

/// A cluster's answers to one question routed to every master with no policy to combine
/// them: a map of each master's address to its answer (a refusal as a server error).
fn by_master<T: FromRedisValue>(answers: Value) -> Vec<(Option<String>, Result<T, String>)> {
    let Value::Map(pairs) = answers else {
        let unexpected = format!("expected an answer per master, not {answers:?}");
        return vec![(None, Err(unexpected))];
    };
    pairs
        .into_iter()
        .map(|(address, answer)| {
            let address = String::from_redis_value(address).unwrap_or_else(|_| "?".to_owned());
            (
                Some(address),
                T::from_redis_value(answer).map_err(|err| err.to_string()),
            )
        })
        .collect()
}

fn report(findings: &Findings, metrics: &Metrics) {
    for (name, finding) in findings {
        // "redis" for the one Redis, "redis master 10.0.0.7:6379" on a cluster.
        let redis = name.as_deref().map_or_else(
            || "redis".to_owned(),
            |address| format!("redis master {address}"),
        );
        match finding {
            Finding::Known(Persistence::AofOff) => tracing::warn!(
                "{redis} has its append-only file off: confirmed messages live only in its \
                 memory (and RDB snapshots, if any), and a Redis restart loses them; set \
                 `appendonly yes`"
            ),
            Finding::Known(Persistence::Aof(Fsync::No)) => tracing::warn!(
                "{redis} fsyncs its append-only file only when the kernel writes back \
                 (`appendfsync no`): an OS crash or power cut may lose ~30 s of confirmed messages"
            ),
            Finding::Known(Persistence::Aof(fsync)) => {
                tracing::info!(
                    appendfsync = fsync.name(),
                    "{redis} keeps an append-only file"
                );
            }
            Finding::Refused => tracing::warn!(
                "cannot tell whether {redis} persists what it confirms: it refused both \
                 `CONFIG GET append*` and `INFO persistence`"
            ),
            Finding::Unreachable => {}
        }
    }
    metrics.redis_aof_enabled.set(gauge(findings));
}

/// `chinwag_redis_aof_enabled`: 0 if any Redis has the file off, else -1 if any could not be
/// read, else 1.
fn gauge(findings: &Findings) -> i64 {
    let mut gauge = 1;
    for (_, finding) in findings {
        match finding {
            Finding::Known(persistence) if persistence.gauge() == 0 => return 0,
            Finding::Known(_) => {}
            Finding::Refused | Finding::Unreachable => gauge = -1,
        }
    }
    gauge
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
    fn a_clusters_answers_are_read_master_by_master() {
        let bulk = |text: &str| Value::BulkString(text.as_bytes().to_vec());
        let answers = Value::Map(vec![
            (bulk("127.0.0.1:7001"), bulk("aof_enabled:1\r\n")),
            (bulk("127.0.0.1:7002"), Value::Nil),
        ]);
        let read = by_master::<String>(answers);
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].0.as_deref(), Some("127.0.0.1:7001"));
        assert_eq!(read[0].1.as_deref(), Ok("aof_enabled:1\r\n"));
        assert_eq!(read[1].0.as_deref(), Some("127.0.0.1:7002"));
        assert!(read[1].1.is_err(), "{read:?}");
        let odd = by_master::<String>(bulk("OK"));
        assert!(matches!(odd.as_slice(), [(None, Err(_))]), "{odd:?}");
    }

    #[test]
    fn the_gauge_is_the_weakest_redis() {
        let on = Finding::Known(Persistence::Aof(Fsync::EverySec));
        let off = Finding::Known(Persistence::AofOff);
        let named = |findings: &[Finding]| -> Findings {
            (findings.iter())
                .enumerate()
                .map(|(i, finding)| (Some(format!("127.0.0.1:700{i}")), *finding))
                .collect()
        };
        assert_eq!(gauge(&named(&[on, on, on])), 1);
        assert_eq!(gauge(&named(&[on, off, on])), 0);
        assert_eq!(gauge(&named(&[on, Finding::Refused, on])), -1);
        assert_eq!(
            gauge(&named(&[Finding::Refused, off])),
            0,
            "one off is known to be off"
        );
        assert_eq!(gauge(&vec![(None, Finding::Unreachable)]), -1);
        let no_fsync = Finding::Known(Persistence::Aof(Fsync::No));
        assert_eq!(
            gauge(&named(&[no_fsync])),
            1,
            "the file is on; the log warns"
        );
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
