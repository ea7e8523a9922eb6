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

use super::{AppState, account::signed_in, error::ApiFailure};
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
pub fn configure(cfg: &mut web::ServiceConfig) {
    let account = "/api/admin/accounts/{name}";
    cfg.route("/api/admin/live", web::get().to(live::live))
        .route("/api/admin/rooms", web::get().to(rooms::rooms))
        .route("/api/admin/accounts", web::get().to(accounts::search))
        .route(
            &format!("{account}/disabled"),
            web::put().to(accounts::disable),
        )
        .route(
            &format!("{account}/disabled"),
            web::delete().to(accounts::enable),
        )
        .route(
            &format!("{account}/sessions"),
            web::delete().to(accounts::sign_out_everywhere),
        )
        .route(
            &format!("{account}/admin"),
            web::put().to(accounts::grant_admin),
        )
        .route(
            &format!("{account}/admin"),
            web::delete().to(accounts::revoke_admin),
        )
        .route(
            &format!("{account}/connections"),
            web::get().to(accounts::connections),
        )
        .route("/api/admin/sanctions", web::get().to(site::sanctions))
        .route("/api/admin/audit", web::get().to(site::audit));
}
