//! The console's accounts: search, and per account disable / enable, sign out everywhere,
//! grant / revoke admin, and its connections. Thin doors onto [`crate::console::accounts`].
//!
//! - `GET /api/admin/accounts?q=&limit=&after=` → `[AdminAccount]`, ordered by name key;
//!   `q` is a case-blind part of the name; `limit` 50 by default, at most 200. A full page
//!   carries `Link: <…>; rel="next"`, whose `after` is the opaque key to go on from.
//! - `PUT` / `DELETE /api/admin/accounts/{name}/disabled` → 204 (disable / enable).
//! - `DELETE /api/admin/accounts/{name}/sessions` → 204 (sign out everywhere). The one
//!   route here a backend's API key with the `moderate` scope may call too (never on a site
//!   admin); every other takes [`SiteAdmin`].
//! - `PUT` / `DELETE /api/admin/accounts/{name}/admin` → 204 (grant / revoke site admin).
//! - `GET /api/admin/accounts/{name}/connections` → `[ConnectionView]` (this node's).
//!
//! An unknown name is 404 `no_such_user`; a name that is no valid name, 400.

use super::{
    super::{AppState, account::principal},
    SiteAdmin,
};
use crate::routes::describe::{
    params::AccountPath,
    responses::{BadRequest, Forbidden, NoSuchUser, Unauthenticated, Unavailable},
    tag,
};
use crate::{
    console::accounts::{self, AccountActError},
    routes::error::ApiFailure,
};
use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header::LINK},
    web,
};
use chinwag_shared::{
    ErrorCode, MAX_USERNAME_CHARS, Username,
    api_keys::ApiScope,
    console::{AdminAccount, ConnectionView},
};
use serde::Deserialize;

/// Accounts in a page unless `limit` says otherwise.
pub const DEFAULT_ACCOUNTS_PAGE: usize = 50;
/// The most accounts in a page.
pub const MAX_ACCOUNTS_PAGE: usize = 200;

impl From<AccountActError> for ApiFailure {
    fn from(err: AccountActError) -> Self {
        let detail = err.to_string();
        match err {
            AccountActError::NoSuchAccount => {
                Self::with_status(StatusCode::NOT_FOUND, ErrorCode::NoSuchUser, detail)
            }
            AccountActError::OwnAccount(_) => Self::forbidden(ErrorCode::Forbidden, detail),
            AccountActError::Auth(err) => err.into(),
            AccountActError::Act(err) => err.into(),
            AccountActError::Store(err) => err.into(),
        }
    }
}

/// The account name in the path, or 400.
fn name_of(raw: &str) -> Result<Username, ApiFailure> {
    Ok(Username::parse(raw)?)
}

/// Query of the account search.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Debug, Deserialize)]
pub struct AccountsQuery {
    /// A part of the name, in any case; every account without it.
    q: Option<String>,
    /// Accounts per page: 50 without it, at most 200.
    #[param(minimum = 1)]
    limit: Option<usize>,
    /// Where the page starts: opaque, taken from the previous page's `Link`.
    after: Option<String>,
}

