//! A node tells whether the Redis under it keeps what it confirms: `chinwag_redis_aof_enabled`.
//!
//! The suite's own Redis runs with `--appendonly no`, so its nodes must read 0. A second Redis,
//! started here with AOF on and `CONFIG` disabled (as on many managed services), must read 1:
//! the node falls back to `INFO persistence`, and still starts and serves. On a Redis Cluster
//! every master is asked: one master with the file off is enough to read 0, and the log names
//! that master, whichever master a keyless command would have reached.

use crate::{
    node,
    redis::Redis,
    redis_cluster::RedisCluster,
    support::{NO_RATE_LIMIT, Server, WAIT},
};

const GAUGE: &str = "chinwag_redis_aof_enabled";

/// The gauge once the node's first check has set it (it reads -1 until then).
async fn checked_aof_gauge(server: &Server) -> i64 {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, text) = server.get_text("/metrics").await;
        assert_eq!(status, 200);
        let value: i64 = text
            .lines()
            .find_map(|line| line.strip_prefix(GAUGE)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no sample {GAUGE} in:\n{text}"));
        if value != -1 {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{GAUGE} still -1 after {WAIT:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_node_on_redis_without_an_append_only_file_reports_it_off() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    assert_eq!(checked_aof_gauge(&a).await, 0);
}

#[tokio::test]
async fn a_node_reads_aof_on_through_info_when_config_is_disabled() {
    let redis = AofRedis::start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = redis.url();
    let server = Server::start_with(dir.path(), &["--redis", &url, "--node-id", "aof"]).await;
    assert_eq!(checked_aof_gauge(&server).await, 1);
    let (status, _) = server.get_text("/readyz").await;
    assert_eq!(
        status, 200,
        "a refused CONFIG does not make the node unready"
    );
}

#[tokio::test]
async fn on_a_redis_cluster_every_master_is_asked_and_the_one_without_aof_is_named() {
    let cluster = RedisCluster::start().await;
    let masters = cluster.masters().await;
    let (off, on) = masters.split_last().expect("three masters");
    for &master in on {
        let set = cluster
            .cli(master, &["CONFIG", "SET", "appendonly", "yes"])
            .await;
        assert_eq!(set.trim(), "OK");
    }
    let seeds = cluster.seeds();
    let flags = |name| {
        let mut flags = vec!["--redis-cluster", &seeds, "--node-id", name];
        flags.extend_from_slice(&NO_RATE_LIMIT);
        flags
    };

    let dir = tempfile::tempdir().unwrap();
    let (server, stderr) =
        Server::start_capturing_stderr(dir.path(), "127.0.0.1:0", &flags("mixed")).await;
    assert_eq!(
        checked_aof_gauge(&server).await,
        0,
        "one master of three is off"
    );
    assert!(server.terminate().await.success());
    let log = stderr.finish().await.text;
    let warning = |port: u16| format!("redis master 127.0.0.1:{port} has its append-only file off");
    assert!(
        log.contains(&warning(*off)),
        "the master without AOF is named:\n{log}"
    );
    for &master in on {
        assert!(
            !log.contains(&warning(master)),
            "{master} has AOF on:\n{log}"
        );
    }

    // With the last master on too, a node reads 1: every master answered "on".
    let set = cluster
        .cli(*off, &["CONFIG", "SET", "appendonly", "yes"])
        .await;
    assert_eq!(set.trim(), "OK");
    let dir = tempfile::tempdir().unwrap();
    let all_on = Server::start_with(dir.path(), &flags("all-on")).await;
    assert_eq!(checked_aof_gauge(&all_on).await, 1);
}

/// A `redis-server` with the append-only file on, writing it to a temporary directory, and
/// `CONFIG` renamed away. Killed when dropped.
struct AofRedis {
    redis: Redis,
    _dir: tempfile::TempDir,
}

impl AofRedis {
    async fn start() -> AofRedis {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().expect("a UTF-8 temp path").to_owned();
        let extra = [
            "--appendonly",
            "yes",
            "--dir",
            &path,
            "--rename-command",
            "CONFIG",
            "",
        ];
        AofRedis {
            redis: Redis::start_with(&extra).await,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        self.redis.url()
    }
}
