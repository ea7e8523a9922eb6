//! A throwaway Redis Cluster for one test: six `redis-server`s in cluster mode on free loopback
//! ports, made into three masters with one replica each by `redis-cli --cluster create`, all
//! killed when dropped.
//!
//! Each node has its own temp dir (for `nodes.conf`), no persistence, and a node timeout of
//! one second, so a killed master's replica takes over in a few seconds; a killed node can be
//! restarted, and rejoins as a replica. A single slot can be moved with its keys, by hand
//! ([`RedisCluster::move_slot`]), where `redis-cli --cluster reshard` only takes a count. Every question about
//! the cluster's shape (who owns a slot, who replicates whom) is answered from `CLUSTER NODES`
//! as the live nodes see it, and every wait polls until those views agree, within [`SETTLE`].

use chinwag_testkit::launch::{free_port, wait_for_line};
use std::{
    collections::{BTreeMap, BTreeSet},
    process::Stdio,
    time::Duration,
};
use tempfile::TempDir;
use tokio::process::{Child, ChildStdout, Command};

use crate::support::WAIT;

/// How many nodes the cluster has: three masters, each with one replica.
const NODES: usize = 6;
/// How long creating, failing over or resharding may take to settle on every live node.
const SETTLE: Duration = Duration::from_secs(20);
/// How often a settling cluster is asked again.
const POLL: Duration = Duration::from_millis(50);
/// How long one `redis-cli` run may take; `--cluster reshard` moves keys slot by slot.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);
/// Batches of at most 100 keys [`RedisCluster::move_slot`] migrates before giving up.
const MIGRATE_BATCHES: usize = 1_000;

/// One `redis-server` of the cluster.
struct Member {
    port: u16,
    /// The cluster bus's port, kept so that a restart rejoins under the same address.
    bus_port: u16,
    /// `None` once [`RedisCluster::kill`] killed it, until [`RedisCluster::restart`].
    child: Option<Child>,
    /// The killed process, reaped by a restart before its port is bound again.
    killed: Option<Child>,
    /// Holds its `nodes.conf`: who it is and the cluster it belongs to.
    dir: TempDir,
}

pub struct RedisCluster {
    members: Vec<Member>,
}

impl RedisCluster {
    /// Starts six nodes, joins them into three masters with one replica each, and waits until
    /// every node says `cluster_state:ok` and every replica's link to its master is up.
    pub async fn start() -> RedisCluster {
        let ports = distinct_free_ports(2 * NODES);
        let (client_ports, bus_ports) = ports.split_at(NODES);
        let mut members = Vec::with_capacity(NODES);
        let mut outputs = Vec::with_capacity(NODES);
        for (&port, &bus_port) in client_ports.iter().zip(bus_ports) {
            let dir = tempfile::tempdir().unwrap();
            let (child, output) = spawn_server(port, bus_port, &dir);
            outputs.push(output);
            members.push(Member {
                port,
                bus_port,
                child: Some(child),
                killed: None,
                dir,
            });
        }
        // All six start at once; each launcher keeps draining its log after the line.
        for output in outputs {
            wait_ready(output).await;
        }
        let cluster = RedisCluster { members };

        let addresses: Vec<String> = (cluster.members.iter())
            .map(|member| format!("127.0.0.1:{}", member.port))
            .collect();
        let mut create = vec!["--cluster", "create"];
        create.extend(addresses.iter().map(String::as_str));
        create.extend(["--cluster-replicas", "1", "--cluster-yes"]);
        run_cli(&create).await;
        cluster
            .until("3 masters with a replica each, all links up", |c| {
                c.formed()
            })
            .await;
        cluster
    }

