//! `GET /healthz`: 200 while the process serves HTTP. `GET /metrics`: Prometheus text.

use super::AppState;
use actix_web::{HttpResponse, web};

/// Liveness probe.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

/// Every metric in the OpenMetrics text format, which Prometheus scrapes.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.hub.metrics().render())
}
