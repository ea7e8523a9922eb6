//! Identity: who a request is, and the account operations that change it.
//!
//! Every transport's door — the WebSocket upgrade, long-poll, poll and each HTTP route — asks
//! [`Auth::principal`] once, and carries the [`Principal`] it gets to the hub, which judges
//! room access (`hub::access`). A request proves itself with one credential, looked for in
//! this order: `Authorization: Bearer …`, the `access_token` query parameter (a browser's
//! WebSocket cannot set headers), the session cookie. A bearer or query credential that does
//! not check out is a 401; a stale session cookie is only ignored (the request is a guest),
//! so a browser whose session ran out can still load the page and sign in again.
//!
//! The parts, one per file: `request` (where a credential is found), [`secret`] (minted
//! secrets and their digests), [`password`] (Argon2id), [`throttle`] (sign-in lockouts),
//! `sign_in` (sign up, sign in and out, the password), `tokens` (access tokens), `api_keys`
//! (the server API's keys, for backends: made, listed, revoked and checked), [`jwt`]
//! (tokens from an embedding app), [`cookie`] and [`principal`]. This file holds [`Auth`]
//! itself: the principal of a request and the caches. Checking a session on upgrade is a lookup in a small cache
//! ([`SESSION_CACHE_TTL`]); Argon2 runs only on sign-up, sign-in and a password change.
//! Secrets are never logged: not a password, not a token, not a digest.

mod api_keys;
pub mod cookie;
pub mod jwt;
pub mod password;
pub mod principal;
mod request;
pub mod secret;
mod sign_in;
pub mod throttle;
mod tokens;

pub use principal::{Identity, Principal, ServiceKey};

use crate::{
    rate_limit::{PerAddress, TokenBucket},
    store::{
        StoreError,
        accounts::{Accounts, CredentialKind, NameOwned},
    },
};
use actix_web::HttpRequest;
use chinwag_shared::{
    Username, ValidationError,
    account::{AuthMethod, AuthPolicy, MAX_TOKEN_NAME_CHARS},
};
use jwt::JwtVerifier;
use password::{PasswordError, Passwords, WeakPassword};
use request::{Presented, presented};
use secret::{MAX_CREDENTIAL_BYTES, Shape};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use throttle::SignInThrottle;

/// How long a checked session or token is trusted from memory before the store is asked
/// again. A sign-out through this node forgets it at once; through another node, it stops
/// working here within this time.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(10);
/// Most credentials held in the cache; past that it is emptied and refills from the store.
pub const SESSION_CACHE_MAX: usize = 100_000;
/// How long "no account owns this name" is believed for a guest; "an account owns it" is
/// believed until restart (accounts are never deleted).
pub const FREE_NAME_TTL: Duration = Duration::from_secs(2);
/// Access tokens one account may hold.
pub const MAX_TOKENS: usize = 50;

/// The operator's identity settings.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Whether people may chat without signing in.
    pub guests: bool,
    /// Accounts one address may create per hour (a burst of this many, refilling over the
    /// hour): sign-ups cost an Argon2 hash and a row each, so they are budgeted like rooms.
    pub sign_ups_per_hour: u32,
    /// Whether the server is reached over TLS (the cookie gets `Secure`).
    pub secure_cookies: bool,
    /// How long a browser session lasts.
    pub session_ttl: Duration,
}

/// Why an identity operation failed. Routes turn each into its status and code.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credential where one is needed, or one that does not check out.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Sign-in with a wrong name or password (never says which).
    #[error("wrong name or password")]
    BadCredentials,
    /// Sign-in, with the right password, to an account a site admin disabled.
    #[error("this account is disabled; ask the site's admins")]
    Disabled,
    /// Too many failed sign-ins from this address or for this account.
    #[error("too many sign-in attempts; try again in {} s", .0.as_secs().max(1))]
    Locked(Duration),
    /// Sign-up under a name an account owns.
    #[error(transparent)]
    NameOwned(#[from] NameOwned),
    /// A new password breaks the rules.
    #[error(transparent)]
    Weak(#[from] WeakPassword),
    /// A name breaks the rules.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// An access token's name is empty or too long.
    #[error("a token's name needs 1 to {MAX_TOKEN_NAME_CHARS} characters")]
    TokenName,
    /// The account holds as many access tokens as allowed.
    #[error("an account may hold at most {MAX_TOKENS} access tokens; revoke one first")]
    TooManyTokens,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed.
    #[error(transparent)]
    Hashing(#[from] PasswordError),
    /// The system's random source failed.
    #[error("no randomness: {0}")]
    Random(#[from] getrandom::Error),
    /// An API key called a route for people (its account, sessions, password, tokens, keys).
    #[error(
        "an API key is not a person: it has no account, session, password or tokens, and \
         cannot manage keys; sign in as a site admin for that"
    )]
    NotAPerson,
    /// Only site admins manage API keys.
    #[error("only site admins manage API keys")]
    NotAdmin,
    /// An API key's name is empty, too long or holds control characters.
    #[error(
        "a key's name needs 1 to {MAX_TOKEN_NAME_CHARS} characters, none of them control characters"
    )]
    KeyName,
    /// A key was asked for without scopes.
    #[error("a key needs at least one scope: publish, read, moderate or rooms")]
    NoScopes,
    /// The server holds as many API keys as it keeps.
    #[error(transparent)]
    TooManyKeys(#[from] crate::store::api_keys::TooManyKeys),
}

