//! Probes and metrics.
//!
//! - `GET /livez` (and `/healthz`, its older name): 200 while the process serves HTTP. A
//!   failing liveness probe means "restart me".
//! - `GET /readyz`: 200 while the node can take messages (its store answers and, on a
//!   cluster, its fan-out subscription is up); 503 while it cannot or is shutting down. A failing readiness probe means "send
//!   new clients elsewhere"; connected clients stay.
//! - `GET /metrics`: Prometheus text.

use super::AppState;
use actix_web::{HttpResponse, web};

use super::describe::tag;

/// Liveness probe: 200 while the process serves HTTP.
#[utoipa::path(
    get,
    path = "/livez",
    tag = tag::HEALTH,
    security(()),
    responses((status = 200, description = "`ok`.", body = String, content_type = "text/plain"))
)]
pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

/// The liveness probe under its older name: the same answer as `/livez`.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = tag::HEALTH,
    security(()),
    responses((status = 200, description = "`ok`.", body = String, content_type = "text/plain"))
)]
pub async fn healthz() -> HttpResponse {
    livez().await
}

/// Readiness probe: 200 while the node can take messages.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = tag::HEALTH,
    security(()),
    responses(
        (status = 200, description = "`ready`.", body = String, content_type = "text/plain"),
        (status = 503, description = "`storage unavailable` or `shutting down`: send new \
                                      clients elsewhere.", body = String,
         content_type = "text/plain"),
    )
)]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.shutdown.is_cancelled() {
        return HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("shutting down\n");
    }
    if !state.hub.ready() {
        return HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("storage unavailable\n");
    }
    HttpResponse::Ok()
        .content_type("text/plain")
        .body("ready\n")
}

/// Every metric in the OpenMetrics text format, which Prometheus scrapes.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = tag::HEALTH,
    security(()),
    responses((status = 200, description = "The metrics (listed in `docs/operations.md`).",
               body = String,
               content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8"))
)]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let metrics = state.hub.metrics();
    metrics.store_ready.set(i64::from(state.hub.ready()));
    let gauge = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
    metrics
        .long_poll_rooms
        .set(gauge(state.hub.long_poll_rooms()));
    metrics
        .recent_tail_bytes
        .set(gauge(state.hub.recent_bytes()));
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(metrics.render())
}
