//! The site's own moderation in the console: `GET /api/admin/sanctions` (the site-wide mutes
//! and bans in force, newest first; imposing and lifting them stays
//! `PUT|DELETE /api/site/{mutes|bans}/{username}`) and `GET /api/admin/audit?limit=&before=`
//! (the site's audit log, newest first, paged like a room's).

use super::{super::AppState, SiteAdmin};
use crate::routes::describe::{
    responses::{BadRequest, Forbidden, Unauthenticated, Unavailable},
    tag,
};
use crate::routes::{api::page_limit, error::ApiFailure, moderation::AuditQuery};
use actix_web::{HttpResponse, web};
use chinwag_shared::moderation::{AuditEntry, SanctionView};

/// Site-wide mutes and bans in force, newest first (site admins).
#[utoipa::path(
    get,
    path = "/api/admin/sanctions",
    operation_id = "admin_site_sanctions",
    tag = tag::CONSOLE,
    responses(
        (status = 200, description = "The sanctions.", body = Vec<SanctionView>),
        Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn sanctions(
    _admin: SiteAdmin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    Ok(HttpResponse::Ok().json(state.hub.site_sanctions().await?))
}

/// The site's audit log, newest first (site admins).
#[utoipa::path(
    get,
    path = "/api/admin/audit",
    operation_id = "admin_site_audit",
    tag = tag::CONSOLE,
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries.", body = Vec<AuditEntry>),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn audit(
    _admin: SiteAdmin,
    query: web::Query<AuditQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let limit = page_limit(query.limit)?;
    let entries = state.hub.site_audit_log(query.before, limit).await?;
    Ok(HttpResponse::Ok().json(entries))
}
