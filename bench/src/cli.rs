//! The command line: one subcommand per mode, plus the baseline servers and the plot.
//!
//! Only parsing lives here; [`crate::modes::run`] dispatches. Every count and duration has an
//! upper bound checked at parse time, so no invocation can run unbounded.

use crate::signin::{AuthKind, Presentation};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// Most connections one run may open: what fits the loopback ephemeral port range.
pub const MAX_CLIENTS: usize = 25_000;
/// Most long-poll waiters one run may open: about what one loopback client address can
/// connect.
pub const MAX_WAITERS: usize = 50_000;
/// Longest time any one phase of a run may last.
pub const MAX_PHASE: Duration = Duration::from_secs(600);

/// Chinwag's load generator.
#[derive(Debug, Parser)]
#[command(name = "chinwag-bench", version, about, long_about = None)]
pub struct Cli {
    /// The mode to run.
    #[command(subcommand)]
    pub command: Command,
    /// Pin the server to the first allowed CPU and this tool to the others (needs `taskset`).
    #[arg(long, global = true, value_enum, default_value_t = Pin::Auto)]
    pub pin: Pin,
    /// One JSON object per step on stdout instead of the human table.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Whether to pin the server and the load generator to separate CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Pin {
    /// Pin when `taskset` exists and at least two CPUs are allowed.
    Auto,
    /// Never pin.
    Off,
}

/// The modes.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// N clients in one room, S senders at a total rate R: latency at every receiver, loss.
    Broadcast(BroadcastArgs),
    /// Senders as fast as the target accepts, each with a bounded number in flight.
    Throughput(ThroughputArgs),
    /// N idle connections: server resident memory per connection.
    Idle(IdleArgs),
    /// N clients drop at once and come back (resuming with `after=` on Chinwag): time until
    /// all are back, and loss.
    Storm(StormArgs),
    /// A few seconds of broadcast, storm and idle; fails on any loss or error.
    Smoke(SmokeArgs),
    /// The same messages over a WebSocket, long-polling and polling, side by side: latency,
    /// requests and bytes on the wire per message.
    TransportLab(TransportLabArgs),
    /// N concurrent long-polls on one room: server memory per waiter, and how fast one
    /// message wakes them all.
    LongpollWaiters(LongpollWaitersArgs),
    /// N named clients join one room in a crowd, then half of them leave: presence bytes
    /// and frames the clients receive, and server CPU, for each phase (issue 18).
    PresenceStorm(PresenceStormArgs),
    /// Run one of the baseline servers (started by this tool for `--target-kind`).
    ServeBaseline(ServeBaselineArgs),
    /// Draw p95 latency against clients from `--json` broadcast output, as SVG.
    Plot(PlotArgs),
}

/// What to measure against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// The Chinwag server (`--server`, or `--target` + `--pid`: one node or several).
    Chinwag,
    /// A minimal tokio-tungstenite relay over a bounded tokio broadcast channel.
    BareRelay,
    /// Newline-delimited fan-out of the same bytes over plain TCP.
    RawTcp,
    /// A bare actix-ws relay: a hub task and a bounded channel per connection, on Chinwag's
    /// own framework.
    ActixRelay,
}

impl TargetKind {
    /// The name used in flags, tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Chinwag => "chinwag",
            Self::BareRelay => "bare-relay",
            Self::RawTcp => "raw-tcp",
            Self::ActixRelay => "actix-relay",
        }
    }
}

/// How a storm's clients come back after the reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resume {
    /// Reconnect with `after=<highest id held>`: every message posted while away is replayed,
    /// and a client is back once it holds them all (Chinwag only: it needs history).
    On,
    /// Reconnect live-only, the work a target without history does: a client is back once the
    /// target greets it and a message posted after the storm began reaches it.
    Off,
}

impl Resume {
    /// The name used in flags, tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::On => "on",
            Self::Off => "off",
        }
    }
}