struct Cached {
    identity: Arc<Identity>,
    checked: Instant,
}

/// Identity for one server: the directory, hashing, lockouts, JWTs and the caches.
pub struct Auth {
    accounts: Arc<dyn Accounts>,
    passwords: Passwords,
    throttle: SignInThrottle,
    jwt: Option<JwtVerifier>,
    settings: AuthSettings,
    sessions: Mutex<HashMap<String, Cached>>,
    /// Checked API keys by digest, and when they were read (see `api_keys`).
    keys: Mutex<HashMap<String, (Arc<ServiceKey>, Instant)>>,
    /// Names as typed → whether an account owns them (by their key), and when that was read.
    /// Keyed by the name itself, so a guest's every send costs one hash lookup, not a
    /// skeleton computation.
    names: Mutex<HashMap<Username, (bool, Instant)>>,
    sign_ups: Mutex<PerAddress<TokenBucket>>,
}

/// Addresses whose sign-up budgets are kept before idle ones are swept.
const SIGN_UP_ADDRESSES: usize = 10_000;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Caches only: one left mid-update by a panic is still a valid cache.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Auth {
    /// Identity over `accounts`, with `jwt` if the operator configured a key.
    pub fn new(
        accounts: Arc<dyn Accounts>,
        jwt: Option<JwtVerifier>,
        settings: AuthSettings,
    ) -> Result<Self, PasswordError> {
        Ok(Self {
            accounts,
            passwords: Passwords::new()?,
            throttle: SignInThrottle::default(),
            jwt,
            settings,
            sessions: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
            names: Mutex::new(HashMap::new()),
            sign_ups: Mutex::new(PerAddress::new(
                SIGN_UP_ADDRESSES,
                Duration::from_secs(60 * 60),
            )),
        })
    }

    /// The directory.
    pub fn accounts(&self) -> &Arc<dyn Accounts> {
        &self.accounts
    }

    /// The settings.
    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// What clients may ask for: `GET /api/auth`.
    pub fn policy(&self) -> AuthPolicy {
        AuthPolicy {
            guests: self.settings.guests,
            sign_up: true,
        }
    }

    /// Who `request` is. A bearer or `access_token` credential that fails is an error; a
    /// failing cookie is a guest. With guests off, a guest is an error too.
    pub async fn principal(&self, request: &HttpRequest) -> Result<Principal, AuthError> {
        let principal = match presented(request) {
            Presented::Explicit(credential) if secret::shape(&credential) == Shape::ApiKey => {
                Principal::Service(self.check_api_key(&credential).await?)
            }
            Presented::Explicit(credential) | Presented::Query(credential) => {
                Principal::Account(self.check(&credential).await?.ok_or(
                    AuthError::Unauthenticated("the credential is unknown, revoked or expired"),
                )?)
            }
            Presented::Cookie(credential) => match self.check(&credential).await {
                Ok(Some(identity)) => Principal::Account(identity),
                Ok(None) | Err(AuthError::Unauthenticated(_)) => Principal::Guest,
                Err(err) => return Err(err),
            },
            Presented::Nothing => Principal::Guest,
        };
        if principal.is_guest() && !self.settings.guests {
            return Err(AuthError::Unauthenticated(
                "this server needs you to sign in (guests are off)",
            ));
        }
        Ok(principal)
    }

    /// The identity `credential` proves, `None` if it is ours but unknown or expired.
    async fn check(&self, credential: &str) -> Result<Option<Arc<Identity>>, AuthError> {
        if credential.len() > MAX_CREDENTIAL_BYTES {
            return Err(AuthError::Unauthenticated("the credential is too long"));
        }
        match secret::shape(credential) {
            Shape::Minted => self.check_minted(credential).await,
            Shape::Jwt => match &self.jwt {
                Some(verifier) => match verifier.verify(credential) {
                    Ok(identity) => Ok(Some(Arc::new(identity))),
                    Err(refused) => {
                        tracing::debug!(%refused, "jwt refused");
                        Err(AuthError::Unauthenticated(
                            "the token is expired, not yet valid, or not signed with this \
                             server's key",
                        ))
                    }
                },
                None => Err(AuthError::Unauthenticated(
                    "this server is not configured for JWTs",
                )),
            },
            Shape::ApiKey => Err(AuthError::Unauthenticated(
                "an API key goes in the Authorization: Bearer header, never in a URL or a cookie",
            )),
            Shape::Unknown => Err(AuthError::Unauthenticated(
                "the credential is not one this server issues",
            )),
        }
    }

    async fn check_minted(&self, credential: &str) -> Result<Option<Arc<Identity>>, AuthError> {
        let digest = secret::digest(credential);
        let now = Instant::now();
        if let Some(cached) = lock(&self.sessions).get(&digest)
            && now.duration_since(cached.checked) < SESSION_CACHE_TTL
            && !expired(cached.identity.expires)
        {
            return Ok(Some(Arc::clone(&cached.identity)));
        }
        let Some(stored) = self.accounts.credential(&digest).await? else {
            lock(&self.sessions).remove(&digest);
            return Ok(None);
        };
        let expires = stored.expires.map(at_ms);
        if expired(expires) {
            lock(&self.sessions).remove(&digest);
            return Ok(None);
        }
        let identity = Arc::new(Identity {
            account: stored.account,
            name: stored.name,
            method: match stored.kind {
                CredentialKind::Session => AuthMethod::Session,
                CredentialKind::AccessToken => AuthMethod::Token,
            },
            expires,
            grants: Vec::new(),
            role: None,
            credential: Some(digest.clone()),
        });
        self.remember(digest, Arc::clone(&identity), now);
        Ok(Some(identity))
    }

    /// Caches `identity` as what the credential `digest` proves, checked at `now`.
    fn remember(&self, digest: String, identity: Arc<Identity>, now: Instant) {
        let mut sessions = lock(&self.sessions);
        if sessions.len() >= SESSION_CACHE_MAX {
            sessions.clear();
        }
        sessions.insert(
            digest,
            Cached {
                identity,
                checked: now,
            },
        );
    }

    /// Whether the session or token with `digest` still works (for a connection opened with
    /// it, asked at each heartbeat): from the cache while fresh, else the store. A store
    /// that cannot answer says yes: an outage does not sign everybody out.
    pub async fn still_valid(&self, digest: &str) -> bool {
        let now = Instant::now();
        if let Some(cached) = lock(&self.sessions).get(digest)
            && now.duration_since(cached.checked) < SESSION_CACHE_TTL
        {
            return !expired(cached.identity.expires);
        }
        match self.accounts.credential(digest).await {
            Ok(Some(stored)) => !expired(stored.expires.map(at_ms)),
            Ok(None) => {
                lock(&self.sessions).remove(digest);
                false
            }
            Err(err) => {
                tracing::debug!(error = %err, "credential not re-checked");
                true
            }
        }
    }

    /// Forgets the cached check of the credential `digest` (revoked through another node,
    /// as a connection opened with it has just heard): the next use asks the store.
    pub fn forget(&self, digest: &str) {
        lock(&self.sessions).remove(digest);
    }

    /// Whether an account owns `name` (or a look-alike): guests may not use it.
    pub async fn name_owned(&self, name: &Username) -> Result<bool, StoreError> {
        let now = Instant::now();
        if let Some((owned, checked)) = lock(&self.names).get(name).copied()
            && (owned || now.duration_since(checked) < FREE_NAME_TTL)
        {
            return Ok(owned);
        }
        let owned = self
            .accounts
            .account_by_key(&name.hold_key())
            .await?
            .is_some();
        let mut names = lock(&self.names);
        if names.len() >= SESSION_CACHE_MAX {
            names.retain(|_, (owned, _)| *owned);
            if names.len() >= SESSION_CACHE_MAX {
                names.clear();
            }
        }
        names.insert(name.clone(), (owned, now));
        Ok(owned)
    }
}

/// The moment `ms` Unix milliseconds name (how the store keeps expiries).
fn at_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

fn expired(expires: Option<SystemTime>) -> bool {
    expires.is_some_and(|at| at <= SystemTime::now())
}
