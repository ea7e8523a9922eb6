//! [`Principal`]: who a request or a connection is, once its credential has been checked.
//!
//! Every transport turns what it was shown (the session cookie, a bearer token, a JWT, or
//! nothing) into one of these at its door (`Auth::principal`), and the hub judges every room
//! access against it. A guest is no one in particular: the name it types is only a name. A
//! backend calling with a server API key is a [`ServiceKey`]: not a person, so it has no
//! account, opens no socket and uses none of the account routes; what it may do is its
//! scopes, which the hub checks at its gates (`hub::scopes::require_scope`).

use crate::store::{Author, accounts::AccountId};
use chinwag_shared::{
    RoomName, Username,
    account::{AuthMethod, Me},
    api_keys::{ApiScope, SYSTEM_NAME},
};
use std::{sync::Arc, time::SystemTime};

/// A signed-in identity: a built-in account or a JWT's subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The account's id (`jwt:{sub}` for a JWT).
    pub account: AccountId,
    /// The name it speaks under, always.
    pub name: Username,
    /// How it proved it.
    pub method: AuthMethod,
    /// When the credential stops working (a session's expiry, a JWT's `exp`); `None` for an
    /// access token, which lives until revoked.
    pub expires: Option<SystemTime>,
    /// Private rooms a JWT's `rooms` claim lets it into, beside any it is a member of.
    pub grants: Vec<RoomName>,
    /// A JWT's `role` claim, for moderation.
    pub role: Option<String>,
    /// The digest of the session or token it came with (to sign that one out); `None` for
    /// a JWT.
    pub credential: Option<String>,
}

impl Identity {
    /// The "same client" token every connection and request of this account presents to the
    /// rooms' name rule (`delivery::rooms`): a digest of its id, so it fits a token's limits
    /// whatever the id, and all of one person's devices hold the name together.
    pub fn client_token(&self) -> Option<chinwag_shared::ClientToken> {
        let digest = super::secret::digest(&format!("account\n{}", self.account));
        chinwag_shared::ClientToken::parse(&format!("account-{}", &digest[..32])).ok()
    }

    /// What `GET /api/me` says about it, `admin` as the hub judged it.
    pub fn me(&self, admin: bool) -> Me {
        Me {
            username: self.name.clone(),
            method: self.method,
            admin,
        }
    }
}

/// A server API key, as a request proved it: which key, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceKey {
    /// Its id (the listing's), which audit entries and logs may name.
    pub id: String,
    /// Its name, as its admin gave it.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<ApiScope>,
}

impl ServiceKey {
    /// Whether it holds `scope`. Only `hub::scopes::require_scope` asks: that is the one
    /// place a key's scopes are judged.
    pub fn has(&self, scope: ApiScope) -> bool {
        self.scopes.contains(&scope)
    }

    /// The name it acts under where a person's name would stand (the actor of an audit
    /// entry or a sanction, a moderator's tombstone): the system's.
    pub fn acting_name() -> Username {
        #[expect(clippy::expect_used, reason = "a constant that is a valid name")]
        Username::parse(SYSTEM_NAME).expect("the system's name is a valid username")
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Nobody signed in: may chat under any name no account owns, where guests are allowed.
    Guest,
    /// A signed-in identity.
    Account(Arc<Identity>),
    /// A backend with a server API key: not a person.
    Service(Arc<ServiceKey>),
}

impl Principal {
    /// The identity, if signed in.
    pub fn identity(&self) -> Option<&Identity> {
        match self {
            Principal::Guest | Principal::Service(_) => None,
            Principal::Account(identity) => Some(identity),
        }
    }

    /// The API key, for a backend.
    pub fn service(&self) -> Option<&ServiceKey> {
        match self {
            Principal::Service(key) => Some(key),
            Principal::Guest | Principal::Account(_) => None,
        }
    }

    /// Whether this is a guest.
    pub fn is_guest(&self) -> bool {
        matches!(self, Principal::Guest)
    }

    /// The idempotency scope of its sends: the account for a signed-in identity (every device
    /// of one person), else what a guest presents.
    pub fn author(
        &self,
        token: Option<&chinwag_shared::ClientToken>,
        username: &Username,
    ) -> Author {
        match self {
            Principal::Account(identity) => Author::account(&identity.account),
            Principal::Service(key) => Author::api_key(&key.id),
            Principal::Guest => Author::of(token, username),
        }
    }
}
