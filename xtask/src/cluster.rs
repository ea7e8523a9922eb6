//! `cargo xtask cluster`: Redis, N Chinwag nodes and nginx in front, on one machine.
//!
//! Ports follow from `--port P` (default 8090): the front listens on P, node `i` on
//! P+1+i, Redis on P+1000. All are checked free before anything starts, so a clash is one
//! clear error. Everything a run writes is under `target/cluster/`, wiped first: `redis/`
//! (its append-only file), `node{i}.log`, and `nginx/` (the rendered `deploy/nginx.conf`,
//! its logs and temp files).
//!
//! `--redis-cluster` swaps the one Redis for a Redis Cluster, as production might run it:
//! six `redis-server`s in cluster mode on P+1000..P+1005 (each with its cluster bus on its
//! port + 10000, also checked free), each with its own dir `redis-cluster/PORT/` (AOF on,
//! `nodes.conf`, log), joined by `redis-cli --cluster create` into three masters with a
//! replica each. The nodes start once every Redis says `cluster_state:ok`, with
//! `--redis-cluster` and all six as seeds instead of `--redis`.
//!
//! The children run under a [`Supervisor`], which stops them in reverse start order on Ctrl-C,
//! when any exits early, or when xtask fails: nginx, so no new requests arrive; the nodes,
//! with SIGTERM, so each finishes in-flight work while Redis is still up; then Redis (every
//! Redis Cluster node at once).
//!
//! `--check` starts it all, asks the front for `/readyz` and for `/api/rooms` twice per node
//! (expecting every node among the answers, when nodes name themselves in `X-Chinwag-Node`),
//! then stops: a smoke test of the whole deployment.

use crate::{
    command::run,
    supervisor::{Launch, Stop, Supervisor},
    tools,
};
use anyhow::{Context, Result, bail, ensure};
use nix::sys::signal::Signal;
use std::{
    collections::BTreeSet,
    fs,
    io::{Read, Write},
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

/// Redis's port is the front's plus this, clear of the nodes' range; with `--redis-cluster`,
/// the first of [`REDIS_CLUSTER_NODES`] consecutive ports.
const REDIS_PORT_OFFSET: u16 = 1000;
/// Three masters and a replica for each: the smallest Redis Cluster that survives losing
/// a master.
const REDIS_CLUSTER_NODES: u16 = 6;
/// A Redis Cluster node talks to the others on its port plus this (Redis's default).
const REDIS_BUS_OFFSET: u16 = 10000;

/// Runs the cluster until Ctrl-C (or, with `--check`, until the smoke test is done).
pub fn cluster(root: &Path, args: &[String]) -> Result<()> {
    let (ports, check_only) = Ports::parse(args)?;
    tools::ensure_redis()?;
    tools::ensure_nginx()?;
    crate::frontend::build_frontend(root)?;
    let mut backend = Command::new("cargo");
    backend.current_dir(root).args(["build", "--release"]);
    run(backend.args(["-p", "chinwag-backend", "--bin", "chinwag"]))?;
    // Before the wipe: if another cluster holds the ports, its files stay.
    ports.ensure_free()?;
    let dir = root.join("target/cluster");
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    for redis_dir in ports.redis.dirs(&dir) {
        fs::create_dir_all(redis_dir)?;
    }

    // Dropping `cluster` stops every child, on success, error or panic alike.
    let mut cluster = Supervisor::new(TIERS)?;
    start(&mut cluster, root, &dir, &ports)?;
    if check_only {
        return check(&ports);
    }
    print_summary(&dir, &ports);
    cluster.supervise("stopping the cluster")
}

/// Every port the cluster listens on, all on loopback.
struct Ports {
    front: u16,
    nodes: Vec<u16>,
    redis: Redis,
}

/// The Redis the nodes share, by port.
enum Redis {
    /// One `redis-server`.
    Single(u16),
    /// A Redis Cluster: [`REDIS_CLUSTER_NODES`] `redis-server`s in cluster mode.
    Cluster(Vec<u16>),
}

impl Ports {
    /// Reads `[--nodes N] [--port P] [--redis-cluster] [--check]`; also returns whether
    /// `--check` was given.
    fn parse(args: &[String]) -> Result<(Self, bool)> {
        let (mut nodes, mut front, mut check) = (3, 8090, false);
        let mut redis_cluster = false;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| -> Result<u16> {
                let text = args
                    .next()
                    .with_context(|| format!("{name} needs a number"))?;
                text.parse().with_context(|| format!("{name} {text:?}"))
            };
            match arg.as_str() {
                "--nodes" => nodes = value("--nodes")?,
                "--port" => front = value("--port")?,
                "--check" => check = true,
                "--redis-cluster" => redis_cluster = true,
                _ => bail!(
                    "unknown flag {arg:?}; cluster takes --nodes N, --port P, --redis-cluster, \
                     --check"
                ),
            }
        }
        ensure!(nodes > 0, "--nodes must be at least 1");
        let offset = |by: u16| front.checked_add(by).context("--port is too high");
        let nodes = (1..=nodes).map(offset).collect::<Result<_>>()?;
        let redis = if redis_cluster {
            let ports = (0..REDIS_CLUSTER_NODES).map(|i| offset(REDIS_PORT_OFFSET + i));
            Redis::Cluster(ports.collect::<Result<_>>()?)
        } else {
            Redis::Single(offset(REDIS_PORT_OFFSET)?)
        };
        Ok((
            Ports {
                front,
                nodes,
                redis,
            },
            check,
        ))
    }

    fn ensure_free(&self) -> Result<()> {
        let redis = self.redis.ports_with_buses()?;
        for &port in self.nodes.iter().chain([&self.front]).chain(&redis) {
            TcpListener::bind(loopback(port))
                .with_context(|| format!("port {port} is taken; pick another --port"))?;
        }
        Ok(())
    }
}

