//! [`Principal`]: who a request or a connection is, once its credential has been checked.
//!
//! Every transport turns what it was shown (the session cookie, a bearer token, a JWT, or
//! nothing) into one of these at its door (`Auth::principal`), and the hub judges every room
//! access against it. A guest is no one in particular: the name it types is only a name.

use crate::store::{Author, accounts::AccountId};
use chinwag_shared::{
    RoomName, Username,
    account::{AuthMethod, Me},
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

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Nobody signed in: may chat under any name no account owns, where guests are allowed.
    Guest,
    /// A signed-in identity.
    Account(Arc<Identity>),
}

impl Principal {
    /// The identity, if signed in.
    pub fn identity(&self) -> Option<&Identity> {
        match self {
            Principal::Guest => None,
            Principal::Account(identity) => Some(identity),
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
            Principal::Guest => Author::of(token, username),
        }
    }
}