/// Where the target comes from; shared by every measuring mode.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The Chinwag binary to start (default: `chinwag` next to this tool, else
    /// `target/release/chinwag`).
    #[arg(long)]
    pub server: Option<PathBuf>,
    /// An already running target on loopback instead of starting one:
    /// `ws://127.0.0.1:PORT` (chinwag, bare-relay, actix-relay) or `tcp://127.0.0.1:PORT` (raw-tcp).
    /// Repeat it (or give a comma list) for the nodes of one cluster: connections are dealt
    /// to them in turn, senders included.
    #[arg(long, requires = "pid", value_delimiter = ',')]
    pub target: Vec<String>,
    /// The pid of each `--target` server, in the same order, for memory and CPU (summed).
    #[arg(long, requires = "target", value_delimiter = ',')]
    pub pid: Vec<u32>,
    /// A process the `--target` servers depend on, e.g. their `redis-server` (repeatable):
    /// its CPU is reported apart as backing CPU, and a step fails if it dies.
    #[arg(long, requires = "target", value_delimiter = ',')]
    pub backing_pid: Vec<u32>,
    /// Targets to measure, comma separated; each step runs against each in turn.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub target_kind: Vec<TargetKind>,
    /// An extra flag for a started Chinwag server (repeatable), e.g. `--server-arg=--outbox-frames=4096`.
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    pub server_args: Vec<String>,
    /// `RUST_LOG` for a started Chinwag server.
    #[arg(long, default_value = "warn")]
    pub server_log: String,
}

/// `broadcast`.
#[derive(Debug, Clone, Args)]
pub struct BroadcastArgs {
    /// Where to send.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Clients in the room, senders included.
    #[arg(long, default_value_t = 1000, value_parser = clients)]
    pub clients: usize,
    /// Run one step per client count instead, e.g. `100,500,1000,2000`.
    #[arg(long, value_delimiter = ',', value_parser = clients, conflicts_with = "clients")]
    pub ramp: Vec<usize>,
    /// Clients that also send (the first S of the room).
    #[arg(long, default_value_t = 10)]
    pub senders: usize,
    /// Messages per second, all senders together.
    #[arg(long, default_value_t = 20.0, value_parser = rate)]
    pub rate: f64,
    /// How long the senders send, per step (`10`, `2.5s`, `500ms`).
    #[arg(long, default_value = "10s", value_parser = duration)]
    pub duration: Duration,
    /// Characters of each chat message (at least the 35-character stamp).
    #[arg(long, default_value_t = 140, value_parser = clap::value_parser!(u16).range(35..=4000))]
    pub message_chars: u16,
    /// How long after the last send a message may still arrive before it counts as lost.
    #[arg(long, default_value = "10s", value_parser = duration)]
    pub drain: Duration,
    /// A step passes the ramp when its p95 is below this many milliseconds.
    #[arg(long, default_value_t = 250.0)]
    pub max_p95_ms: f64,
    /// Keep ramping a target past its first failed step.
    #[arg(long)]
    pub keep_going: bool,
    /// Connections opened at once while a step sets up.
    #[arg(long, default_value_t = 256)]
    pub connect_concurrency: usize,
    /// Write the p95-against-clients chart of this run to this SVG file.
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// Shares of the senders' posts that are edits or deletions of their own recent
    /// messages, comma separated (`0,10`): every client count runs one step per share, side by
    /// side, and the senders sign in (Chinwag only; needs `--sign-ups-per-hour` lifted).
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u32).range(0..=50))]
    pub changes_percent: Vec<u32>,
    /// With `--changes-percent`: rounds of the shares, each share once per round, in turn.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub rounds: u32,
}

/// `throughput`.
#[derive(Debug, Clone, Args)]
pub struct ThroughputArgs {
    /// Where to send.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Sending clients, all in one room (each also receives every message).
    #[arg(long, default_value_t = 10, value_parser = clients)]
    pub senders: usize,
    /// Messages each sender may have sent but not yet seen come back.
    #[arg(long, default_value_t = 32)]
    pub window: usize,
    /// Clients in the room that only receive.
    #[arg(long, default_value_t = 0)]
    pub receivers: usize,
    /// How long the senders send.
    #[arg(long, default_value = "10s", value_parser = duration)]
    pub duration: Duration,
    /// Characters of each chat message.
    #[arg(long, default_value_t = 140, value_parser = clap::value_parser!(u16).range(35..=4000))]
    pub message_chars: u16,
    /// How long after the last send a message may still arrive before it counts as lost.
    #[arg(long, default_value = "10s", value_parser = duration)]
    pub drain: Duration,
}

