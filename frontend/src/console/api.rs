//! The console's routes of the HTTP API (site admins only): rooms, accounts and what can be
//! done to them, connections, site-wide sanctions and the site audit log.
//!
//! Like [`crate::account::api`], every request carries the session cookie and a refusal
//! comes back as [`ApiFailure`]; the server checks that the caller is a site admin on every
//! one, so a 403 here means the role was taken away meanwhile. Names in paths are escaped.

use crate::account::{
    api::{fetch, read},
    failure::ApiFailure,
};
use chinwag_shared::{
    Username,
    console::{AdminAccount, AdminRoom, ConnectionView},
    moderation::{AuditEntry, SanctionBody, SanctionKind, SanctionView},
};
use gloo::net::http::Request;

/// Rooms per page of the rooms panel.
pub const ROOMS_PAGE: usize = 50;
/// Accounts per page of the accounts panel.
pub const ACCOUNTS_PAGE: usize = 50;
/// Lines per page of the site audit log.
pub const AUDIT_PAGE: usize = 30;

/// One page of rooms, busiest first, and the URL of the next page if there is one.
pub async fn rooms(next: Option<&str>) -> Result<(Vec<AdminRoom>, Option<String>), ApiFailure> {
    let first = format!("/api/admin/rooms?limit={ROOMS_PAGE}");
    page(next.unwrap_or(&first)).await
}

/// One page of accounts whose name contains `query`, by name, and the URL of the next page
/// if there is one (its cursor is the server's to write: the console only follows it).
pub async fn accounts(
    query: &str,
    next: Option<&str>,
) -> Result<(Vec<AdminAccount>, Option<String>), ApiFailure> {
    let mut first = format!("/api/admin/accounts?limit={ACCOUNTS_PAGE}");
    let query = query.trim();
    if !query.is_empty() {
        first.push_str(&format!("&q={}", js_sys::encode_uri_component(query)));
    }
    page(next.unwrap_or(&first)).await
}

/// A page of a list that links to its next page.
async fn page<T: serde::de::DeserializeOwned>(
    url: &str,
) -> Result<(Vec<T>, Option<String>), ApiFailure> {
    let response = fetch(Request::get(url), None::<&()>).await?;
    let next = response
        .headers()
        .get("Link")
        .and_then(|link| next_link(&link));
    Ok((read(response).await?, next))
}

/// `/api/admin/accounts/{name}/{what}`.
fn account_url(name: &Username, what: &str) -> String {
    format!(
        "/api/admin/accounts/{}/{what}",
        js_sys::encode_uri_component(name.as_str())
    )
}

/// `PUT` (`on`) or `DELETE` `url`, expecting no body back.
async fn switch(url: &str, on: bool) -> Result<(), ApiFailure> {
    let request = if on {
        Request::put(url)
    } else {
        Request::delete(url)
    };
    fetch(request, None::<&()>).await.map(drop)
}

/// Disables (`true`) or enables the account `name`. Disabling signs it out everywhere and
/// ends its open connections.
pub async fn set_disabled(name: &Username, disabled: bool) -> Result<(), ApiFailure> {
    switch(&account_url(name, "disabled"), disabled).await
}

/// Signs the account `name` out everywhere and ends its open connections.
pub async fn sign_out_everywhere(name: &Username) -> Result<(), ApiFailure> {
    switch(&account_url(name, "sessions"), false).await
}

/// Makes the account `name` a site admin (`true`) or no longer one.
pub async fn set_admin(name: &Username, admin: bool) -> Result<(), ApiFailure> {
    switch(&account_url(name, "admin"), admin).await
}

/// The account `name`'s connections open now.
pub async fn connections(name: &Username) -> Result<Vec<ConnectionView>, ApiFailure> {
    read(fetch(Request::get(&account_url(name, "connections")), None::<&()>).await?).await
}

/// The site-wide mutes and bans in force.
pub async fn sanctions() -> Result<Vec<SanctionView>, ApiFailure> {
    read(fetch(Request::get("/api/admin/sanctions"), None::<&()>).await?).await
}

/// `/api/site/{mutes|bans}/{name}`.
fn site_sanction_url(kind: SanctionKind, name: &Username) -> String {
    let what = match kind {
        SanctionKind::Mute => "mutes",
        SanctionKind::Ban => "bans",
    };
    format!(
        "/api/site/{what}/{}",
        js_sys::encode_uri_component(name.as_str())
    )
}

/// Mutes or bans `name` on the whole site, for `body.seconds` or until lifted.
pub async fn impose(
    kind: SanctionKind,
    name: &Username,
    body: &SanctionBody,
) -> Result<(), ApiFailure> {
    fetch(Request::put(&site_sanction_url(kind, name)), Some(body))
        .await
        .map(drop)
}

/// Lifts `name`'s site-wide mute or ban.
pub async fn lift(kind: SanctionKind, name: &Username) -> Result<(), ApiFailure> {
    switch(&site_sanction_url(kind, name), false).await
}

/// A page of the site audit log, newest first, before line `before` if given.
pub async fn audit(before: Option<u64>) -> Result<Vec<AuditEntry>, ApiFailure> {
    let before = before.map(|id| format!("&before={id}")).unwrap_or_default();
    let url = format!("/api/admin/audit?limit={AUDIT_PAGE}{before}");
    read(fetch(Request::get(&url), None::<&()>).await?).await
}

/// The target of the `rel="next"` link in a `Link` header, if it names one on this site.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|link| {
        let (target, params) = link.trim().split_once(';')?;
        let is_next = params
            .split(';')
            .any(|param| matches!(param.trim(), "rel=\"next\"" | "rel=next"));
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        // Only a path on this origin: a header is input, and the console follows it.
        (is_next && target.starts_with('/') && !target.starts_with("//")).then(|| target.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_next_page_is_read_from_the_link_header() {
        assert_eq!(
            next_link(r#"</api/admin/rooms?limit=50&cursor=abc>; rel="next""#).as_deref(),
            Some("/api/admin/rooms?limit=50&cursor=abc")
        );
        assert_eq!(
            next_link(r#"</a>; rel="prev", </b>; rel="next""#).as_deref(),
            Some("/b")
        );
        assert_eq!(next_link(r#"</a>; rel="prev""#), None);
        assert_eq!(next_link("garbage"), None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_link_to_another_site_is_not_followed() {
        assert_eq!(next_link(r#"<https://evil.example/x>; rel="next""#), None);
        assert_eq!(next_link(r#"<//evil.example/x>; rel="next""#), None);
    }
}
