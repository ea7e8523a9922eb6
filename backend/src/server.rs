//! Assembling and running a server: engine, HTTP app, graceful shutdown.
//!
//! [`serve`] takes an already bound listener (so tests and `--bind 127.0.0.1:0` know the port
//! before anything runs) and a future that resolves when the server should stop. Shutdown runs
//! in a fixed order: sessions close with 1001 and are awaited, the HTTP server stops accepting
//! and drains, then the store commits what it accepted. Only then does `serve` return.

use crate::{
    admission::Admission,
    auth::Auth,
    cluster::{self, ClusterConfig},
    config::Config,
    console::live::Live,
    delivery::rooms::Rooms,
    fanout::{ChatPublisher, Fanout, local::LocalFanout},
    hub::{Directory, Hub, nodes::LocalNode, presence::LocalPresence},
    logs::PeerWarnings,
    metrics::Metrics,
    routes::{
        self, AppState,
        client_ip::TrustedProxies,
        origin::OriginPolicy,
        request_limit::{RequestLimits, count_connection},
    },
    session::SessionContext,
    store::{StoreError, sqlite::SqliteStore},
};
use actix_web::{App, HttpResponse, web};
use std::{future::Future, net::TcpListener, path::PathBuf, sync::Arc, time::Duration};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// Why a server could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The database could not be opened or created, or the Redis URL is not one.
    #[error("cannot open the store: {0}")]
    Store(#[from] StoreError),
    /// The JWT key could not be loaded.
    #[error("jwt key: {0}")]
    JwtKey(#[from] crate::auth::jwt::JwtKeyError),
    /// The password hasher could not start.
    #[error("password hashing: {0}")]
    Passwords(#[from] crate::auth::password::PasswordError),
    /// The HTTP server failed.
    #[error("http server: {0}")]
    Io(#[from] std::io::Error),
}

/// What the `chinwag` binary prints to stdout, then its address, once listening: the line
/// tests and tools wait for to learn the port of `--bind 127.0.0.1:0`.
pub const LISTENING_ON: &str = "chinwag listening on http://";

/// Runs Chinwag on `listener` until `shutdown` resolves, then shuts down gracefully.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + 'static,
) -> Result<(), ServeError> {
    let node = config.node_id();
    // Stops the engine's background tasks, after the sessions have closed.
    let engine_stop = CancellationToken::new();
    let metrics = Arc::new(Metrics::default());
    let jwt = config.jwt_verifier()?;
    let hub = match config.redis_target() {
        Some(target) => {
            let cluster = ClusterConfig {
                target,
                wait_replicas: config.redis_wait_replicas,
                node: Arc::from(node.as_str()),
                history_max_len: config.history_max_len,
                timeout: Duration::from_millis(config.redis_timeout_ms.max(1)),
                recent_tail_bytes: config.recent_tail_bytes,
            };
            cluster::redis_hub(&cluster, config.new_room_limits(), metrics, &engine_stop)?
        }
        None => embedded_hub(&config, metrics)?.with_nodes(Arc::new(LocalNode::new(node.as_str()))),
    };
    let hub = Arc::new(
        hub.with_edit_window(config.edit_window())
            .with_big_rooms(config.big_rooms()),
    );
    tokio::spawn(Arc::clone(&hub).send_presence_diffs(engine_stop.clone()));
    let bound = listener.local_addr()?;
    let origin_policy = OriginPolicy::new(
        config.public_origin.clone(),
        config.allowed_origins.clone(),
        bound,
    );
    origin_policy.describe(bound);
    if let Some(jwt) = &jwt {
        tracing::info!(algorithm = ?jwt.algorithm(), "accepting JWTs");
    }
    let auth = Arc::new(Auth::new(
        Arc::clone(hub.accounts()),
        jwt,
        config.auth_settings(),
    )?);
    let live = Arc::new(Live::new());
    tokio::spawn(Arc::clone(&live).run(Arc::clone(&hub), engine_stop.clone()));
    let peer_warnings = Arc::new(PeerWarnings::new(
        config.log_warnings_per_peer,
        config.log_peers_tracked,
    ));
    let state = web::Data::new(AppState {
        hub: Arc::clone(&hub),
        session_context: Arc::new(SessionContext {
            limits: config.session_limits(),
            rate: config.session_limits().rate(),
            auth: Arc::clone(&auth),
            peer_warnings: Arc::clone(&peer_warnings),
            doorbells: Default::default(),
        }),
        auth,
        shutdown: CancellationToken::new(),
        sessions: TaskTracker::new(),
        admission: Admission::new(config.max_connections, config.max_connections_per_ip),
        origin_policy,
        post_limits: routes::post_limit::PostLimits::new(config.session_limits()),
        trusted_proxies: TrustedProxies(config.trusted_proxies.clone()),
        request_limits: RequestLimits::new(
            config.max_requests_per_ip,
            config.max_long_polls_per_ip,
            Duration::from_secs(config.body_timeout_secs.max(1)),
        ),
        peer_warnings,
        live,
    });
    // Every TCP connection of an address is either a socket or long-poll (capped per
    // address) or a plain request (capped in flight), so together they bound its connections.
    let tcp_connections = Arc::new(Admission::new(
        usize::MAX,
        config
            .max_connections_per_ip
            .saturating_add(config.max_requests_per_ip),
    ));
    let trusted = config.trusted_proxies.clone();
    let static_dir = config
        .static_dir
        .is_dir()
        .then(|| config.static_dir.clone());
    if static_dir.is_none() {
        tracing::warn!(dir = %config.static_dir.display(), "no built frontend; `/` explains how to build it");
    }
    let read_page = |page: &str| {
        static_dir
            .as_ref()
            .and_then(|dir| std::fs::read_to_string(dir.join(page)).ok())
            .unwrap_or_default()
    };
    let (app_page, console_page) = (read_page("index.html"), read_page(CONSOLE_PAGE));
    let csp = routes::security::content_security_policy(&[&app_page, &console_page, SEED_PAGE]);
    // Hashes and keywords only: always a valid header value.
    let page_policy = routes::security::PagePolicy(
        actix_web::http::header::HeaderValue::from_str(&csp).unwrap_or_else(|_| {
            actix_web::http::header::HeaderValue::from_static("default-src 'self'")
        }),
    );
    let app_state = state.clone();
    let peer_warnings = Arc::clone(&state.peer_warnings);
    let peer_patience = Duration::from_secs(config.idle_timeout_secs.max(1));
    let mut http = actix_web::HttpServer::new(move || {
        App::new()
            .wrap(
                actix_web::middleware::DefaultHeaders::new().add(("x-chinwag-node", node.as_str())),
            )
            .app_data(page_policy.clone())
            .wrap(actix_web::middleware::from_fn(
                routes::security::add_headers,
            ))
            .wrap(actix_web::middleware::from_fn(
                routes::origin::guard_unsafe_methods,
            ))
            .wrap(actix_web::middleware::from_fn(
                routes::request_limit::limit_requests,
            ))
            .wrap(actix_web::middleware::from_fn(
                routes::error::count_refusals,
            ))
            // Outermost: the middleware's futures live in a box for as long as a request
            // is handled, not inline in every connection's task. A task is sized once, for
            // the largest future it may hold, and keeps that size for the connection's life,
            // a WebSocket's too; inline, the stack above made each one 128 B larger.
            .wrap_fn(|request, service| Box::pin(actix_web::dev::Service::call(service, request)))
            .app_data(app_state.clone())
            .configure(routes::configure)
            .configure(|cfg| serve_frontend(cfg, static_dir.clone()))
    })
    .on_connect(move |connection, data| {
        abort_unread_after(connection, peer_patience);
        let peer = connection
            .downcast_ref::<actix_web::rt::net::TcpStream>()
            .and_then(|tcp| tcp.peer_addr().ok())
            .map(|peer| peer.ip());
        count_connection(&tcp_connections, &trusted, peer, data);
    })
    .max_connections(connections_per_worker(&config))
    .disable_signals()
    .client_request_timeout(Duration::from_secs(config.handshake_timeout_secs.max(1)))
    .shutdown_timeout(config.shutdown_timeout_secs);
    if config.workers > 0 {
        http = http.workers(config.workers);
    }
    let http = http.listen(listener)?.run();
    let heartbeat = actix_web::rt::spawn({
        let context = Arc::clone(&state.session_context);
        async move {
            context
                .doorbells
                .beat(context.limits.heartbeat_interval)
                .await;
        }
    });
    let stopper = actix_web::rt::spawn(stop_on(shutdown, state, http.handle()));
    let served = http.await;
    stopper.abort();
    heartbeat.abort();
    engine_stop.cancel();
    hub.close().await;
    peer_warnings.flush();
    tracing::info!("stopped");
    Ok(served?)
}

/// The single-node engine: SQLite log, in-process fan-out, local presence.
fn embedded_hub(config: &Config, metrics: Arc<Metrics>) -> Result<Hub, StoreError> {
    let rooms = Arc::new(
        Rooms::new(config.recent_tail_bytes).with_latency(metrics.delivery_latency.clone()),
    );
    // One local fan-out, seen as two seams: the store publishes chat records to it, the hub
    // and presence publish events.
    let local = Arc::new(LocalFanout::new(Arc::clone(&rooms)));
    let store = Arc::new(SqliteStore::open(
        &config.db,
        config.sqlite_sync,
        Arc::clone(&local) as Arc<dyn ChatPublisher>,
    )?);
    let fanout: Arc<dyn Fanout> = local;
    let presence = Arc::new(LocalPresence::new(Arc::clone(&rooms), Arc::clone(&fanout)));
    tracing::info!(
        db = %config.db.display(),
        sqlite_sync = store.sync_mode().name(),
        "store open"
    );
    let new_rooms = config.new_room_limits();
    let accounts = Arc::new(store.directory(&config.db)?);
    let moderation = Arc::new(store.moderation(&config.db)?);
    Ok(Hub::new(
        rooms,
        store,
        fanout,
        presence,
        metrics,
        new_rooms,
        Directory {
            accounts,
            moderation,
        },
    ))
}

/// Tells the kernel to abort a connection whose peer has left sent data unacknowledged, or
/// kept its receive window shut, for `patience` (`TCP_USER_TIMEOUT`).
///
/// A client that stops reading is closed as a slow consumer, but the bytes already written to
/// its socket stay queued, and actix would go on trying to flush them for ever, keeping the
/// connection, its descriptor and up to a few MB of kernel buffers alive outside every cap.
/// The kernel's own timer ends that without a duplicate descriptor or a task per socket.
fn abort_unread_after(connection: &dyn std::any::Any, patience: Duration) {
    let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    if let Err(err) = socket2::SockRef::from(tcp).set_tcp_user_timeout(Some(patience)) {
        tracing::debug!(error = %err, "cannot set TCP_USER_TIMEOUT");
    }
}

/// Descriptors kept out of the connection budget: SQLite readers and writer, Redis links,
/// the listener, the runtime's own, and room to spare.
const RESERVED_DESCRIPTORS: u64 = 256;

/// How many connections each HTTP worker accepts before it stops accepting: what the
/// descriptor limit allows (raised to its hard ceiling first), shared among the workers.
///
/// Past it the listener pauses and new connections wait in the kernel's backlog, instead of
/// `accept` failing, new sockets timing out and the store's reads failing for want of a
/// descriptor (under `ulimit -n 1200`, 1,300 re-polling clients did all three).
fn connections_per_worker(config: &Config) -> usize {
    let workers = match config.workers {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        workers => workers,
    };
    let descriptors = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the descriptor limit; assuming 1024");
            1024
        }
    };
    let budget = usize::try_from(descriptors.saturating_sub(RESERVED_DESCRIPTORS).max(64))
        .unwrap_or(usize::MAX);
    if budget < config.max_connections {
        tracing::warn!(
            descriptors,
            max_connections = config.max_connections,
            "the descriptor limit allows fewer connections than --max-connections; \
             accepting pauses at {budget} (raise `ulimit -n` to lift it)"
        );
    }
    (budget / workers).max(1)
}