/// `idle`.
#[derive(Debug, Clone, Args)]
pub struct IdleArgs {
    /// Where to connect.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Idle connections to open.
    #[arg(long, default_value_t = 10_000, value_parser = clients)]
    pub clients: usize,
    /// How long to hold them open before reading the server's memory.
    #[arg(long, default_value = "3s", value_parser = duration)]
    pub hold: Duration,
    /// Connections opened at once.
    #[arg(long, default_value_t = 256)]
    pub connect_concurrency: usize,
}

/// `storm`.
#[derive(Debug, Clone, Args)]
pub struct StormArgs {
    /// Where to connect. Chinwag by default; a baseline keeps no history, so against it the
    /// storm is a plain reconnect (`--resume off`).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Chinwag's reconnect: `on` resumes with `after=` (the storm as it always ran), `off`
    /// reconnects live-only, the same work as a baseline's; a comma list (`on,off`) runs each
    /// in turn, on a fresh server each. The baselines always run `off`.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "on")]
    pub resume: Vec<Resume>,
    /// Clients that drop and come back.
    #[arg(long, default_value_t = 10_000, value_parser = clients)]
    pub clients: usize,
    /// Messages stored before the clients first join (replayed to each with `after=0`).
    #[arg(long, default_value_t = 20)]
    pub history: u64,
    /// Live messages per second from one poster, before, during and after the storm.
    #[arg(long, default_value_t = 20.0, value_parser = rate)]
    pub rate: f64,
    /// Messages posted while every client is gone (each is replayed to every client).
    #[arg(long, default_value_t = 20)]
    pub missed: u64,
    /// Live traffic before the drop.
    #[arg(long, default_value = "2s", value_parser = duration)]
    pub warmup: Duration,
    /// How long the clients have to catch up before the step fails.
    #[arg(long, default_value = "30s", value_parser = duration)]
    pub timeout: Duration,
    /// Connections opened at once while setting up (the storm itself reconnects all at once).
    #[arg(long, default_value_t = 256)]
    pub connect_concurrency: usize,
    /// Signed-in clients or guests, comma separated (`none,session`): each round runs one
    /// storm of each, in this order, all against one server.
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Rounds of the `--auth` list; with more than one, every storm runs on the same server,
    /// each in a fresh room, and sessions are made once before the first.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub rounds: u32,
    /// Shares of the poster's posts that are edits or deletions of its own recent messages,
    /// comma separated (`0,10`): each round runs one storm per share and `--auth` kind, so
    /// the log resumed holds that share of change records. The poster then signs in.
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u32).range(0..=50))]
    pub changes_percent: Vec<u32>,
}

/// How a mode's clients identify themselves.
#[derive(Debug, Clone, Args)]
pub struct AuthArgs {
    /// `none` (guests), `session` (one session per client, made by sign-ins before anything
    /// is timed), or a comma list of both to alternate.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "none")]
    pub auth: Vec<AuthKind>,
    /// Accounts the sessions are spread over; each signs in again until there is one
    /// session per client. Every account of a client in the room is one name in its presence.
    #[arg(long, default_value_t = 1, value_parser = clients)]
    pub auth_accounts: usize,
    /// Distinct sessions to make (default: one per client); with fewer, client i presents
    /// session i mod N. Each costs the server one Argon2id hash to make.
    #[arg(long, value_parser = clients)]
    pub auth_sessions: Option<usize>,
    /// Where each client presents its session in the upgrade request.
    #[arg(long, value_enum, default_value_t = Presentation::Bearer)]
    pub present: Presentation,
}

impl Default for AuthArgs {
    fn default() -> Self {
        Self {
            auth: vec![AuthKind::None],
            auth_accounts: 1,
            auth_sessions: None,
            present: Presentation::Bearer,
        }
    }
}

/// `smoke`.
#[derive(Debug, Clone, Args)]
pub struct SmokeArgs {
    /// The Chinwag binary to start (default as for the other modes).
    #[arg(long)]
    pub server: Option<PathBuf>,
}

/// `transport-lab`.
#[derive(Debug, Clone, Args)]
pub struct TransportLabArgs {
    /// Where to send (Chinwag only: the baselines have no HTTP API).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Milliseconds between two sent messages.
    #[arg(long = "period", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub period_ms: u64,
    /// Messages sent.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub count: u64,
    /// Milliseconds the poller sleeps between requests.
    #[arg(long = "poll-interval", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub poll_interval_ms: u64,
    /// The long-poll's `wait=`, in seconds (the server allows at most 30).
    #[arg(long = "wait", default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..=30))]
    pub wait_secs: u64,
    /// Post over HTTP, or send over a WebSocket of its own.
    #[arg(long, value_enum, default_value_t = LabSender::Http)]
    pub sender: LabSender,
    /// The HTTP loops also `GET …/presence` once per cycle, as the browser does.
    #[arg(long)]
    pub presence: bool,
    /// The room used.
    #[arg(long, default_value = "lab")]
    pub room: String,
}

