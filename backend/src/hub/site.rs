//! Who acts on the whole site: site admins, and backends' API keys within their scopes.
//!
//! A site admin is an account the directory names one (`chinwag accounts grant-admin`), or
//! a JWT identity whose `role` claim says `admin` ([`super::rules::ADMIN_ROLE_CLAIM`]); it is
//! read through the rules cache, so a grant or revocation through another node holds here
//! within [`super::rules::RULES_TTL`]. An API key is never an admin (it is not a person), but
//! a site-wide call open to keys asks [`Hub::site_act`] with the scope it needs, which judges
//! both kinds of caller in one place.

use super::{
    Hub,
    rules::ADMIN_ROLE_CLAIM,
    scopes::{MissingScope, require_scope},
};
use crate::{auth::Principal, store::StoreError};
use chinwag_shared::api_keys::ApiScope;

/// Why a site-wide act was refused.
#[derive(Debug, thiserror::Error)]
pub enum SiteActError {
    /// Nobody signed in.
    #[error("sign in as a site admin first")]
    Unauthenticated,
    /// A person who is not a site admin.
    #[error("only site admins may do this")]
    NotAdmin,
    /// An API key without the scope.
    #[error(transparent)]
    Scope(#[from] MissingScope),
    /// The directory could not be read; nothing is decided.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Hub {
    /// Whether `principal` is a site admin. Keys and guests never are.
    pub async fn is_site_admin(&self, principal: &Principal) -> Result<bool, StoreError> {
        let Principal::Account(identity) = principal else {
            return Ok(false);
        };
        if identity.role.as_deref() == Some(ADMIN_ROLE_CLAIM) {
            return Ok(true);
        }
        Ok(self.rules.site().await?.admins.contains(&identity.account))
    }

    /// Whether `principal` may take a site-wide act that API keys reach with `scope`: a
    /// site admin, or a key holding `scope`. Routes for such acts ask this and nothing else.
    pub async fn site_act(
        &self,
        principal: &Principal,
        scope: ApiScope,
    ) -> Result<(), SiteActError> {
        match principal {
            Principal::Guest => Err(SiteActError::Unauthenticated),
            Principal::Service(_) => Ok(require_scope(principal, scope)?),
            Principal::Account(_) if self.is_site_admin(principal).await? => Ok(()),
            Principal::Account(_) => Err(SiteActError::NotAdmin),
        }
    }
}