/// Waits for `shutdown`, closes every session with 1001, then stops the HTTP server.
async fn stop_on(
    shutdown: impl Future<Output = ()>,
    state: web::Data<AppState>,
    http: actix_web::dev::ServerHandle,
) {
    shutdown.await;
    tracing::info!("shutting down: closing sessions");
    state.shutdown.cancel();
    state.session_context.doorbells.shut_down();
    state.sessions.close();
    // Sessions only queue a close frame and return, so this is quick; the bound guards
    // against a session stuck writing to a peer that stopped reading.
    let drained = tokio::time::timeout(Duration::from_secs(5), state.sessions.wait()).await;
    if drained.is_err() {
        tracing::warn!(
            left = state.sessions.len(),
            "sessions did not finish in time"
        );
    }
    http.stop(true).await;
}

/// The operators' console: a build of the browser client of its own, at this path.
const CONSOLE_PATH: &str = "/admin";

/// The console's page in the static directory (trunk builds `admin.html` into `dist/admin/`),
/// which the client files serve at [`CONSOLE_PATH`] as that directory's index.
const CONSOLE_PAGE: &str = "admin/index.html";

/// The seed lecture's plain-JS client, compiled into the binary so it is always there.
const SEED_PAGE: &str = include_str!("../static/examples/seed.html");

/// Serves the built browser client from `dir` (the chat at `/`, the console at
/// [`CONSOLE_PATH`]), or a page that says how to build it, plus the seed lecture's page at
/// `/examples/seed.html`.
fn serve_frontend(cfg: &mut web::ServiceConfig, dir: Option<PathBuf>) {
    cfg.route(
        "/examples/seed.html",
        web::get().to(|| async {
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(SEED_PAGE)
        }),
    );
    match dir {
        Some(dir) => routes::client_files::configure(cfg, dir),
        None => {
            cfg.route("/", web::get().to(frontend_missing));
            cfg.route(CONSOLE_PATH, web::get().to(frontend_missing));
        }
    }
}

async fn frontend_missing() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            "<!doctype html><title>Chinwag</title><h1>Chinwag is running</h1>\
         <p>The browser client is not built. Run <code>cargo xtask run</code>, or \
         <code>trunk build --release</code> and start with <code>--static-dir dist</code>.</p>",
        )
}
