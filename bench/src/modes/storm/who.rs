//! Who a storm's clients are: guests, or signed in with sessions made before anything is timed
//! (issue 14), and the presence read that confirms it on Chinwag.

use super::client::Crowd;
use crate::{
    cli::StormArgs,
    http, progress,
    server::Target,
    signin::{self, AuthKind, Credential, Presentation},
    stats::LatencySummary,
};
use anyhow::{Context, Result, bail};
use std::{sync::Arc, time::Duration};

/// Sessions made for a run, before anything is timed.
pub struct Signed {
    /// One session per client.
    pub sessions: Vec<Arc<str>>,
    /// The accounts' names, each a name in the room's presence.
    pub accounts: Vec<String>,
    /// Where each client presents its session.
    pub via: Presentation,
    /// What making them cost, for the reports: the sign-ups' response times...
    pub sign_up_ms: Option<LatencySummary>,
    /// ...and the wall time per sign-in.
    pub sign_in_ms_each: Option<f64>,
}

/// Who the storm's clients are.
pub enum Who<'a> {
    /// Guests without names.
    Guests,
    /// Client i presents session i.
    Signed(&'a Signed),
}

impl Who<'_> {
    /// Guests or sessions, as the reports name it.
    pub fn kind(&self) -> AuthKind {
        match self {
            Self::Guests => AuthKind::None,
            Self::Signed(_) => AuthKind::Session,
        }
    }

    /// What client `client` presents, if anything.
    pub fn credential(&self, client: usize) -> Option<Credential> {
        match self {
            Self::Guests => None,
            Self::Signed(signed) => Some(Credential {
                secret: Arc::clone(&signed.sessions[client % signed.sessions.len()]),
                via: signed.via,
            }),
        }
    }
}

/// Signs up `--auth-accounts` accounts and signs them in until every client has a session
/// of its own (through the first node).
pub async fn sign_in(target: &Target, args: &StormArgs) -> Result<Signed> {
    let prefix = format!("storm{}", std::process::id());
    let sessions = args.auth.auth_sessions.unwrap_or(args.clients);
    progress::note(&format!(
        "storm: signing up {} account(s) and signing in {sessions} session(s) (untimed)",
        args.auth.auth_accounts
    ));
    let made = signin::sign_in_all(target.addrs[0], &prefix, args.auth.auth_accounts, sessions)
        .await
        .context("signing in before the storm")?;
    let sign_up_ms = made.sign_up.summary();
    let sign_in_ms_each =
        (made.sign_ins > 0).then(|| made.sign_in_wall.as_secs_f64() * 1e3 / made.sign_ins as f64);
    if let Some(up) = &sign_up_ms {
        progress::note(&format!(
            "  sign-up p50 {:.1} ms (one at a time); {} sign-ins in {:.1} s, {:.1} ms each ({} at a time)",
            up.p50,
            made.sign_ins,
            made.sign_in_wall.as_secs_f64(),
            sign_in_ms_each.unwrap_or(0.0),
            signin::SIGN_IN_CONCURRENCY
        ));
    }
    let accounts = (0..args.auth.auth_accounts.min(sessions).min(args.clients))
        .map(|k| format!("{prefix}-{k}"))
        .collect();
    Ok(Signed {
        sessions: made.sessions,
        accounts,
        via: args.auth.present,
        sign_up_ms,
        sign_in_ms_each,
    })
}
/// Checks through `GET /api/rooms/{room}/presence` that the clients are who they should be:
/// signed in, every account is a name in the room; guests, none is. A cookie the server does
/// not accept makes a guest without a word, so this is what shows it.
pub async fn check_presence(target: &Target, crowd: &Crowd, who: &Who<'_>) -> Result<()> {
    let path = format!("/api/rooms/{}/presence", crowd.room);
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        http::one_request(target.addrs[0], "GET", &path, ""),
    )
    .await
    .context("presence timed out")??;
    let names: Vec<String> = serde_json::from_slice(&response.ok_body()?)?;
    let accounts: &[String] = match who {
        Who::Guests => &[],
        Who::Signed(signed) => &signed.accounts,
    };
    if let Some(missing) = accounts.iter().find(|name| !names.contains(name)) {
        bail!("account {missing} is not in the room's presence: its clients are not signed in");
    }
    let expected = accounts.len() + 1;
    if names.len() != expected {
        bail!(
            "presence lists {names:?}: expected the poster and {} account(s)",
            accounts.len()
        );
    }
    Ok(())
}
