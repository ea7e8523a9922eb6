//! Server configuration: command-line flags, each also settable as a `CHINWAG_*` variable.
//!
//! Every limit and timer the server enforces lives here with its default and the reason for
//! it; `docs/operations.md` lists them for operators. `chinwag --help` prints the same.

use crate::{
    cluster::RedisTarget, delivery::presence_diffs::BigRooms, hub::new_rooms::NewRoomLimits,
    routes::origin::Origin, session::SessionLimits, store::sqlite::SyncMode,
};
use clap::{Parser, Subcommand, ValueEnum, builder::PossibleValue};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Plain lines, coloured at a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

/// What the binary does besides serving (nothing given: serve).
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Administer accounts on the store named by `--db` (or `--redis`); safe while a server
    /// runs on it.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Copy the SQLite database named by `--db` to DEST, consistently, while a server may be
    /// running on it (restore by starting a server on the copy).
    Backup {
        /// Where to write the copy; must not exist yet.
        dest: PathBuf,
    },
    /// Write everything the store named by `--db` (or `--redis`) holds to standard output
    /// as JSON lines: accounts, rooms with their members and roles, every record (deleted
    /// messages stay deleted). Safe while a server runs on it.
    Export,
    /// Load an export from standard input into the store named by `--db` (or `--redis`),
    /// which must be empty: no rooms, no accounts.
    Import,
}

/// `chinwag accounts …`.
#[derive(Debug, Clone, Subcommand)]
pub enum AccountsCommand {
    /// Create the account NAME with the password on the first line of standard input (held
    /// to the sign-up rules, hashed as sign-up hashes).
    Create {
        /// The account's name.
        name: String,
        /// Make it a site admin too.
        #[arg(long)]
        admin: bool,
    },
    /// List accounts, one per line: name, id, created (RFC 3339, UTC), `admin` or `-`,
    /// `disabled` or `-`, separated by tabs, in name order.
    List {
        /// Only accounts whose names contain this, ignoring case.
        #[arg(long)]
        query: Option<String>,
    },
    /// Disable the account NAME and revoke its sessions and tokens.
    Disable {
        /// The account's name.
        name: String,
    },
    /// Enable the account NAME again.
    Enable {
        /// The account's name.
        name: String,
    },
    /// Make the account NAME a site admin: it moderates every room and acts site-wide.
    GrantAdmin {
        /// The account's name.
        name: String,
    },
    /// Make the account NAME no longer a site admin.
    RevokeAdmin {
        /// The account's name.
        name: String,
    },
}

