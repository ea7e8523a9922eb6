//! The operators' console's routes, `/api/admin/…`: site admins only.
//!
//! Every handler takes a [`SiteAdmin`] as its first argument, and that extractor is the one
//! place the rule is judged: 401 `unauthenticated` without a sign-in (or with a credential
//! that does not check out), 403 `forbidden` for anyone signed in who is not a site admin
//! (granted in the directory, or a JWT with the `admin` role). A handler cannot forget it,
//! and it runs before anything else of the request is read, so a stranger learns nothing
//! about which names or rooms exist.
//!
//! - `GET /api/admin/live`: the live numbers as server-sent events ([`live`]);
//! - `GET /api/admin/rooms?limit=&cursor=`: rooms, busiest first ([`rooms`]);
//! - `GET /api/admin/accounts?q=&limit=&after=`, and per account `…/disabled`, `…/sessions`,
//!   `…/admin`, `…/connections` ([`accounts`]);
//! - `GET /api/admin/sanctions` and `GET /api/admin/audit?limit=&before=` ([`site`]).
//!
//! Every change lands in the site's audit log.

pub mod accounts;
pub mod live;
pub mod rooms;
pub mod site;

use super::{AppState, Router, account::signed_in, error::ApiFailure};
use crate::auth::{Identity, Principal};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chinwag_shared::ErrorCode;
use futures_util::future::LocalBoxFuture;
use std::sync::Arc;

/// The caller of an admin route, proved a site admin.
pub struct SiteAdmin(pub Arc<Identity>);

impl FromRequest for SiteAdmin {
    type Error = ApiFailure;
    type Future = LocalBoxFuture<'static, Result<Self, ApiFailure>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let Some(state) = request.app_data::<web::Data<AppState>>() else {
                return Err(ApiFailure::forbidden(
                    ErrorCode::Forbidden,
                    "site admins only",
                ));
            };
            let identity = signed_in(&request, state).await?;
            let principal = Principal::Account(Arc::clone(&identity));
            if state.hub.is_site_admin(&principal).await? {
                Ok(SiteAdmin(identity))
            } else {
                Err(ApiFailure::forbidden(
                    ErrorCode::Forbidden,
                    "only site admins may use the console",
                ))
            }
        })
    }
}

/// Registers the console's routes.
pub fn register(router: &mut Router<'_>) {
    router
        .get("/api/admin/live", live::live)
        .get("/api/admin/rooms", rooms::rooms)
        .get("/api/admin/accounts", accounts::search)
        .put("/api/admin/accounts/{name}/disabled", accounts::disable)
        .delete("/api/admin/accounts/{name}/disabled", accounts::enable)
        .delete(
            "/api/admin/accounts/{name}/sessions",
            accounts::sign_out_everywhere,
        )
        .put("/api/admin/accounts/{name}/admin", accounts::grant_admin)
        .delete("/api/admin/accounts/{name}/admin", accounts::revoke_admin)
        .get(
            "/api/admin/accounts/{name}/connections",
            accounts::connections,
        )
        .get("/api/admin/sanctions", site::sanctions)
        .get("/api/admin/audit", site::audit);
}