/// How the transport lab's sender posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LabSender {
    /// `POST /api/rooms/{room}/messages`.
    Http,
    /// A `send` frame over a WebSocket.
    Ws,
}

/// `presence-storm`.
#[derive(Debug, Clone, Args)]
pub struct PresenceStormArgs {
    /// Where to join (Chinwag only).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Named clients in the room.
    #[arg(long, default_value_t = 10_000, value_parser = clients)]
    pub clients: usize,
    /// Connections opening at once.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// A phase ends once no client received a byte for this long.
    #[arg(long, default_value = "2s", value_parser = duration)]
    pub quiet: Duration,
    /// Longest a phase may last (its figures are then marked as cut short).
    #[arg(long, default_value = "300s", value_parser = duration)]
    pub timeout: Duration,
}

/// `longpoll-waiters`.
#[derive(Debug, Clone, Args)]
pub struct LongpollWaitersArgs {
    /// Where to wait (Chinwag only).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Concurrent long-poll requests.
    #[arg(long, default_value_t = 5000, value_parser = waiters)]
    pub waiters: usize,
    /// Open this many, then wait until the server counts them; 0 opens all at once, which
    /// overflows the server's listen queue (`--listen-backlog`, 4,096 by default).
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// The requests' `wait=`, in seconds (the server allows at most 30).
    #[arg(long = "wait", default_value_t = 30, value_parser = clap::value_parser!(u64).range(5..=30))]
    pub wait_secs: u64,
    /// The room to wait on.
    #[arg(long, default_value = "lab")]
    pub room: String,
    /// Bound on each phase, in seconds: opening, reaching the gauge, waking.
    #[arg(long = "timeout", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout_secs: u64,
}

/// `serve-baseline`.
#[derive(Debug, Clone, Args)]
pub struct ServeBaselineArgs {
    /// Which baseline.
    #[arg(long, value_enum)]
    pub kind: TargetKind,
    /// Listen address (loopback; port 0 picks a free one). Prints `listening on ...` once bound.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: SocketAddr,
    /// Capacity of the broadcast channel; a receiver that falls this far behind is dropped.
    #[arg(long, default_value_t = 4096)]
    pub capacity: usize,
}

/// `plot`.
#[derive(Debug, Clone, Args)]
pub struct PlotArgs {
    /// JSON lines from `broadcast --json` (several files may be given).
    #[arg(required = true)]
    pub input: Vec<PathBuf>,
    /// Where to write the SVG.
    #[arg(long, short)]
    pub output: PathBuf,
}

/// A client count within [`MAX_CLIENTS`].
fn clients(text: &str) -> Result<usize, String> {
    count_within(text, MAX_CLIENTS)
}

/// A waiter count within [`MAX_WAITERS`].
fn waiters(text: &str) -> Result<usize, String> {
    count_within(text, MAX_WAITERS)
}

/// A count from 1 to `max`.
fn count_within(text: &str, max: usize) -> Result<usize, String> {
    let n: usize = text.parse().map_err(|err| format!("{err}"))?;
    if n == 0 || n > max {
        return Err(format!("must be 1..={max}"));
    }
    Ok(n)
}

/// A positive message rate, at most a million per second.
fn rate(text: &str) -> Result<f64, String> {
    let r: f64 = text.parse().map_err(|err| format!("{err}"))?;
    if !(r > 0.0 && r <= 1e6) {
        return Err("must be in (0, 1000000]".into());
    }
    Ok(r)
}