/// Chinwag: a real-time chat relay.
#[derive(Debug, Clone, Parser)]
#[command(name = "chinwag", version, about)]
pub struct Config {
    /// What to do instead of serving (see `chinwag help`).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on; use port 0 to let the OS pick a free one.
    #[arg(long, env = "CHINWAG_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// SQLite database file; created, with its schema, on first start.
    #[arg(
        long,
        env = "CHINWAG_DB",
        default_value = "./chinwag.db",
        global = true
    )]
    pub db: PathBuf,

    /// When a message sent to the SQLite engine is confirmed: `full` waits for the WAL to be
    /// fsynced, so every confirmed message survives a power cut; `normal` only for the write,
    /// so it survives a crash of the server process but an OS crash or power cut may lose the
    /// messages committed since the last checkpoint. Unused with `--redis`.
    #[arg(
        long,
        env = "CHINWAG_SQLITE_SYNC",
        value_enum,
        default_value_t = SyncMode::Full
    )]
    pub sqlite_sync: SyncMode,

    /// Directory of the built browser client (`trunk build` output), served at `/`.
    #[arg(long, env = "CHINWAG_STATIC_DIR", default_value = "./dist")]
    pub static_dir: PathBuf,

    /// Seconds between pings to each client. Browsers answer pings without any script, so
    /// this keeps NAT mappings and proxies alive and detects dead peers. The idle check runs
    /// at each ping, so a silent client is closed between the idle timeout and one interval
    /// after it.
    #[arg(long, env = "CHINWAG_HEARTBEAT_SECS", default_value_t = 10)]
    pub heartbeat_secs: u64,

    /// Seconds without any frame (pongs count) after which a client is closed: three missed
    /// heartbeats.
    #[arg(long, env = "CHINWAG_IDLE_TIMEOUT_SECS", default_value_t = 30)]
    pub idle_timeout_secs: u64,

    /// Frames queued for one client before it counts as too slow and is closed with 1013; it
    /// then resumes from history. Bounds server memory per client.
    #[arg(long, env = "CHINWAG_OUTBOX_FRAMES", default_value_t = 1024)]
    pub outbox_frames: usize,

    /// Bytes of frames queued for one client before it counts as too slow (1013).
    #[arg(long, env = "CHINWAG_OUTBOX_BYTES", default_value_t = 1024 * 1024)]
    pub outbox_bytes: usize,

    /// Rooms one connection may be in at once.
    #[arg(long, env = "CHINWAG_MAX_ROOMS_PER_CONNECTION", default_value_t = 64)]
    pub max_rooms_per_connection: usize,

    /// Frames per second one connection may send, sustained; the excess is refused with
    /// `rate_limited`.
    #[arg(long, env = "CHINWAG_RATE_PER_SEC", default_value_t = 20)]
    pub rate_per_sec: u32,

    /// Frames one connection may send in a burst before the rate applies.
    #[arg(long, env = "CHINWAG_RATE_BURST", default_value_t = 40)]
    pub rate_burst: u32,

    /// Refused frames (net of the refill) after which a flooding client is closed with 1008.
    #[arg(long, env = "CHINWAG_RATE_ABUSE_ALLOWANCE", default_value_t = 100)]
    pub rate_abuse_allowance: u32,

    /// New rooms one client address may create per minute, sustained. A room is created by
    /// its first message (joining is free); a post that would create one over this budget is
    /// refused with `too_many_new_rooms` (HTTP 429), and posts to existing rooms never count.
    /// One every ten seconds is beyond anyone opening rooms by hand; a flood made 3,700 a
    /// second from one address before this existed.
    #[arg(long, env = "CHINWAG_NEW_ROOMS_PER_MINUTE", default_value_t = 6)]
    pub new_rooms_per_minute: u32,

    /// New rooms one address may create at once before the per-minute rate applies: room
    /// for a class or office behind one NAT address to open its rooms in a morning.
    #[arg(long, env = "CHINWAG_NEW_ROOMS_BURST", default_value_t = 20)]
    pub new_rooms_burst: u32,

    /// New rooms one WebSocket connection may create in its life, so one connection cannot
    /// spend the budget of everyone behind its address.
    #[arg(long, env = "CHINWAG_NEW_ROOMS_PER_CONNECTION", default_value_t = 10)]
    pub new_rooms_per_connection: u32,

    /// WebSocket connections the server holds at most; more get 503.
    #[arg(long, env = "CHINWAG_MAX_CONNECTIONS", default_value_t = 20_000)]
    pub max_connections: usize,

    /// WebSocket connections one client address holds at most; more get 429. Benchmarks
    /// from one host lift it.
    #[arg(long, env = "CHINWAG_MAX_CONNECTIONS_PER_IP", default_value_t = 256)]
    pub max_connections_per_ip: usize,

    /// Plain HTTP requests one client address may have in flight at once; more get 429.
    /// A browser keeps at most six; a crowd behind one NAT needs more.
    #[arg(long, env = "CHINWAG_MAX_REQUESTS_PER_IP", default_value_t = 64)]
    pub max_requests_per_ip: usize,

    /// Long-polls one client address may hold at once; more get 429. Each also counts as a
    /// connection against `--max-connections` and `--max-connections-per-ip`.
    #[arg(long, env = "CHINWAG_MAX_LONG_POLLS_PER_IP", default_value_t = 32)]
    pub max_long_polls_per_ip: usize,

    /// Seconds a request with a body (a POST) has to arrive whole and be answered; slower
    /// ones get 408 and their connection is closed, so a trickled body cannot hold it.
    #[arg(long, env = "CHINWAG_BODY_TIMEOUT_SECS", default_value_t = 10)]
    pub body_timeout_secs: u64,

    /// Connections the kernel queues while they wait to be accepted. A burst of reconnects
    /// beyond it costs each dropped client a one-second retry (the OS caps it at somaxconn).
    #[arg(long, env = "CHINWAG_LISTEN_BACKLOG", default_value_t = 4096)]
    pub listen_backlog: i32,

    /// Seconds a client has to send its complete request head (the WebSocket handshake
    /// included); slower ones are dropped, so half-sent requests cannot hold sockets.
    #[arg(long, env = "CHINWAG_HANDSHAKE_TIMEOUT_SECS", default_value_t = 5)]
    pub handshake_timeout_secs: u64,

    /// The origin people open the app at (`https://chat.example.com`): scheme, host and
    /// port, compared exactly with the `Origin` of every socket upgrade and state-changing
    /// browser request. Unset, a server bound to loopback accepts only pages at its own
    /// loopback address (development); one bound elsewhere refuses browsers' pages not listed
    /// in --allowed-origin, since it cannot tell its own pages from a DNS-rebinding one.
    #[arg(long, env = "CHINWAG_PUBLIC_ORIGIN")]
    pub public_origin: Option<Origin>,

    /// Another origin (e.g. `http://127.0.0.1:8081`, `trunk serve`) whose pages may open
    /// sockets and send state-changing requests, compared exactly like --public-origin.
    /// Repeat for more.
    #[arg(
        long = "allowed-origin",
        env = "CHINWAG_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<Origin>,

    /// HTTP worker threads; 0 means one per CPU core.
    #[arg(long, env = "CHINWAG_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// Bytes of recent messages held in memory, over all rooms, so that resumes and
    /// long-polls of the last few seconds skip the store. One room holds at most a sixteenth;
    /// the rooms published to least recently are forgotten first. 64 MiB by default.
    #[arg(long, env = "CHINWAG_RECENT_TAIL_BYTES", default_value_t = crate::delivery::recent::DEFAULT_BUDGET_BYTES)]
    pub recent_tail_bytes: usize,

    /// Up to this many people a room's presence is listed whole: the `presence` frame after
    /// a join names everyone, and each arrival and departure is its own `user_joined` /
    /// `user_left`. Above it the room is big: the frame carries the count and the first
    /// this-many names (the rest page over `GET /api/rooms/{room}/presence?after=&limit=`),
    /// and changes go out as one `presence_diff` per `--presence-diff-ms`. Without it a
    /// crowd of N arriving costs N² frames.
    #[arg(long, env = "CHINWAG_PRESENCE_LIST_MAX", default_value_t = BigRooms::DEFAULT_LIST_MAX)]
    pub presence_list_max: usize,

    /// Milliseconds a big room's arrivals and departures are gathered before they go out as
    /// one `presence_diff` (the window starts at the first change).
    #[arg(long, env = "CHINWAG_PRESENCE_DIFF_MS", default_value_t = 1_000)]
    pub presence_diff_ms: u64,

    /// Seconds a graceful shutdown waits for connections to finish before dropping them.
    #[arg(long, env = "CHINWAG_SHUTDOWN_TIMEOUT_SECS", default_value_t = 5)]
    pub shutdown_timeout_secs: u64,
    /// Run as one node of a cluster on this Redis (`redis://HOST:PORT`): Redis becomes the
    /// message log, the fan-out between nodes and the presence list. Without it the node is
    /// self-contained (SQLite at `--db`, in-process fan-out).
    ///
    /// A message is confirmed once Redis has run its append, so what a confirmation survives
    /// is Redis's persistence setting. AOF with `appendfsync always`: everything, power cuts
    /// included. `everysec`: a Redis crash, but an OS crash or power cut of the Redis host
    /// loses the last second or two. `no`: a Redis crash, but an OS crash or power cut loses
    /// what the kernel had not yet written back (up to ~30 s on Linux). AOF off: a Redis
    /// restart loses every message since the last RDB snapshot, all of them without one; the
    /// node warns at start and `chinwag_redis_aof_enabled` reads 0. Confirmations wait for
    /// replicas only with `--redis-wait-replicas`; without it, a failover may lose the newest
    /// messages.
    #[arg(
        long,
        env = "CHINWAG_REDIS",
        global = true,
        conflicts_with = "redis_cluster"
    )]
    pub redis: Option<String>,

    /// Run as one node of a cluster on this Redis Cluster, named by some of its nodes
    /// (`redis://HOST:PORT,redis://HOST:PORT,...`; any reachable one will do, the rest of the
    /// cluster is learned from it). Like `--redis`, with the rooms spread over the cluster's
    /// shards: each room's log, presence and fan-out live on the master of its slot, and a
    /// message is published on its room's shard only (sharded pub/sub, Redis 7 or later).
    #[arg(
        long,
        env = "CHINWAG_REDIS_CLUSTER",
        global = true,
        value_delimiter = ','
    )]
    pub redis_cluster: Vec<String>,

    /// Redis engine only: confirm a message (and an edit or a deletion) only once this many
    /// replicas of its master have it (Redis `WAIT`), so a failover to one of them loses no
    /// confirmed message. While fewer replicas answer within `--redis-timeout-ms`, sends are
    /// answered `unavailable` and retried by clients; the message may already be stored, and
    /// its retry is then confirmed without a duplicate. 0 (the default) confirms once the
    /// master has it.
    #[arg(long, env = "CHINWAG_REDIS_WAIT_REPLICAS", default_value_t = 0)]
    pub redis_wait_replicas: u32,

    /// Redis engine only: records kept per room, approximately (streams are trimmed with
    /// `MAXLEN ~`, in whole blocks). Older ones leave history and resume.
    #[arg(long, env = "CHINWAG_HISTORY_MAX_LEN", default_value_t = 100_000)]
    pub history_max_len: u64,

    /// Redis engine only: milliseconds each Redis command may take before the node gives up
    /// on it (a send is then answered `unavailable`) and counts itself not ready.
    #[arg(long, env = "CHINWAG_REDIS_TIMEOUT_MS", default_value_t = 2_000)]
    pub redis_timeout_ms: u64,

    /// This node's name in cluster presence and the `X-Chinwag-Node` response header;
    /// unique per running node. Default: made up at start.
    #[arg(long, env = "CHINWAG_NODE_ID")]
    pub node_id: Option<String>,

    /// Address of a reverse proxy (e.g. the load balancer) whose `X-Forwarded-For` is
    /// believed: requests from it are limited and logged by the client address it forwards.
    /// Repeat for more. Requests from anywhere else are judged by their own address.
    #[arg(
        long = "trusted-proxy",
        env = "CHINWAG_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Warning lines per client address and minute for each kind of refusal it causes
    /// (cross-site origin, connection caps, socket rate); the rest are counted and summed up
    /// in one line when the minute is over, so a client repeating a refused request cannot
    /// flood the log.
    #[arg(long, env = "CHINWAG_LOG_WARNINGS_PER_PEER", default_value_t = 5)]
    pub log_warnings_per_peer: u32,

    /// Client addresses whose warnings are counted one by one; beyond it (a crowd of
    /// addresses within one minute) new addresses share one budget. Bounds the table at
    /// about 100 bytes per address.
    #[arg(long, env = "CHINWAG_LOG_PEERS_TRACKED", default_value_t = 4096)]
    pub log_peers_tracked: usize,

    /// How log lines are written to stderr: `text` for people, `json` (one object per line,
    /// with `timestamp`, `level`, `target` and `fields`) for log shippers.
    #[arg(long, env = "CHINWAG_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Whether people may chat without an account. `off`: every socket, poll and API call
    /// needs a session, an access token or a JWT (401 `unauthenticated` without one); the
    /// page itself, sign-up and sign-in stay open.
    #[arg(long, env = "CHINWAG_GUESTS", default_value = "on", value_parser = on_off, action = clap::ArgAction::Set)]
    pub guests: bool,

    /// Tells the server it is reached over TLS (directly or through a proxy that terminates
    /// it), so the session cookie gets `Secure` and never travels in clear text.
    #[arg(long, env = "CHINWAG_TLS_COOKIES")]
    pub tls_cookies: bool,

    /// Accounts one client address may create per hour (a burst of this many, then one per
    /// hour / N); over it, sign-up answers 429 `rate_limited` with `Retry-After`.
    #[arg(long, env = "CHINWAG_SIGN_UPS_PER_HOUR", default_value_t = 20)]
    pub sign_ups_per_hour: u32,

    /// Seconds after posting during which an author may still edit a message; 0 turns
    /// editing off. Deleting one's own message is always allowed.
    #[arg(long, env = "CHINWAG_EDIT_WINDOW_SECS", default_value_t = 900)]
    pub edit_window_secs: u64,

    /// Days a browser session lasts after sign-in.
    #[arg(long, env = "CHINWAG_SESSION_DAYS", default_value_t = 30)]
    pub session_days: u64,

    /// Accept JWTs signed with this HMAC secret (HS256; at least 32 bytes). Prefer the
    /// variable to the flag: a flag is visible in the process list.
    #[arg(long, env = "CHINWAG_JWT_HS256_SECRET", hide_env_values = true)]
    pub jwt_hs256_secret: Option<String>,

    /// Accept JWTs signed by the private half of this PEM public key; its type picks the
    /// algorithm (RSA: RS256, P-256: ES256, Ed25519: EdDSA).
    #[arg(long, env = "CHINWAG_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<PathBuf>,
}

