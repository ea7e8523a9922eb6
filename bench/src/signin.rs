//! Signed-in clients: accounts made and signed in before a run, and the credential each
//! client then presents on every connection.
//!
//! [`sign_in_all`] signs up a pool of accounts and signs each in again until there is one
//! distinct session per client, all before anything is timed: every sign-up and sign-in runs
//! Argon2id on the server (tens of ms each), while the thing measured afterwards is the check
//! of a session at the WebSocket upgrade. Sign-ups go one at a time, so each one's response
//! time is close to the cost of one hash; sign-ins go [`SIGN_IN_CONCURRENCY`] at a time, the
//! number the server hashes at once. A [`Credential`] is sent with the upgrade request as a
//! bearer header, a cookie or the `access_token` query parameter. Only the bearer header and
//! the query fail loudly (401) when the server does not accept them; a cookie that does not
//! check out silently makes a guest, so the bearer header is the default.

use crate::{http, stats::Histogram};
use anyhow::{Context, Result, bail};
use chinwag_shared::account::{ACCESS_TOKEN_PARAM, SESSION_COOKIE};
use clap::ValueEnum;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::time::Instant;

/// Sign-ins in flight at once: the server hashes two passwords at a time
/// (`auth::password::CONCURRENT_HASHES`), so more would only queue there.
pub const SIGN_IN_CONCURRENCY: usize = 2;
/// Longest one sign-up or sign-in may take, queueing included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether a run's clients sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    /// Guests: no credential.
    None,
    /// One session per client, from sign-ins made before the run.
    Session,
}

impl AuthKind {
    /// The name used in flags, tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "guest",
            Self::Session => "session",
        }
    }
}

/// Where a client puts its credential in the upgrade request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Presentation {
    /// `Authorization: Bearer <secret>`; a refused one is a 401.
    Bearer,
    /// `Cookie: chinwag_session=<secret>`, as a browser sends it; a refused one is a guest.
    Cookie,
    /// `?access_token=<secret>` on the socket URL; a refused one is a 401.
    Query,
}

/// A secret and where to present it.
#[derive(Debug, Clone)]
pub struct Credential {
    /// The session secret (`cws_…`).
    pub secret: Arc<str>,
    /// Where it goes.
    pub via: Presentation,
}

impl Credential {
    /// The header to add to the upgrade request, if it travels in one.
    pub fn header(&self) -> Option<(&'static str, String)> {
        match self.via {
            Presentation::Bearer => Some(("authorization", format!("Bearer {}", self.secret))),
            Presentation::Cookie => Some(("cookie", format!("{SESSION_COOKIE}={}", self.secret))),
            Presentation::Query => None,
        }
    }

    /// The query parameter to append to the socket URL, if it travels in one.
    pub fn query(&self) -> Option<String> {
        (self.via == Presentation::Query).then(|| format!("{ACCESS_TOKEN_PARAM}={}", self.secret))
    }
}

/// The sessions made for a run, and what making them cost.
pub struct SignIns {
    /// One session secret per client, distinct.
    pub sessions: Vec<Arc<str>>,
    /// Response time of each sign-up (one at a time: about one Argon2id hash each).
    pub sign_up: Histogram,
    /// How long the concurrent sign-ins took in all, and how many there were.
    pub sign_in_wall: Duration,
    /// Sign-ins made (sessions beyond the one each sign-up gives).
    pub sign_ins: usize,
}

/// Signs up `accounts` accounts (names start with `prefix`), then signs them in in turn
/// until there are `sessions` distinct sessions.
pub async fn sign_in_all(
    addr: SocketAddr,
    prefix: &str,
    accounts: usize,
    sessions: usize,
) -> Result<SignIns> {
    let accounts = accounts.clamp(1, sessions.max(1));
    let password = format!("{prefix}-password");
    let names: Vec<String> = (0..accounts).map(|k| format!("{prefix}-{k}")).collect();
    let sign_up = Histogram::default();
    let mut secrets = Vec::with_capacity(sessions);
    for name in &names {
        let started = Instant::now();
        secrets.push(session(addr, "/api/accounts", name, &password, 201).await?);
        sign_up.record(started.elapsed());
    }
    let sign_ins = sessions - secrets.len();
    let started = Instant::now();
    let mut pending = futures_util::stream::iter((0..sign_ins).map(|i| {
        let (name, password) = (&names[i % names.len()], &password);
        async move { session(addr, "/api/session", name, password, 200).await }
    }))
    .buffer_unordered(SIGN_IN_CONCURRENCY);
    let bar = crate::progress::bar(sign_ins as u64, "signing in");
    while let Some(secret) = pending.next().await {
        secrets.push(secret?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(SignIns {
        sessions: secrets,
        sign_up,
        sign_in_wall: started.elapsed(),
        sign_ins,
    })
}

/// POSTs `name` and `password` to `path`, expects `status`, and returns the session secret
/// from the `Set-Cookie` header.
async fn session(
    addr: SocketAddr,
    path: &str,
    name: &str,
    password: &str,
    status: u16,
) -> Result<Arc<str>> {
    let body = serde_json::json!({ "username": name, "password": password }).to_string();
    let response = tokio::time::timeout(
        REQUEST_TIMEOUT,
        http::one_request(addr, "POST", path, &body),
    )
    .await
    .with_context(|| format!("POST {path} for {name} timed out"))??;
    if response.status != status {
        bail!(
            "POST {path} for {name} answered {}: {}",
            response.status,
            response.text()
        );
    }
    let cookie = response
        .header("set-cookie")
        .with_context(|| format!("POST {path} set no cookie"))?;
    session_secret(cookie).with_context(|| format!("POST {path}: no session in `{cookie}`"))
}

/// The session secret in a `Set-Cookie` value (`chinwag_session=cws_…; HttpOnly; …`).
fn session_secret(set_cookie: &str) -> Option<Arc<str>> {
    let pair = set_cookie.split(';').next()?.trim();
    let (name, value) = pair.split_once('=')?;
    (name == SESSION_COOKIE && !value.is_empty()).then(|| value.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_secret_is_read_from_its_cookie_and_only_from_it() {
        assert_eq!(
            session_secret("chinwag_session=cws_abc; HttpOnly; SameSite=Lax; Path=/").as_deref(),
            Some("cws_abc")
        );
        assert_eq!(session_secret("other=cws_abc; Path=/"), None);
        assert_eq!(session_secret("chinwag_session=; Max-Age=0"), None);
    }

    #[test]
    fn each_presentation_puts_the_secret_in_one_place() {
        let credential = |via| Credential {
            secret: "cws_x".into(),
            via,
        };
        let bearer = credential(Presentation::Bearer);
        assert_eq!(
            bearer.header(),
            Some(("authorization", "Bearer cws_x".into()))
        );
        assert_eq!(bearer.query(), None);
        let cookie = credential(Presentation::Cookie);
        assert_eq!(
            cookie.header(),
            Some(("cookie", "chinwag_session=cws_x".into()))
        );
        let query = credential(Presentation::Query);
        assert_eq!(query.header(), None);
        assert_eq!(query.query().as_deref(), Some("access_token=cws_x"));
    }
}
