//! A node tells whether the Redis under it keeps what it confirms: `chinwag_redis_aof_enabled`.
//!
//! The suite's own Redis runs with `--appendonly no`, so its nodes must read 0. A second Redis,
//! started here with AOF on and `CONFIG` disabled (as on many managed services), must read 1:
//! the node falls back to `INFO persistence`, and still starts and serves.

use crate::{
    node,
    redis::Redis,
    support::{Server, WAIT},
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