/// Percent-encodes `raw` for a query string (everything but RFC 3986's unreserved bytes).
fn encode_query(raw: &str) -> String {
    raw.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// Accounts whose names hold `q`, ordered by name; a full page links the next (site admins).
#[utoipa::path(
    get,
    path = "/api/admin/accounts",
    operation_id = "admin_search_accounts",
    tag = tag::CONSOLE,
    params(AccountsQuery),
    responses(
        (status = 200, description = "A page of accounts.", body = Vec<AdminAccount>),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn search(
    _admin: SiteAdmin,
    query: web::Query<AccountsQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let limit = match query.limit {
        Some(0) => {
            return Err(ApiFailure::bad_request(
                ErrorCode::BadQuery,
                "limit must be at least 1",
            ));
        }
        Some(limit) => limit.min(MAX_ACCOUNTS_PAGE),
        None => DEFAULT_ACCOUNTS_PAGE,
    };
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > MAX_USERNAME_CHARS) {
        return Err(ApiFailure::bad_request(
            ErrorCode::BadQuery,
            format!("q is at most {MAX_USERNAME_CHARS} characters: part of a name"),
        ));
    }
    // A key is a name's skeleton: no longer than a name's few characters can make it.
    let after = query.after.as_deref();
    if after.is_some_and(|after| after.len() > 16 * MAX_USERNAME_CHARS) {
        return Err(ApiFailure::bad_request(
            ErrorCode::BadQuery,
            "after is not a key this server gave; take it from the Link header",
        ));
    }
    let found = state.hub.accounts().list_accounts(q, after, limit).await?;
    let admins = state.hub.site_admins().await?;
    let connections = state.hub.connection_counts();
    let next = (found.len() == limit)
        .then(|| found.last())
        .flatten()
        .map(|last| {
            let mut link = format!(
                "</api/admin/accounts?limit={limit}&after={}",
                encode_query(last.name.hold_key().as_str())
            );
            if let Some(q) = q {
                link.push_str(&format!("&q={}", encode_query(q)));
            }
            link.push_str(">; rel=\"next\"");
            link
        });
    let listed: Vec<AdminAccount> = found
        .into_iter()
        .map(|account| AdminAccount {
            admin: admins.contains(&account.id),
            connections: connections.get(&account.id).copied().unwrap_or(0),
            id: account.id.to_string(),
            name: account.name,
            created: account.created,
            disabled: account.disabled,
        })
        .collect();
    let mut response = HttpResponse::Ok();
    if let Some(next) = next {
        response.insert_header((LINK, next));
    }
    Ok(response.json(listed))
}

/// Disables an account: sign-in refused, every session and token revoked, its connections ended on every node (site admins).
#[utoipa::path(
    put,
    path = "/api/admin/accounts/{name}/disabled",
    operation_id = "admin_disable_account",
    tag = tag::CONSOLE,
    params(AccountPath),
    responses(
        (status = 204, description = "Disabled."),
        BadRequest, Unauthenticated, Forbidden, NoSuchUser, Unavailable,
    )
)]
pub async fn disable(
    admin: SiteAdmin,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let name = name_of(&name)?;
    accounts::disable(&state.hub, &state.auth, &admin.0, &name).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Enables a disabled account again (site admins).
#[utoipa::path(
    delete,
    path = "/api/admin/accounts/{name}/disabled",
    operation_id = "admin_enable_account",
    tag = tag::CONSOLE,
    params(AccountPath),
    responses(
        (status = 204, description = "Enabled."),
        BadRequest, Unauthenticated, Forbidden, NoSuchUser, Unavailable,
    )
)]
pub async fn enable(
    admin: SiteAdmin,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let name = name_of(&name)?;
    accounts::enable(&state.hub, &admin.0, &name).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Signs an account out everywhere and ends its connections (site admins, or an API key with `moderate` for anyone but a site admin).
#[utoipa::path(
    delete,
    path = "/api/admin/accounts/{name}/sessions",
    operation_id = "admin_sign_out_everywhere",
    tag = tag::CONSOLE,
    params(AccountPath),
    responses(
        (status = 204, description = "Signed out."),
        BadRequest, Unauthenticated, Forbidden, NoSuchUser, Unavailable,
    )
)]
pub async fn sign_out_everywhere(
    request: HttpRequest,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    // Open to backends too: the one route under `/api/admin` a key with `moderate` may call
    // ("disconnect a user's sessions"), judged where every site-wide act is.
    let caller = principal(&request, &state).await?;
    state.hub.site_act(&caller, ApiScope::Moderate).await?;
    let name = name_of(&name)?;
    accounts::sign_out_everywhere(&state.hub, &state.auth, &caller, &name).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Makes an account a site admin (site admins).
#[utoipa::path(
    put,
    path = "/api/admin/accounts/{name}/admin",
    operation_id = "admin_grant_admin",
    tag = tag::CONSOLE,
    params(AccountPath),
    responses(
        (status = 204, description = "Granted."),
        BadRequest, Unauthenticated, Forbidden, NoSuchUser, Unavailable,
    )
)]
pub async fn grant_admin(
    admin: SiteAdmin,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let name = name_of(&name)?;
    accounts::set_admin(&state.hub, &admin.0, &name, true).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Makes an account no longer a site admin; nobody revokes their own (site admins).
#[utoipa::path(
    delete,
    path = "/api/admin/accounts/{name}/admin",
    operation_id = "admin_revoke_admin",
    tag = tag::CONSOLE,
    params(AccountPath),
    responses(
        (status = 204, description = "Revoked."),
        BadRequest, Unauthenticated, Forbidden, NoSuchUser, Unavailable,
    )
)]
pub async fn revoke_admin(
    admin: SiteAdmin,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let name = name_of(&name)?;
    accounts::set_admin(&state.hub, &admin.0, &name, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An account's connections open on the answering node (site admins).
#[utoipa::path(
    get,
    path = "/api/admin/accounts/{name}/connections",
    operation_id = "admin_connections",
    tag = tag::CONSOLE,
    params(AccountPath),
    responses(
        (status = 200, description = "Its connections.", body = Vec<ConnectionView>),
        BadRequest, Unauthenticated, Forbidden, NoSuchUser, Unavailable,
    )
)]
pub async fn connections(
    _admin: SiteAdmin,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let name = name_of(&name)?;
    let account = accounts::account_named(&state.hub, &name).await?;
    Ok(HttpResponse::Ok().json(state.hub.connections_of(&account.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_in_a_link_is_percent_encoded() {
        assert_eq!(encode_query("ada-1_x.y~"), "ada-1_x.y~");
        assert_eq!(encode_query("a b&c=d"), "a%20b%26c%3Dd");
        assert_eq!(encode_query("ᴎ"), "%E1%B4%8E");
    }
}
