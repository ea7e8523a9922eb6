//! `GET /healthz`: 200 while the process serves HTTP.

use actix_web::HttpResponse;

/// Liveness probe.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}
