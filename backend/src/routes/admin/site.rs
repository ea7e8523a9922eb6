//! The site's own moderation in the console: `GET /api/admin/sanctions` (the site-wide mutes
//! and bans in force, newest first; imposing and lifting them stays
//! `PUT|DELETE /api/site/{mutes|bans}/{username}`) and `GET /api/admin/audit?limit=&before=`
//! (the site's audit log, newest first, paged like a room's).

use super::{super::AppState, SiteAdmin};
use crate::routes::{api::page_limit, error::ApiFailure, moderation::AuditQuery};
use actix_web::{HttpResponse, web};

/// `GET /api/admin/sanctions`.
pub async fn sanctions(
    _admin: SiteAdmin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    Ok(HttpResponse::Ok().json(state.hub.site_sanctions().await?))
}

/// `GET /api/admin/audit`.
pub async fn audit(
    _admin: SiteAdmin,
    query: web::Query<AuditQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let limit = page_limit(query.limit)?;
    let entries = state.hub.site_audit_log(query.before, limit).await?;
    Ok(HttpResponse::Ok().json(entries))
}
