//! The session cookie: how a browser holds its session.
//!
//! `HttpOnly` (page scripts never see it, so a script injected into the page cannot steal
//! it), `SameSite=Lax` (other sites' forms and scripts do not send it; the origin check
//! already refuses their WebSockets), `Path=/`, and `Secure` when the operator says the
//! server is reached over TLS (`--tls-cookies`). Its lifetime is the session's.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use chinwag_shared::account::SESSION_COOKIE;
use std::time::Duration;

/// The cookie that carries `secret` for `ttl`.
pub fn session(secret: String, ttl: Duration, secure: bool) -> Cookie<'static> {
    let seconds = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    Cookie::build(SESSION_COOKIE, secret)
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(CookieDuration::seconds(seconds))
        .finish()
}

/// The cookie that makes a browser forget its session.
pub fn cleared(secure: bool) -> Cookie<'static> {
    let mut cookie = session(String::new(), Duration::ZERO, secure);
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_http_only_lax_rooted_and_secure_only_behind_tls() {
        let plain = session("cws_x".into(), Duration::from_secs(60), false).to_string();
        assert!(plain.starts_with("chinwag_session=cws_x"), "{plain}");
        for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=60"] {
            assert!(plain.contains(part), "{part} in {plain}");
        }
        assert!(!plain.contains("Secure"), "{plain}");
        let tls = session("cws_x".into(), Duration::from_secs(60), true).to_string();
        assert!(tls.contains("Secure"), "{tls}");
        let gone = cleared(false).to_string();
        assert!(gone.contains("Max-Age=0"), "{gone}");
    }
}
