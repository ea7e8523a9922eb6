//! Where a request's credential is: the `Authorization: Bearer` header, the `access_token`
//! query parameter (a browser's WebSocket cannot set headers), or the session cookie, looked
//! for in that order. [`super::Auth::principal`] decides what each is worth; this file only
//! finds it.

use actix_web::HttpRequest;
use chinwag_shared::account::{ACCESS_TOKEN_PARAM, SESSION_COOKIE};

/// The credential a request carries, and where.
pub(super) enum Presented {
    /// `Authorization: Bearer`: must check out.
    Explicit(String),
    /// The `access_token` query parameter: must check out, and may not be an API key (a URL
    /// is written to access logs and browser histories; a key goes in the header).
    Query(String),
    /// The session cookie: ignored if it does not.
    Cookie(String),
    /// None.
    Nothing,
}

pub(super) fn presented(request: &HttpRequest) -> Presented {
    if let Some(header) = request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
    {
        let value = header.to_str().unwrap_or_default();
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or_default()
            .trim();
        return Presented::Explicit(token.to_owned());
    }
    if let Some(token) = query_param(request.query_string(), ACCESS_TOKEN_PARAM) {
        return Presented::Query(token);
    }
    match request.cookie(SESSION_COOKIE) {
        Some(cookie) => Presented::Cookie(cookie.value().to_owned()),
        None => Presented::Nothing,
    }
}

/// The value of `name` in a query string, as it stands. Tokens are URL-safe (base64url and a
/// JWT's dots), so none needs decoding; a value with `%` escapes is no token and fails the
/// check like any other unknown credential.
fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_token_parameter_is_found_among_others() {
        assert_eq!(
            query_param("room=a&access_token=x.y.z&after=3", "access_token").as_deref(),
            Some("x.y.z")
        );
        assert_eq!(query_param("room=a", "access_token"), None);
        assert_eq!(query_param("", "access_token"), None);
    }
}
