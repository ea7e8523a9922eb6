//! The Redis Cluster fixture itself, before any suite leans on it: the shape it promises
//! (three masters, one replica each, every slot served), a replica taking over a killed
//! master's slots with the data it had replicated, and a reshard that moves exactly the slots
//! it was asked to.

use crate::redis_cluster::RedisCluster;

/// All 16384 hash slots of a Redis Cluster.
const SLOTS: u32 = 16384;

#[tokio::test]
async fn the_cluster_has_three_masters_with_one_replica_each_serving_every_slot() {
    let cluster = RedisCluster::start().await;
    let masters = cluster.masters().await;
    assert_eq!(masters.len(), 3, "masters: {masters:?}");
    for &master in &masters {
        let replicas = cluster.replicas_of(master).await;
        assert_eq!(replicas.len(), 1, "replicas of {master}: {replicas:?}");
        assert!(!masters.contains(&replicas[0]));
    }
    let counts = cluster.slot_counts().await;
    assert_eq!(counts.values().sum::<u32>(), SLOTS, "slots: {counts:?}");
    assert_eq!(cluster.seeds().split(',').count(), 6);
    assert!(
        (cluster.seeds().split(',')).all(|seed| seed.starts_with("redis://127.0.0.1:")),
        "{}",
        cluster.seeds()
    );
}

#[tokio::test]
async fn killing_a_slots_master_promotes_its_replica_with_the_replicated_data() {
    let mut cluster = RedisCluster::start().await;
    let key = "chinwag:fixture:probe";
    let slot = cluster.slot_of(key).await;
    let master = cluster.master_of_slot(slot).await;
    let replica = cluster.replicas_of(master).await[0];
    // `-c` follows MOVED, so any node would do; the master answers directly.
    let set = cluster.cli(master, &["-c", "SET", key, "before"]).await;
    assert_eq!(set.trim(), "OK");
    // Replication is asynchronous: the key survives the kill only once the replica has it.
    until_caught_up(&cluster, master, replica).await;

    cluster.kill(master);
    let promoted = cluster.wait_promoted(slot).await;
    assert_ne!(promoted, master);
    assert_eq!(
        promoted, replica,
        "the killed master's own replica takes over"
    );
    assert_eq!(cluster.master_of_slot(slot).await, promoted);
    assert!(!cluster.masters().await.contains(&master));
    let got = cluster.cli(promoted, &["-c", "GET", key]).await;
    assert_eq!(got.trim(), "before");
}

#[tokio::test]
async fn a_reshard_moves_exactly_the_slots_asked_for() {
    let cluster = RedisCluster::start().await;
    let masters = cluster.masters().await;
    let (from, to) = (masters[0], masters[1]);
    let before = cluster.slot_counts().await;
    cluster.reshard(from, to, 100).await;
    let after = cluster.slot_counts().await;
    assert_eq!(
        after[&to],
        before[&to] + 100,
        "before {before:?}, after {after:?}"
    );
    assert_eq!(
        after[&from],
        before[&from] - 100,
        "before {before:?}, after {after:?}"
    );
    assert_eq!(after.values().sum::<u32>(), SLOTS);
}

/// Polls (bounded) until the replica on `replica` has processed every byte of replication
/// stream the master on `master` had when this was called.
async fn until_caught_up(cluster: &RedisCluster, master: u16, replica: u16) {
    let target = repl_offset(cluster, master, "master_repl_offset").await;
    for _ in 0..200 {
        if repl_offset(cluster, replica, "slave_repl_offset").await >= target {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("replica {replica} never reached offset {target} of master {master}");
}

/// The number after `field:` in `INFO replication` on `port`.
async fn repl_offset(cluster: &RedisCluster, port: u16, field: &str) -> u64 {
    let info = cluster.cli(port, &["INFO", "replication"]).await;
    let prefix = format!("{field}:");
    (info.lines())
        .find_map(|line| line.trim().strip_prefix(&prefix)?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in INFO replication of {port}:\n{info}"))
}
