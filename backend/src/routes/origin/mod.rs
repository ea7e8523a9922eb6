//! The origin check: which browser pages may open sockets and send state-changing requests.
//!
//! Browsers send `Origin` on WebSocket upgrades and on state-changing requests, and a page
//! cannot forge it. Requests without one (bots, the terminal client, curl) are not browsers'
//! and pass. A browser request passes when its origin equals, in scheme, host and port:
//!
//! 1. `--public-origin`, the address people open the app at, or
//! 2. one of `--allowed-origin` (other sites' pages, the `trunk serve` dev loop on :8081), or
//! 3. only in loopback development (bound to a loopback address, no `--public-origin`): the
//!    `http://` origin of the request's own `Host`, when that `Host` is itself a loopback name
//!    (`localhost`, 127.0.0.0/8, `[::1]`).
//!
//! Comparing with `Host` alone is not enough: a DNS-rebinding page at `evil.example`, its
//! name re-pointed at this server, sends `Host: evil.example` and `Origin:
//! http://evil.example`, which agree. Rule 3 holds because a loopback `Host` cannot be
//! rebound. A server bound elsewhere with no `--public-origin` cannot know its own origin,
//! so it refuses every browser origin not listed, and says so at start ([`OriginPolicy::describe`]).
//!
//! A refusal is 403 `forbidden_origin` whose body never quotes the header; the log line clips
//! it ([`Clipped`]) and is budgeted per client address ([`Warning::ForbiddenOrigin`]).

mod web_origin;

pub use web_origin::{Authority, Origin, OriginError};

use super::{AppState, error::ApiFailure};
use crate::logs::{Clipped, Warning};
use actix_web::{
    HttpRequest,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, header},
    middleware::Next,
};
use chinwag_shared::ErrorCode;
use std::net::SocketAddr;

/// Whose pages count as the server's own when no origin is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameHost {
    /// Loopback development: an `http://` origin matching a loopback `Host` passes.
    Loopback,
    /// Nothing: only configured origins pass.
    Never,
}

/// Why a browser request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The `Origin` header is not `scheme://host[:port]` (`null` from a sandboxed page or a
    /// file, or garbage).
    Unreadable,
    /// A well-formed origin that is none of the configured ones (nor loopback development).
    NotAllowed,
    /// A browser request to a server that was not told its public origin, so nothing but
    /// `--allowed-origin` (and loopback development) can pass.
    NoPublicOrigin,
}

/// The configured origins and the same-host rule.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    public: Option<Origin>,
    allowed: Vec<Origin>,
    same_host: SameHost,
}

impl OriginPolicy {
    /// The policy of a server listening on `bound`: same-host pages pass only in loopback
    /// development (a loopback `bound` and no `public` origin).
    pub fn new(public: Option<Origin>, allowed: Vec<Origin>, bound: SocketAddr) -> Self {
        let same_host = if public.is_none() && bound.ip().is_loopback() {
            SameHost::Loopback
        } else {
            SameHost::Never
        };
        Self {
            public,
            allowed,
            same_host,
        }
    }

    /// Judges a request by its `Origin` and `Host` header values.
    pub fn judge(&self, origin: Option<&[u8]>, host: Option<&[u8]>) -> Result<(), Refusal> {
        let Some(origin) = origin else {
            return Ok(());
        };
        let Some(origin) = text(origin).and_then(|text| text.parse::<Origin>().ok()) else {
            return Err(Refusal::Unreadable);
        };
        if self.public.as_ref() == Some(&origin) || self.allowed.contains(&origin) {
            return Ok(());
        }
        let own_host = host
            .and_then(text)
            .and_then(|host| Authority::parse(host).ok())
            .filter(Authority::is_loopback);
        match (self.same_host, own_host) {
            (SameHost::Loopback, Some(host)) if origin.is_http_at(&host) => Ok(()),
            _ if self.public.is_none() => Err(Refusal::NoPublicOrigin),
            _ => Err(Refusal::NotAllowed),
        }
    }

