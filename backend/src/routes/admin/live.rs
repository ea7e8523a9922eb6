//! `GET /api/admin/live`: the console's live numbers as server-sent events.
//!
//! The stream opens with one `snapshot` event (a [`LiveSnapshot`]: this node's last
//! [`LIVE_WINDOW_SECS`](chinwag_shared::console::LIVE_WINDOW_SECS) seconds and every node),
//! then sends a `tick` event (a [`LiveTick`]) each second. Each watcher holds a connection
//! slot of its address like a socket does, and reads from a channel that keeps a bounded
//! number of ticks: one that cannot keep up is dropped (its stream ends; the console
//! reconnects and starts from a fresh snapshot). The stream ends when the server starts
//! shutting down, so it never holds a graceful shutdown up.

use super::{super::AppState, SiteAdmin};
use crate::routes::describe::{
    responses::{Forbidden, TooManyRequests, Unauthenticated},
    tag,
};
use crate::{admission::Permit, routes::error::ApiFailure};
use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{CACHE_CONTROL, CONTENT_TYPE},
    web::{self, Bytes},
};
use chinwag_shared::console::{LiveSnapshot, LiveTick};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// One watcher's place in its stream.
enum Watch {
    /// Nothing sent yet: the snapshot goes first.
    Opening(Box<LiveSnapshot>, Watcher),
    /// Sending ticks.
    Ticking(Watcher),
}

/// What a watcher holds while it watches.
struct Watcher {
    ticks: broadcast::Receiver<Arc<LiveTick>>,
    shutdown: CancellationToken,
    _slot: Permit,
}

/// One server-sent event: its name, and its data as one line of JSON.
fn event(name: &str, data: &impl Serialize) -> Bytes {
    // The wire types always serialize; an empty object stands in if one ever did not.
    let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!("event: {name}\ndata: {json}\n\n"))
}

/// The live numbers as server-sent events: a `snapshot` (`LiveSnapshot`: the last 15 minutes
/// and every node), then a `tick` (`LiveTick`) each second (site admins).
#[utoipa::path(
    get,
    path = "/api/admin/live",
    operation_id = "admin_live",
    tag = tag::CONSOLE,
    responses(
        (status = 200, description = "`event: snapshot` with a `LiveSnapshot`, then `event: tick` with a `LiveTick` each second.", content_type = "text/event-stream", body = LiveTick),
        Unauthenticated, Forbidden, TooManyRequests,
    )
)]
pub async fn live(
    _admin: SiteAdmin,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let address = state.trusted_proxies.client_ip(&request);
    let slot = state
        .admission
        .admit(address)
        .map_err(|refused| crate::routes::request_limit::refusal(refused, "connections"))?;
    // Subscribed before the snapshot is taken: a second sampled in between is in both,
    // and the console keeps the later copy.
    let ticks = state.live.subscribe();
    let snapshot = state.live.snapshot(state.hub.nodes().this_node());
    let watcher = Watcher {
        ticks,
        shutdown: state.shutdown.clone(),
        _slot: slot,
    };
    let events = futures_util::stream::unfold(
        Some(Watch::Opening(Box::new(snapshot), watcher)),
        |watch| async move {
            match watch? {
                Watch::Opening(snapshot, watcher) => Some((
                    Ok::<_, actix_web::Error>(event("snapshot", &*snapshot)),
                    Some(Watch::Ticking(watcher)),
                )),
                Watch::Ticking(mut watcher) => {
                    let tick = tokio::select! {
                        () = watcher.shutdown.cancelled() => return None,
                        tick = watcher.ticks.recv() => tick,
                    };
                    match tick {
                        Ok(tick) => {
                            Some((Ok(event("tick", &*tick)), Some(Watch::Ticking(watcher))))
                        }
                        // Fell behind (or the sampler stopped): dropped, not buffered.
                        Err(_) => None,
                    }
                }
            }
        },
    );
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/event-stream"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        // Proxies that buffer responses (nginx) would hold the ticks back.
        .insert_header(("x-accel-buffering", "no"))
        .streaming(events))
}