impl Redis {
    /// Every Redis port, with each Redis Cluster node's bus port.
    fn ports_with_buses(&self) -> Result<Vec<u16>> {
        match self {
            Redis::Single(port) => Ok(vec![*port]),
            Redis::Cluster(ports) => {
                let buses = ports.iter().map(|port| {
                    (port.checked_add(REDIS_BUS_OFFSET)).context("--port is too high for a bus")
                });
                let buses = buses.collect::<Result<Vec<_>>>()?;
                Ok(ports.iter().copied().chain(buses).collect())
            }
        }
    }

    /// The directory of each Redis under the run's `dir`, in port order.
    fn dirs(&self, dir: &Path) -> Vec<PathBuf> {
        match self {
            Redis::Single(_) => vec![dir.join("redis")],
            Redis::Cluster(ports) => (ports.iter())
                .map(|&port| redis_cluster_dir(dir, port))
                .collect(),
        }
    }

    /// The flag and value that point a node at this Redis: `--redis URL`, or
    /// `--redis-cluster` with every node as a seed.
    fn node_flags(&self) -> [String; 2] {
        let url = |port: &u16| format!("redis://127.0.0.1:{port}");
        match self {
            Redis::Single(port) => ["--redis".to_owned(), url(port)],
            Redis::Cluster(ports) => {
                let seeds: Vec<String> = ports.iter().map(url).collect();
                ["--redis-cluster".to_owned(), seeds.join(",")]
            }
        }
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// The children, by tier; they start in this order and stop in the reverse.
#[derive(Clone, Copy)]
enum Tier {
    Redis,
    Nodes,
    Front,
}

/// How many [`Tier`]s there are.
const TIERS: usize = 3;

/// Starts Redis, then each node, then nginx, each once the one before it answers.
fn start(cluster: &mut Supervisor, root: &Path, dir: &Path, ports: &Ports) -> Result<()> {
    match &ports.redis {
        Redis::Single(port) => start_redis(cluster, dir, *port)?,
        Redis::Cluster(ports) => start_redis_cluster(cluster, dir, ports)?,
    }

    let redis_flags = ports.redis.node_flags();
    for (i, &port) in ports.nodes.iter().enumerate() {
        let mut node = Command::new(crate::command::build_dir(root).join("release/chinwag"));
        // The name goes into presence and the X-Chinwag-Node header; the database is
        // unused with Redis, but keeps a stray default file out of the workspace.
        node.env("CHINWAG_NODE_ID", format!("node{i}"));
        node.env("CHINWAG_DB", dir.join(format!("node{i}.db")));
        node.args(["--bind", &loopback(port).to_string()]);
        node.args(&redis_flags);
        node.args(["--trusted-proxy", "127.0.0.1", "--static-dir"]);
        node.arg(root.join("dist"));
        let launch = logged(&format!("node {i}"), node, dir.join(format!("node{i}.log")));
        let ready = || get_ok(port, "/readyz").is_ok();
        cluster.launch(Tier::Nodes as usize, launch, ready)?;
    }

    let prefix = dir.join("nginx");
    let config = render_nginx_config(root, &prefix, ports)?;
    let binary = tools::nginx_binary()?;
    let nginx = |extra: &[&str]| {
        let mut nginx = Command::new(&binary);
        // `-e`: the error log until the config is read; the built-in one is in /var.
        nginx.arg("-p").arg(&prefix).arg("-c").arg(&config);
        nginx.arg("-e").arg(prefix.join("error.log")).args(extra);
        nginx
    };
    run(&mut nginx(&["-t", "-q"]))?;
    let listening = || TcpStream::connect(loopback(ports.front)).is_ok();
    let launch = logged("nginx", nginx(&[]), prefix.join("stderr.log"));
    cluster.launch(Tier::Front as usize, launch, listening)
}

/// One Redis with its append-only file in `dir/redis/`.
fn start_redis(cluster: &mut Supervisor, dir: &Path, port: u16) -> Result<()> {
    let mut redis = Command::new("redis-server");
    redis.args(["--port", &port.to_string(), "--bind", "127.0.0.1"]);
    redis.args(["--save", "", "--appendonly", "yes", "--dir"]);
    redis.arg(dir.join("redis"));
    let launch = logged("redis", redis, dir.join("redis/redis.log"));
    cluster.launch(Tier::Redis as usize, launch, || redis_pong(port))
}

/// A Redis Cluster: every node started, then joined by `redis-cli --cluster create` into
/// masters with one replica each, then awaited until each says `cluster_state:ok`.
fn start_redis_cluster(cluster: &mut Supervisor, dir: &Path, ports: &[u16]) -> Result<()> {
    for &port in ports {
        let node_dir = redis_cluster_dir(dir, port);
        let mut redis = Command::new("redis-server");
        redis.args(["--port", &port.to_string(), "--bind", "127.0.0.1"]);
        redis.args(["--cluster-enabled", "yes"]);
        redis.args(["--cluster-config-file", "nodes.conf"]);
        // Five seconds without an answer and a master is failed over to its replica: quick
        // enough to watch, slow enough that a busy laptop does not trigger it.
        redis.args(["--cluster-node-timeout", "5000"]);
        redis.args(["--save", "", "--appendonly", "yes", "--dir"]);
        redis.arg(&node_dir);
        let launch = logged(&format!("redis {port}"), redis, node_dir.join("redis.log"));
        cluster.launch(Tier::Redis as usize, launch, || redis_pong(port))?;
    }
    let mut create = Command::new("redis-cli");
    create.args(["--cluster", "create"]);
    create.args(ports.iter().map(|port| format!("127.0.0.1:{port}")));
    run(create.args(["--cluster-replicas", "1", "--cluster-yes"]))?;
    let all_ok = || ports.iter().all(|&port| redis_cluster_ok(port));
    cluster.until("every Redis Cluster node to say cluster_state:ok", all_ok)
}

/// Where the Redis Cluster node on `port` keeps its AOF, `nodes.conf` and log.
fn redis_cluster_dir(dir: &Path, port: u16) -> PathBuf {
    dir.join("redis-cluster").join(port.to_string())
}

/// A child of the cluster: its output in `log`, stopped with SIGTERM to it alone (nginx's
/// master stops its own workers).
fn logged(name: &str, command: Command, log: PathBuf) -> Launch {
    Launch {
        name: name.to_owned(),
        command,
        stop: Stop::Leader(Signal::SIGTERM),
        log: Some(log),
    }
}

/// `deploy/nginx.conf` with its placeholders filled, written to `prefix/nginx.conf`.
fn render_nginx_config(root: &Path, prefix: &Path, ports: &Ports) -> Result<PathBuf> {
    let template = fs::read_to_string(root.join("deploy/nginx.conf"))?;
    let upstreams: Vec<String> = (ports.nodes.iter())
        .map(|port| format!("        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;"))
        .collect();
    let prefix_text = prefix.to_str().context("target/ is not a UTF-8 path")?;
    let config = template
        .replace("{{PREFIX}}", prefix_text)
        .replace("{{LISTEN}}", &loopback(ports.front).to_string())
        .replace("{{UPSTREAMS}}", &upstreams.join("\n"));
    let unfilled = config.contains("{{");
    ensure!(!unfilled, "deploy/nginx.conf has an unknown placeholder");
    fs::create_dir_all(prefix)?;
    let path = prefix.join("nginx.conf");
    fs::write(&path, config)?;
    Ok(path)
}

/// The smoke test: the front answers, and round-robin reaches every node.
fn check(ports: &Ports) -> Result<()> {
    get_ok(ports.front, "/readyz")?;
    let mut seen = BTreeSet::new();
    for _ in 0..2 * ports.nodes.len() {
        seen.extend(get_ok(ports.front, "/api/rooms")?);
    }
    // Nodes that send no X-Chinwag-Node leave `seen` empty; then the successes must do.
    let nodes = ports.nodes.len();
    let reached_all = seen.is_empty() || seen.len() == nodes;
    ensure!(reached_all, "round-robin reached only {seen:?}");
    eprintln!("xtask: cluster check passed: {nodes} nodes answer through nginx");
    Ok(())
}

fn print_summary(dir: &Path, ports: &Ports) {
    let (dir, front) = (dir.display(), ports.front);
    let nodes: String = (ports.nodes.iter().enumerate())
        .map(|(i, port)| format!("  node {i}  http://127.0.0.1:{port}/  log {dir}/node{i}.log\n"))
        .collect();
    let redis = match &ports.redis {
        Redis::Single(port) => {
            format!("redis://127.0.0.1:{port}  (append-only file in {dir}/redis)")
        }
        Redis::Cluster(ports) => {
            let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
            format!(
                "Redis Cluster on 127.0.0.1 ports {}: three masters and three replicas \
                 (append-only files, nodes.conf and logs in {dir}/redis-cluster/PORT)",
                ports.join(", ")
            )
        }
    };
    eprintln!(
        "\nChinwag cluster is up:\n  open    http://127.0.0.1:{front}/  (nginx round-robin; \
         logs in {dir}/nginx)\n{nodes}  redis   {redis}\nCtrl-C stops everything.\n"
    );
}

/// A one-shot HTTP/1.0 GET to a loopback port, enough for probes with no HTTP client crate.
/// Fails unless the status is 200; returns the `X-Chinwag-Node` header, naming the node.
fn get_ok(port: u16, path: &str) -> Result<Option<String>> {
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    let head = exchange(port, &request, "\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|line| line.split(' ').nth(1));
    ensure!(
        status == Some("200"),
        "GET {path} on port {port}: {status:?}"
    );
    Ok(lines.take_while(|line| !line.is_empty()).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.eq_ignore_ascii_case("x-chinwag-node")).then(|| value.trim().to_owned())
    }))
}