    /// Logs, once at start, which pages will pass; a warning when browsers cannot use the
    /// server at all until `--public-origin` is set.
    pub fn describe(&self, bound: SocketAddr) {
        let allowed: Vec<String> = self.allowed.iter().map(Origin::to_string).collect();
        match (&self.public, self.same_host) {
            (Some(public), _) => {
                tracing::info!(%public, ?allowed, "browser pages allowed from the public origin");
            }
            (None, SameHost::Loopback) => tracing::info!(
                ?allowed,
                "loopback development: pages at this server's own loopback address pass the \
                 origin check; set --public-origin before exposing it"
            ),
            (None, SameHost::Never) => tracing::warn!(
                %bound,
                ?allowed,
                "no --public-origin: browsers' pages are refused (403 forbidden_origin) unless \
                 listed in --allowed-origin; set --public-origin to the address people open, \
                 e.g. --public-origin https://chat.example.com"
            ),
        }
    }
}

fn text(value: &[u8]) -> Option<&str> {
    std::str::from_utf8(value).ok()
}

/// Checks `request`'s origin against the server's policy, logging a refusal (within the
/// client address's budget).
pub fn check(request: &HttpRequest, state: &AppState) -> Result<(), ApiFailure> {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .map(|value| value.as_bytes());
    let host = request
        .headers()
        .get(header::HOST)
        .map(|value| value.as_bytes());
    let Err(refusal) = state.origin_policy.judge(origin, host) else {
        return Ok(());
    };
    let client = state.trusted_proxies.client_ip(request);
    if state.peer_warnings.admit(client, Warning::ForbiddenOrigin) {
        let origin = Clipped::bytes(origin.unwrap_or_default());
        let host = Clipped::bytes(host.unwrap_or_default());
        match refusal {
            Refusal::NoPublicOrigin => tracing::warn!(
                %origin, %host, peer = %client,
                "refused a cross-site request: no --public-origin is set, so only loopback \
                 development and --allowed-origin pages pass"
            ),
            Refusal::Unreadable | Refusal::NotAllowed => tracing::warn!(
                %origin, %host, peer = %client, ?refusal, "refused a cross-site request"
            ),
        }
    }
    Err(ApiFailure::forbidden(
        ErrorCode::ForbiddenOrigin,
        "this page's origin may not use this server; its operator can allow it with \
         --public-origin or --allowed-origin",
    ))
}