/// `10`, `2.5`, `10s` or `500ms`, within [`MAX_PHASE`].
fn duration(text: &str) -> Result<Duration, String> {
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1e-3)
    } else {
        (text.strip_suffix('s').unwrap_or(text), 1.0)
    };
    let secs = number.parse::<f64>().map_err(|err| format!("{err}"))? * scale;
    if !(secs > 0.0 && secs <= MAX_PHASE.as_secs_f64()) {
        return Err(format!("must be in (0, {}s]", MAX_PHASE.as_secs()));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_seconds_or_milliseconds_and_are_bounded() {
        assert_eq!(duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("2.5s"), Ok(Duration::from_millis(2500)));
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(duration("0").is_err());
        assert!(duration("3600").is_err());
        assert!(duration("soon").is_err());
    }

    #[test]
    fn a_ramp_is_a_comma_separated_list_of_bounded_counts() {
        let cli = Cli::try_parse_from(["chinwag-bench", "broadcast", "--ramp", "100,500"]).unwrap();
        let Command::Broadcast(args) = cli.command else {
            panic!("not broadcast");
        };
        assert_eq!(args.ramp, [100, 500]);
        assert!(
            Cli::try_parse_from(["chinwag-bench", "broadcast", "--ramp", "100,999999"]).is_err()
        );
    }

    #[test]
    fn a_storm_alternates_the_auth_kinds_it_is_given() {
        let cli = Cli::try_parse_from([
            "chinwag-bench",
            "storm",
            "--auth",
            "none,session",
            "--rounds",
            "3",
        ])
        .unwrap();
        let Command::Storm(args) = cli.command else {
            panic!("not storm");
        };
        assert_eq!(args.auth.auth, [AuthKind::None, AuthKind::Session]);
        assert_eq!(args.rounds, 3);
        assert_eq!(args.auth.present, Presentation::Bearer);
        assert!(args.changes_percent.is_empty());
        assert_eq!(args.resume, [Resume::On]);
        assert!(Cli::try_parse_from(["chinwag-bench", "storm", "--rounds", "0"]).is_err());
    }

    #[test]
    fn a_storm_takes_target_kinds_and_both_reconnects() {
        let cli = Cli::try_parse_from([
            "chinwag-bench",
            "storm",
            "--target-kind",
            "chinwag,actix-relay",
            "--resume",
            "on,off",
        ])
        .unwrap();
        let Command::Storm(args) = cli.command else {
            panic!("not storm");
        };
        assert_eq!(
            args.target.target_kind,
            [TargetKind::Chinwag, TargetKind::ActixRelay]
        );
        assert_eq!(args.resume, [Resume::On, Resume::Off]);
        assert!(Cli::try_parse_from(["chinwag-bench", "storm", "--resume", "maybe"]).is_err());
    }

    #[test]
    fn shares_of_changes_are_a_bounded_comma_list() {
        let cli = Cli::try_parse_from([
            "chinwag-bench",
            "broadcast",
            "--changes-percent",
            "0,10",
            "--rounds",
            "2",
        ])
        .unwrap();
        let Command::Broadcast(args) = cli.command else {
            panic!("not broadcast");
        };
        assert_eq!(args.changes_percent, [0, 10]);
        assert_eq!(args.rounds, 2);
        assert!(
            Cli::try_parse_from(["chinwag-bench", "storm", "--changes-percent", "0,60"]).is_err()
        );
    }

    #[test]
    fn a_running_target_needs_its_pid() {
        assert!(
            Cli::try_parse_from(["chinwag-bench", "idle", "--target", "ws://127.0.0.1:1"]).is_err()
        );
    }

    #[test]
    fn several_targets_come_repeated_or_as_a_comma_list() {
        let target = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).unwrap();
            let Command::Broadcast(args) = cli.command else {
                panic!("not broadcast");
            };
            args.target
        };
        let repeated = target(&[
            "chinwag-bench",
            "broadcast",
            "--target",
            "ws://127.0.0.1:1",
            "--target",
            "ws://127.0.0.1:2",
            "--pid",
            "10",
            "--pid",
            "11",
        ]);
        let listed = target(&[
            "chinwag-bench",
            "broadcast",
            "--target",
            "ws://127.0.0.1:1,ws://127.0.0.1:2",
            "--pid",
            "10,11",
            "--backing-pid",
            "12",
        ]);
        assert_eq!(repeated.target, ["ws://127.0.0.1:1", "ws://127.0.0.1:2"]);
        assert_eq!(repeated.pid, [10, 11]);
        assert_eq!(listed.target, repeated.target);
        assert_eq!(listed.pid, repeated.pid);
        assert_eq!(listed.backing_pid, [12]);
        assert!(target(&["chinwag-bench", "broadcast"]).target.is_empty());
    }
}