    /// Every node's URL, comma-separated: the value for `--redis-cluster`.
    pub fn seeds(&self) -> String {
        (self.members.iter())
            .map(|member| format!("redis://127.0.0.1:{}", member.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Runs `redis-cli -p port ARGS` and returns its stdout; panics if it fails. Put `-c`
    /// first in `args` to follow `MOVED` redirections.
    pub async fn cli(&self, port: u16, args: &[&str]) -> String {
        let mut full = vec!["-p".to_owned(), port.to_string()];
        full.extend(args.iter().map(|&arg| arg.to_owned()));
        run_cli(&full).await
    }

    /// The ports of the nodes running now (not killed, or restarted).
    pub fn live_ports(&self) -> Vec<u16> {
        self.live().collect()
    }

    /// The hash slot `key` falls in (`CLUSTER KEYSLOT`).
    pub async fn slot_of(&self, key: &str) -> u16 {
        let answer = self
            .cli(self.any_live(), &["CLUSTER", "KEYSLOT", key])
            .await;
        answer.trim().parse().unwrap()
    }

    /// The port of the master that serves `slot`, as a live node sees it.
    pub async fn master_of_slot(&self, slot: u16) -> u16 {
        let view = self.view_of(self.any_live()).await;
        owner(&view, slot).unwrap_or_else(|| panic!("no master serves slot {slot}"))
    }

    /// The ports of the masters that are not failed, as a live node sees them.
    pub async fn masters(&self) -> Vec<u16> {
        let view = self.view_of(self.any_live()).await;
        (view.iter())
            .filter(|seen| seen.master && !seen.failed)
            .map(|seen| seen.port)
            .collect()
    }

    /// The ports of the replicas of the master on `master`, failed or not, as a live node
    /// sees them.
    pub async fn replicas_of(&self, master: u16) -> Vec<u16> {
        let view = self.view_of(self.any_live()).await;
        let id = (view.iter().find(|seen| seen.port == master))
            .map(|seen| seen.id.clone())
            .unwrap_or_else(|| panic!("no node on port {master}"));
        (view.iter())
            .filter(|seen| seen.master_id.as_deref() == Some(id.as_str()))
            .map(|seen| seen.port)
            .collect()
    }

    /// The slots each master that serves any owns, by port, as a live node sees it.
    pub async fn slot_counts(&self) -> BTreeMap<u16, u32> {
        let view = self.view_of(self.any_live()).await;
        layout(&view)
            .into_iter()
            .map(|(port, ranges)| (port, slot_count(&ranges)))
            .collect()
    }

    /// Kills the node on `port` (SIGKILL): no goodbye, as in a crash.
    pub fn kill(&mut self, port: u16) {
        let member = (self.members.iter_mut())
            .find(|member| member.port == port)
            .unwrap_or_else(|| panic!("no node on port {port}"));
        let mut child = member.child.take().expect("the node is alive");
        child.start_kill().unwrap();
        member.killed = Some(child);
    }

    /// Starts the node on `port` again after [`RedisCluster::kill`], with the same ports, dir
    /// and flags. Its `nodes.conf` still names it and its cluster; it comes back empty (no
    /// persistence), so if its slots were taken over meanwhile it rejoins as a replica of the
    /// master that has them (see [`RedisCluster::wait_replica`]).
    pub async fn restart(&mut self, port: u16) {
        let member = (self.members.iter_mut())
            .find(|member| member.port == port)
            .unwrap_or_else(|| panic!("no node on port {port}"));
        let mut killed = (member.killed.take()).unwrap_or_else(|| panic!("{port} was not killed"));
        tokio::time::timeout(WAIT, killed.wait())
            .await
            .expect("the killed node exited in time")
            .unwrap();
        let (child, output) = spawn_server(member.port, member.bus_port, &member.dir);
        member.child = Some(child);
        wait_ready(output).await;
    }

    /// Waits until the node on `port` is a replica whose link to its master is up
    /// (`master_link_status:up`: the initial sync is done) and every live node says
    /// `cluster_state:ok` and sees it as that master's replica; returns the master's port.
    pub async fn wait_replica(&self, port: u16) -> u16 {
        let what = format!("node {port} replicating with its link up");
        self.until(&what, |cluster| async move {
            let replication = cluster.cli(port, &["INFO", "replication"]).await;
            let field = |name: &str| {
                (replication.lines())
                    .find_map(|line| line.trim().strip_prefix(name).map(str::to_owned))
            };
            if field("role:")? != "slave" || field("master_link_status:")? != "up" {
                return None;
            }
            let master: u16 = field("master_port:")?.parse().ok()?;
            cluster.settled_layout().await?;
            for live in cluster.live() {
                let view = cluster.view_of(live).await;
                let master_id = &view.iter().find(|seen| seen.port == master)?.id;
                let seen = view.iter().find(|seen| seen.port == port)?;
                if seen.failed || seen.master_id.as_ref() != Some(master_id) {
                    return None;
                }
            }
            Some(master)
        })
        .await
    }

    /// Waits until a live node serves `slot` and every live node agrees on who owns every slot
    /// and says `cluster_state:ok`; returns the port of the slot's master.
    pub async fn wait_promoted(&self, slot: u16) -> u16 {
        let live: BTreeSet<u16> = self.live().collect();
        let what = format!("slot {slot} on a live master");
        let live = &live;
        self.until(&what, |cluster| async move {
            let layout = cluster.settled_layout().await?;
            let master = (layout.iter())
                .find(|(_, ranges)| {
                    (ranges.iter()).any(|&(start, end)| (start..=end).contains(&slot))
                })
                .map(|(&port, _)| port)?;
            live.contains(&master).then_some(master)
        })
        .await
    }

    /// Moves `slots` slots from the master on `from` to the one on `to` with
    /// `redis-cli --cluster reshard`, then waits until every live node agrees.
    pub async fn reshard(&self, from: u16, to: u16, slots: u32) {
        let from_id = self.id_of(from).await;
        let to_id = self.id_of(to).await;
        let entry = format!("127.0.0.1:{to}");
        let slots = slots.to_string();
        run_cli(&[
            "--cluster",
            "reshard",
            &entry,
            "--cluster-from",
            &from_id,
            "--cluster-to",
            &to_id,
            "--cluster-slots",
            &slots,
            "--cluster-yes",
        ])
        .await;
        self.until("the reshard seen by every node", |cluster| {
            cluster.settled_layout()
        })
        .await;
    }

    /// Moves one `slot`, with its keys, from its master to the master on `to`, the way
    /// `redis-cli --cluster reshard` moves each slot (which cannot be told which): the target
    /// imports it, the source marks it migrating, `MIGRATE` carries its keys over in
    /// batches, and `CLUSTER SETSLOT NODE` hands it over on both and then the other masters.
    /// While it migrates, a command on a key already moved is sent on with `ASK`, and one
    /// needing keys on both sides is answered `TRYAGAIN`. Waits until every live node agrees.
    pub async fn move_slot(&self, slot: u16, to: u16) {
        let from = self.master_of_slot(slot).await;
        assert_ne!(from, to, "slot {slot} is on {to} already");
        let from_id = self.id_of(from).await;
        let to_id = self.id_of(to).await;
        let slot_arg = slot.to_string();
        let to_port = to.to_string();
        let ok = |answer: String, what: &str| {
            assert_eq!(answer.trim(), "OK", "{what}: {answer}");
        };
        let importing = ["CLUSTER", "SETSLOT", &slot_arg, "IMPORTING", &from_id];
        ok(self.cli(to, &importing).await, "importing");
        let migrating = ["CLUSTER", "SETSLOT", &slot_arg, "MIGRATING", &to_id];
        ok(self.cli(from, &migrating).await, "migrating");
        let mut moved_all = false;
        for _ in 0..MIGRATE_BATCHES {
            let listed = self
                .cli(from, &["CLUSTER", "GETKEYSINSLOT", &slot_arg, "100"])
                .await;
            let keys: Vec<&str> = listed.lines().filter(|key| !key.is_empty()).collect();
            if keys.is_empty() {
                moved_all = true;
                break;
            }
            let mut migrate = vec!["MIGRATE", "127.0.0.1", &to_port, "", "0", "5000", "KEYS"];
            migrate.extend(keys);
            let answer = self.cli(from, &migrate).await;
            // NOKEY: every key listed went away (expired) in between; nothing to move.
            assert!(matches!(answer.trim(), "OK" | "NOKEY"), "MIGRATE: {answer}");
        }
        assert!(
            moved_all,
            "slot {slot} still had keys after {MIGRATE_BATCHES} batches"
        );
        let node = ["CLUSTER", "SETSLOT", &slot_arg, "NODE", &to_id];
        ok(self.cli(to, &node).await, "node on the target");
        ok(self.cli(from, &node).await, "node on the source");
        for master in self.masters().await {
            if master != from && master != to {
                ok(self.cli(master, &node).await, "node on another master");
            }
        }
        let what = format!("slot {slot} on {to} for every node");
        self.until(&what, |cluster| async move {
            let layout = cluster.settled_layout().await?;
            let owns = |(start, end): &(u16, u16)| (*start..=*end).contains(&slot);
            layout.get(&to)?.iter().any(owns).then_some(())
        })
        .await;
    }

    /// The node id of the node on `port` (`CLUSTER MYID`).
    async fn id_of(&self, port: u16) -> String {
        self.cli(port, &["CLUSTER", "MYID"]).await.trim().to_owned()
    }

    fn live(&self) -> impl Iterator<Item = u16> + '_ {
        (self.members.iter())
            .filter(|member| member.child.is_some())
            .map(|member| member.port)
    }

    fn any_live(&self) -> u16 {
        self.live().next().expect("a node is alive")
    }

    /// `CLUSTER NODES` on `port`, parsed.
    async fn view_of(&self, port: u16) -> Vec<SeenNode> {
        let nodes = self.cli(port, &["CLUSTER", "NODES"]).await;
        nodes.lines().filter_map(SeenNode::parse).collect()
    }

    /// Who owns which slots, if every live node says `cluster_state:ok` and sees the same.
    async fn settled_layout(&self) -> Option<Layout> {
        let mut agreed: Option<Layout> = None;
        for port in self.live() {
            let info = self.cli(port, &["CLUSTER", "INFO"]).await;
            if !info.lines().any(|line| line.trim() == "cluster_state:ok") {
                return None;
            }
            let seen = layout(&self.view_of(port).await);
            match &agreed {
                Some(layout) if *layout != seen => return None,
                _ => agreed = Some(seen),
            }
        }
        agreed
    }

    /// Whether the cluster is what [`RedisCluster::start`] promises: settled, every node known
    /// to every node, three masters each with one replica whose link is up.
    async fn formed(&self) -> Option<()> {
        let layout = self.settled_layout().await?;
        if layout.len() != NODES / 2 {
            return None;
        }
        for port in self.live() {
            let info = self.cli(port, &["CLUSTER", "INFO"]).await;
            let known = format!("cluster_known_nodes:{NODES}");
            if !info.lines().any(|line| line.trim() == known) {
                return None;
            }
            let replication = self.cli(port, &["INFO", "replication"]).await;
            let replica = replication.lines().any(|line| line.trim() == "role:slave");
            let link_up = (replication.lines()).any(|line| line.trim() == "master_link_status:up");
            if replica && !link_up {
                return None;
            }
        }
        for &master in layout.keys() {
            if self.replicas_of(master).await.len() != 1 {
                return None;
            }
        }
        Some(())
    }

    /// Polls `condition` every [`POLL`] until it gives a value; panics after [`SETTLE`].
    async fn until<'a, T, F>(&'a self, what: &str, condition: impl Fn(&'a Self) -> F) -> T
    where
        F: Future<Output = Option<T>>,
    {
        let waited = tokio::time::timeout(SETTLE, async {
            loop {
                if let Some(value) = condition(self).await {
                    return value;
                }
                tokio::time::sleep(POLL).await;
            }
        });
        waited
            .await
            .unwrap_or_else(|_| panic!("Redis Cluster: no {what} within {SETTLE:?}"))
    }
}

/// Starts one `redis-server` in cluster mode on `port` (bus on `bus_port`), keeping its
/// `nodes.conf` in `dir`; returns it and its stdout, for [`wait_ready`].
fn spawn_server(port: u16, bus_port: u16, dir: &TempDir) -> (Child, ChildStdout) {
    let mut child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        // The bus would default to port + 10000, past 65535 for a high free port.
        .args(["--cluster-port", &bus_port.to_string()])
        .args(["--cluster-enabled", "yes"])
        .args(["--cluster-config-file", "nodes.conf"])
        .args(["--cluster-node-timeout", "1000"])
        .args(["--save", "", "--appendonly", "no", "--loglevel", "notice"])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server is on PATH (cargo xtask test installs it)");
    let output = child.stdout.take().unwrap();
    (child, output)
}

/// Waits until the server whose stdout is `output` says it accepts connections; the launcher
/// keeps draining its log after the line.
async fn wait_ready(output: ChildStdout) {
    let ready = "Ready to accept connections";
    wait_for_line(output, WAIT, ready, |line| {
        line.contains(ready).then_some(())
    })
    .await
    .expect("redis-server ready in time");
}

/// Runs `redis-cli ARGS` on loopback, within [`CLI_TIMEOUT`]; panics unless it succeeds.
async fn run_cli<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let run = Command::new("redis-cli")
        .args(["-h", "127.0.0.1"])
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(CLI_TIMEOUT, run)
        .await
        .expect("redis-cli finished in time")
        .expect("redis-cli is on PATH (Debian's redis-tools, which redis-server depends on)");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let shown: Vec<_> = args
        .iter()
        .map(|arg| arg.as_ref().to_string_lossy())
        .collect();
    assert!(
        output.status.success(),
        "redis-cli {shown:?}: {}\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// `count` loopback ports that were free a moment ago, no two alike.
fn distinct_free_ports(count: usize) -> Vec<u16> {
    let mut ports = BTreeSet::new();
    for _ in 0..100 * count {
        if ports.len() == count {
            break;
        }
        ports.insert(free_port().unwrap());
    }
    assert_eq!(ports.len(), count, "not enough distinct free ports");
    ports.into_iter().collect()
}

/// One line of `CLUSTER NODES`: a member of the cluster as one node sees it.
struct SeenNode {
    id: String,
    port: u16,
    master: bool,
    /// Flagged `fail` (agreed dead) or `fail?` (this node cannot reach it).
    failed: bool,
    /// For a replica, its master's id.
    master_id: Option<String>,
    /// The slots it serves; slots being migrated (`[slot->-id]`) are left out.
    slots: Vec<(u16, u16)>,
}

impl SeenNode {
    /// `<id> <ip:port@bus[,host]> <flags> <master|-> <ping> <pong> <epoch> <link> <slots>...`
    fn parse(line: &str) -> Option<SeenNode> {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (id, address, flags, master_id) = (
            fields.first()?,
            fields.get(1)?,
            fields.get(2)?,
            fields.get(3)?,
        );
        let port = address
            .split('@')
            .next()?
            .rsplit(':')
            .next()?
            .parse()
            .ok()?;
        let flags: Vec<&str> = flags.split(',').collect();
        let slots = (fields.iter().skip(8))
            .filter(|field| !field.starts_with('['))
            .filter_map(|field| match field.split_once('-') {
                Some((start, end)) => Some((start.parse().ok()?, end.parse().ok()?)),
                None => field.parse().ok().map(|slot| (slot, slot)),
            })
            .collect();
        Some(SeenNode {
            id: (*id).to_owned(),
            port,
            master: flags.contains(&"master"),
            failed: flags.contains(&"fail") || flags.contains(&"fail?"),
            master_id: (*master_id != "-").then(|| (*master_id).to_owned()),
            slots,
        })
    }
}

/// Who serves which slots: inclusive ranges, by master port; masters with no slots left out.
type Layout = BTreeMap<u16, Vec<(u16, u16)>>;

fn layout(view: &[SeenNode]) -> Layout {
    (view.iter())
        .filter(|seen| seen.master && !seen.slots.is_empty())
        .map(|seen| {
            let mut ranges = seen.slots.clone();
            ranges.sort_unstable();
            (seen.port, ranges)
        })
        .collect()
}

fn owner(view: &[SeenNode], slot: u16) -> Option<u16> {
    (view.iter())
        .filter(|seen| seen.master)
        .find(|seen| {
            seen.slots
                .iter()
                .any(|&(start, end)| (start..=end).contains(&slot))
        })
        .map(|seen| seen.port)
}

fn slot_count(ranges: &[(u16, u16)]) -> u32 {
    (ranges.iter())
        .map(|&(start, end)| u32::from(end - start) + 1)
        .sum()
}

/// The fixture's own promises about restarts and single-slot moves, before the suites lean
/// on them (its first promises are in `redis_cluster_fixture`).
mod promises {
    use super::RedisCluster;

    #[tokio::test]
    async fn a_killed_master_restarted_rejoins_as_its_successors_replica_with_the_data() {
        let mut cluster = RedisCluster::start().await;
        let key = "chinwag:fixture:restart";
        let slot = cluster.slot_of(key).await;
        let master = cluster.master_of_slot(slot).await;
        cluster.kill(master);
        let promoted = cluster.wait_promoted(slot).await;
        assert_ne!(promoted, master);
        // Written after the kill: only the promoted master has it, so the restarted node can
        // hold it only by replicating from there.
        let set = cluster.cli(promoted, &["SET", key, "after"]).await;
        assert_eq!(set.trim(), "OK");
        cluster.restart(master).await;
        assert_eq!(cluster.wait_replica(master).await, promoted);
        assert_eq!(cluster.replicas_of(promoted).await, vec![master]);
        assert!(!cluster.masters().await.contains(&master));
        // Its link is up, so its initial sync is done; DBSIZE is no key command, so the
        // replica answers it itself (the cluster holds no other key).
        let size = cluster.cli(master, &["DBSIZE"]).await;
        assert_eq!(size.trim(), "1", "the restarted replica holds the key");
    }

    #[tokio::test]
    async fn moving_a_slot_moves_it_and_its_keys_and_nothing_else() {
        let cluster = RedisCluster::start().await;
        let key = "chinwag:fixture:{moved}";
        let slot = cluster.slot_of(key).await;
        let from = cluster.master_of_slot(slot).await;
        let to = *(cluster.masters().await.iter())
            .find(|&&master| master != from)
            .unwrap();
        assert_eq!(cluster.cli(from, &["SET", key, "v"]).await.trim(), "OK");
        let before = cluster.slot_counts().await;
        cluster.move_slot(slot, to).await;
        let after = cluster.slot_counts().await;
        assert_eq!(after[&from], before[&from] - 1, "{before:?} → {after:?}");
        assert_eq!(after[&to], before[&to] + 1, "{before:?} → {after:?}");
        assert_eq!(cluster.master_of_slot(slot).await, to);
        assert_eq!(cluster.cli(to, &["GET", key]).await.trim(), "v");
        let asked_old = cluster.cli(from, &["GET", key]).await;
        assert!(asked_old.contains("MOVED"), "{asked_old}");
    }
}