/// Middleware: checks the origin of every request that can change state (not GET/HEAD).
pub async fn guard_unsafe_methods(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        // The app always registers its state; were it missing, refuse rather than skip.
        let Some(state) = request.app_data::<actix_web::web::Data<AppState>>() else {
            return Err(
                ApiFailure::forbidden(ErrorCode::ForbiddenOrigin, "no origin policy").into(),
            );
        };
        check(request.request(), state)?;
    }
    next.call(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOPBACK: &str = "127.0.0.1:8080";
    const EVERYWHERE: &str = "0.0.0.0:8080";

    fn policy(public: Option<&str>, allowed: &[&str], bound: &str) -> OriginPolicy {
        OriginPolicy::new(
            public.map(|origin| origin.parse().unwrap()),
            allowed
                .iter()
                .map(|origin| origin.parse().unwrap())
                .collect(),
            bound.parse().unwrap(),
        )
    }

    fn judge(policy: &OriginPolicy, origin: &str, host: &str) -> Result<(), Refusal> {
        policy.judge(Some(origin.as_bytes()), Some(host.as_bytes()))
    }

    #[test]
    fn requests_without_an_origin_are_not_browsers_and_pass() {
        for policy in [
            policy(None, &[], EVERYWHERE),
            policy(Some("https://a.example"), &[], LOOPBACK),
        ] {
            assert_eq!(policy.judge(None, Some(b"anything")), Ok(()));
        }
    }

    #[test]
    fn a_dns_rebinding_page_is_refused_in_loopback_development() {
        let dev = policy(None, &[], LOOPBACK);
        let rebound = judge(&dev, "http://evil.example:8080", "evil.example:8080");
        assert_eq!(rebound, Err(Refusal::NoPublicOrigin));
        assert_eq!(
            judge(&dev, "http://evil.example", "evil.example"),
            Err(Refusal::NoPublicOrigin)
        );
    }

    #[test]
    fn loopback_development_accepts_the_servers_own_loopback_pages() {
        let dev = policy(None, &[], LOOPBACK);
        assert_eq!(
            judge(&dev, "http://127.0.0.1:8080", "127.0.0.1:8080"),
            Ok(())
        );
        assert_eq!(
            judge(&dev, "http://localhost:8080", "localhost:8080"),
            Ok(())
        );
        assert_eq!(judge(&dev, "http://[::1]:8080", "[::1]:8080"), Ok(()));
        assert_eq!(
            judge(&dev, "https://127.0.0.1:8080", "127.0.0.1:8080"),
            Err(Refusal::NoPublicOrigin),
            "the server speaks plain HTTP"
        );
        assert_eq!(
            judge(&dev, "http://127.0.0.1:9999", "127.0.0.1:8080"),
            Err(Refusal::NoPublicOrigin),
            "another local port is another site"
        );
    }

    #[test]
    fn the_public_origin_must_match_in_scheme_host_and_port() {
        let public = policy(Some("https://chat.example.com"), &[], EVERYWHERE);
        let host = "chat.example.com";
        assert_eq!(judge(&public, "https://chat.example.com", host), Ok(()));
        assert_eq!(
            judge(&public, "http://chat.example.com", host),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            judge(&public, "https://chat.example.com:8443", host),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            judge(&public, "https://evil.example", "evil.example"),
            Err(Refusal::NotAllowed)
        );
    }

    #[test]
    fn a_public_origin_ends_loopback_development() {
        let public = policy(Some("https://chat.example.com"), &[], LOOPBACK);
        assert_eq!(
            judge(&public, "http://127.0.0.1:8080", "127.0.0.1:8080"),
            Err(Refusal::NotAllowed)
        );
    }

    #[test]
    fn without_a_public_origin_an_exposed_server_refuses_every_unlisted_page() {
        let exposed = policy(None, &["http://127.0.0.1:8081"], EVERYWHERE);
        assert_eq!(
            judge(&exposed, "http://192.0.2.7:8080", "192.0.2.7:8080"),
            Err(Refusal::NoPublicOrigin)
        );
        assert_eq!(
            judge(&exposed, "http://127.0.0.1:8080", "127.0.0.1:8080"),
            Err(Refusal::NoPublicOrigin),
            "not even loopback: the server is not in loopback development"
        );
        assert_eq!(
            judge(&exposed, "http://127.0.0.1:8081", "127.0.0.1:8080"),
            Ok(())
        );
    }

    #[test]
    fn allowed_origins_pass_under_every_policy() {
        for bound in [LOOPBACK, EVERYWHERE] {
            for public in [None, Some("https://chat.example.com")] {
                let policy = policy(public, &["http://127.0.0.1:8081"], bound);
                assert_eq!(
                    judge(&policy, "http://127.0.0.1:8081", "127.0.0.1:8080"),
                    Ok(())
                );
            }
        }
    }

    #[test]
    fn unreadable_origins_are_refused() {
        let dev = policy(None, &[], LOOPBACK);
        assert_eq!(
            judge(&dev, "null", "127.0.0.1:8080"),
            Err(Refusal::Unreadable)
        );
        assert_eq!(
            dev.judge(Some(b"http://\xff"), Some(b"127.0.0.1:8080")),
            Err(Refusal::Unreadable)
        );
    }
}