/// Reads `on`/`off` (and `true`/`false`).
fn on_off(raw: &str) -> Result<bool, String> {
    match raw {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        _ => Err(format!("{raw:?} is not on or off")),
    }
}

/// `--sqlite-sync`'s values. The mode itself belongs to the store; only its spelling on the
/// command line lives here.
impl ValueEnum for SyncMode {
    fn value_variants<'a>() -> &'a [Self] {
        &[Self::Full, Self::Normal]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self {
            Self::Full => "confirm after the WAL is fsynced: survives power cuts (default)",
            Self::Normal => {
                "confirm after the WAL write: survives a process crash, not a power cut"
            }
        };
        Some(PossibleValue::new(self.name()).help(help))
    }
}

impl Config {
    /// The Redis the engine runs on: `--redis`, or `--redis-cluster`'s seeds; `None` for the
    /// embedded engine.
    pub fn redis_target(&self) -> Option<RedisTarget> {
        match (&self.redis, self.redis_cluster.is_empty()) {
            (Some(url), _) => Some(RedisTarget::One(url.clone())),
            (None, false) => Some(RedisTarget::Cluster(self.redis_cluster.clone())),
            (None, true) => None,
        }
    }

    /// This node's id: `--node-id`, or one made from the clock and the process id.
    pub fn node_id(&self) -> String {
        self.node_id.clone().unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.subsec_nanos());
            format!("node-{:x}-{:x}", std::process::id(), nanos)
        })
    }

    /// The budget of new rooms per address and per connection.
    pub fn new_room_limits(&self) -> NewRoomLimits {
        NewRoomLimits {
            per_minute: self.new_rooms_per_minute,
            burst: self.new_rooms_burst,
            per_connection: self.new_rooms_per_connection,
        }
    }

    /// The identity part of the configuration.
    pub fn auth_settings(&self) -> crate::auth::AuthSettings {
        crate::auth::AuthSettings {
            guests: self.guests,
            sign_ups_per_hour: self.sign_ups_per_hour,
            secure_cookies: self.tls_cookies,
            session_ttl: Duration::from_secs(self.session_days.max(1).saturating_mul(86_400)),
        }
    }

    /// When a room counts as big, and how often its presence diffs go out.
    pub fn big_rooms(&self) -> BigRooms {
        BigRooms {
            list_max: self.presence_list_max.max(1),
            diff_every: Duration::from_millis(self.presence_diff_ms.max(1)),
        }
    }

    /// How long after posting an author may edit.
    pub fn edit_window(&self) -> Duration {
        Duration::from_secs(self.edit_window_secs)
    }

    /// The JWT verifier the flags ask for, if any.
    pub fn jwt_verifier(
        &self,
    ) -> Result<Option<crate::auth::jwt::JwtVerifier>, crate::auth::jwt::JwtKeyError> {
        use crate::auth::jwt::JwtVerifier;
        match (&self.jwt_hs256_secret, &self.jwt_public_key) {
            (Some(_), Some(_)) => Err(crate::auth::jwt::JwtKeyError::Both),
            (Some(secret), None) => JwtVerifier::hs256(secret.as_bytes()).map(Some),
            (None, Some(path)) => JwtVerifier::public_key(path).map(Some),
            (None, None) => Ok(None),
        }
    }

    /// The per-connection part of the configuration.
    pub fn session_limits(&self) -> SessionLimits {
        SessionLimits {
            heartbeat_interval: Duration::from_secs(self.heartbeat_secs.max(1)),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs.max(1)),
            outbox_frames: self.outbox_frames.max(1),
            outbox_bytes: self.outbox_bytes.max(1),
            max_rooms: self.max_rooms_per_connection.max(1),
            rate_per_sec: self.rate_per_sec,
            rate_burst: self.rate_burst,
            rate_abuse_allowance: self.rate_abuse_allowance,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn parse(args: &[&str]) -> Config {
        Config::try_parse_from(std::iter::once("chinwag").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn guests_are_on_unless_turned_off_and_the_flag_takes_a_value() {
        assert!(parse(&[]).guests);
        assert!(!parse(&["--guests", "off"]).guests);
        assert!(!parse(&["--guests=off"]).guests);
        assert!(parse(&["--guests", "on"]).guests);
        assert!(Config::try_parse_from(["chinwag", "--guests", "maybe"]).is_err());
    }

    #[test]
    fn account_commands_take_the_store_flags_before_or_after_them() {
        let config = parse(&["accounts", "grant-admin", "ada", "--db", "x.db"]);
        assert_eq!(config.db, PathBuf::from("x.db"));
        assert!(matches!(
            config.command,
            Some(Command::Accounts(AccountsCommand::GrantAdmin { ref name })) if name == "ada"
        ));
        let config = parse(&["--redis", "redis://r", "accounts", "revoke-admin", "bob"]);
        assert_eq!(config.redis.as_deref(), Some("redis://r"));
        assert!(parse(&[]).command.is_none(), "no command: serve");
    }

    #[test]
    fn a_cluster_is_named_by_comma_separated_seeds_before_or_after_a_command() {
        let seeds = "redis://a:7000,redis://b:7001";
        let expected = Some(RedisTarget::Cluster(vec![
            "redis://a:7000".to_owned(),
            "redis://b:7001".to_owned(),
        ]));
        let config = parse(&["--redis-cluster", seeds, "accounts", "grant-admin", "ada"]);
        assert_eq!(config.redis_target(), expected);
        assert!(
            config.command.is_some(),
            "the command is not taken for a seed"
        );
        let config = parse(&["export", "--redis-cluster", seeds]);
        assert_eq!(config.redis_target(), expected);
        assert_eq!(
            parse(&[]).redis_target(),
            None,
            "no Redis: the embedded engine"
        );
        assert!(
            Config::try_parse_from(["chinwag", "--redis", "redis://r", "--redis-cluster", seeds])
                .is_err(),
            "one Redis or a cluster, not both"
        );
    }

    #[test]
    fn the_new_account_commands_export_and_import_parse_with_their_store_flags() {
        let config = parse(&["accounts", "create", "ada", "--admin", "--db", "x.db"]);
        assert!(matches!(
            config.command,
            Some(Command::Accounts(AccountsCommand::Create { ref name, admin: true })) if name == "ada"
        ));
        let config = parse(&["accounts", "list", "--query", "ad"]);
        assert!(matches!(
            config.command,
            Some(Command::Accounts(AccountsCommand::List { query: Some(ref q) })) if q == "ad"
        ));
        let config = parse(&["export", "--redis", "redis://r"]);
        assert!(matches!(config.command, Some(Command::Export)));
        assert_eq!(config.redis.as_deref(), Some("redis://r"));
        let config = parse(&["import", "--db", "new.db"]);
        assert!(matches!(config.command, Some(Command::Import)));
        assert_eq!(config.db, PathBuf::from("new.db"));
        assert!(Config::try_parse_from(["chinwag", "accounts", "create"]).is_err());
    }

    #[test]
    fn sqlite_confirms_after_the_fsync_unless_told_otherwise() {
        assert_eq!(parse(&[]).sqlite_sync, SyncMode::Full);
        assert_eq!(
            parse(&["--sqlite-sync", "normal"]).sqlite_sync,
            SyncMode::Normal
        );
        assert_eq!(
            parse(&["--sqlite-sync", "full"]).sqlite_sync,
            SyncMode::Full
        );
        assert!(Config::try_parse_from(["chinwag", "--sqlite-sync", "off"]).is_err());
    }
}