/// Whether Redis answers an inline `PING`.
fn redis_pong(port: u16) -> bool {
    exchange(port, "PING\r\n", "\r\n").is_ok_and(|answer| answer.starts_with("+PONG"))
}

/// Whether the Redis Cluster node on `port` says `cluster_state:ok` in `CLUSTER INFO` (its
/// first line, which the answer is read up to the next field for).
fn redis_cluster_ok(port: u16) -> bool {
    exchange(port, "CLUSTER INFO\r\n", "cluster_slots_assigned")
        .is_ok_and(|answer| answer.contains("cluster_state:ok"))
}

/// Sends `request`, then reads until the answer contains `end`, the peer closes, or 4 KiB.
fn exchange(port: u16, request: &str, end: &str) -> Result<String> {
    let timeout = Duration::from_secs(2);
    let mut stream = TcpStream::connect_timeout(&loopback(port), timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(request.as_bytes())?;
    let (mut answer, mut chunk) = (Vec::new(), [0; 1024]);
    while answer.len() < 4096 && !String::from_utf8_lossy(&answer).contains(end) {
        match stream.read(&mut chunk)? {
            0 => break,
            read => answer.extend_from_slice(&chunk[..read]),
        }
    }
    Ok(String::from_utf8_lossy(&answer).into_owned())
}
