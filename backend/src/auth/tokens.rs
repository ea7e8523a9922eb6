//! Personal access tokens: made by a signed-in account for its programs, named, listed by id,
//! revoked one by one, at most [`MAX_TOKENS`](super::MAX_TOKENS) each. The secret is shown
//! once, at creation; the store keeps its digest.

use super::{Auth, AuthError, Identity, MAX_TOKENS, lock, now_ms, secret};
use crate::store::accounts::{CredentialKind, NewCredential, TokenListing};
use chinwag_shared::account::{AuthMethod, MAX_TOKEN_NAME_CHARS};
use secret::SecretKind;

impl Auth {
    /// Creates an access token named `name` for `identity`: its listing and the secret,
    /// which is shown this once.
    pub async fn create_token(
        &self,
        identity: &Identity,
        name: &str,
    ) -> Result<(TokenListing, String), AuthError> {
        if identity.method == AuthMethod::Jwt {
            return Err(AuthError::Unauthenticated(
                "a JWT identity is your application's; access tokens are for Chinwag accounts",
            ));
        }
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_TOKEN_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(AuthError::TokenName);
        }
        if self.accounts.tokens(&identity.account).await?.len() >= MAX_TOKENS {
            return Err(AuthError::TooManyTokens);
        }
        let (secret, digest) = secret::mint(SecretKind::AccessToken)?;
        let created = now_ms();
        self.accounts
            .create_credential(NewCredential {
                digest: digest.clone(),
                account: identity.account.clone(),
                kind: CredentialKind::AccessToken,
                name: name.to_owned(),
                created,
                expires: None,
            })
            .await?;
        let listing = TokenListing {
            id: digest
                .chars()
                .take(crate::store::accounts::TOKEN_ID_CHARS)
                .collect(),
            name: name.to_owned(),
            created,
        };
        Ok((listing, secret))
    }

    /// Revokes `identity`'s access token `id`; whether it had one.
    pub async fn revoke_token(&self, identity: &Identity, id: &str) -> Result<bool, AuthError> {
        let Some(digest) = self.accounts.revoke_token(&identity.account, id).await? else {
            return Ok(false);
        };
        lock(&self.sessions).remove(&digest);
        Ok(true)
    }
}
