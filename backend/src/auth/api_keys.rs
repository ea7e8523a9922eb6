//! Server API keys: made by a site admin for a backend, named, scoped, listed by id, revoked
//! one by one, at most [`MAX_API_KEYS`] per server. The secret (`cwk_…`) is shown once, at
//! creation; the store keeps its digest. Whether the caller is a site admin is the hub's to
//! judge (`Hub::is_site_admin`): these take an admin already judged.
//!
//! A checked key is trusted from memory for [`SESSION_CACHE_TTL`], like a session: revoking
//! it through this node forgets it at once; through another node, it stops working here
//! within that time. Like every secret, a key is never logged: not the secret, not its
//! digest. Logs name a key by its id.

use super::{
    Auth, AuthError, Identity, SESSION_CACHE_TTL, ServiceKey, lock, now_ms, secret,
    secret::SecretKind,
};
use crate::store::api_keys::{ApiKey, MAX_API_KEYS};
use chinwag_shared::{
    account::MAX_TOKEN_NAME_CHARS,
    api_keys::{ApiKeyView, ApiScope},
};
use std::{sync::Arc, time::Instant};

/// Keys held in the cache at most before it starts afresh: every key there is, with room
/// for keys revoked through other nodes whose entries have not lapsed yet.
const KEYS_CACHED: usize = 2 * MAX_API_KEYS;

/// `key` as `GET /api/keys` lists it.
pub fn view(key: ApiKey) -> ApiKeyView {
    ApiKeyView {
        id: key.id,
        name: key.name,
        scopes: key.scopes,
        created_by: key.created_by,
        created: key.created,
    }
}

impl Auth {
    /// Makes a key named `name` with `scopes` for `admin` (a site admin, judged by the
    /// caller): its listing and the secret, shown this once.
    pub async fn create_api_key(
        &self,
        admin: &Identity,
        name: &str,
        scopes: &[ApiScope],
    ) -> Result<(ApiKeyView, String), AuthError> {
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_TOKEN_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(AuthError::KeyName);
        }
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(AuthError::NoScopes);
        }
        let (secret, digest) = secret::mint(SecretKind::ApiKey)?;
        let key = ApiKey {
            id: ApiKey::id_of(&digest),
            name: name.to_owned(),
            scopes,
            created_by: admin.name.clone(),
            created: now_ms(),
        };
        self.accounts.create_api_key(&digest, &key).await??;
        tracing::info!(key = %key.id, by = %admin.name, "api key created");
        Ok((view(key), secret))
    }

    /// Every key, oldest first, without secrets.
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyView>, AuthError> {
        Ok(self
            .accounts
            .api_keys()
            .await?
            .into_iter()
            .map(view)
            .collect())
    }

    /// Revokes the key `id`, on behalf of `admin`; whether there was one. It stops working
    /// through this node at once.
    pub async fn revoke_api_key(&self, admin: &Identity, id: &str) -> Result<bool, AuthError> {
        let Some(digest) = self.accounts.revoke_api_key(id).await? else {
            return Ok(false);
        };
        lock(&self.keys).remove(&digest);
        tracing::info!(key = %ApiKey::id_of(&digest), by = %admin.name, "api key revoked");
        Ok(true)
    }

    /// The key `credential` (a `cwk_` secret) proves: from the cache while fresh, else the
    /// store. Unknown or revoked is a 401.
    pub(super) async fn check_api_key(
        &self,
        credential: &str,
    ) -> Result<Arc<ServiceKey>, AuthError> {
        if credential.len() > secret::MAX_CREDENTIAL_BYTES {
            return Err(AuthError::Unauthenticated("the credential is too long"));
        }
        let digest = secret::digest(credential);
        let now = Instant::now();
        if let Some((key, checked)) = lock(&self.keys).get(&digest)
            && now.duration_since(*checked) < SESSION_CACHE_TTL
        {
            return Ok(Arc::clone(key));
        }
        let Some(stored) = self.accounts.api_key(&digest).await? else {
            lock(&self.keys).remove(&digest);
            return Err(AuthError::Unauthenticated(
                "the API key is unknown or was revoked",
            ));
        };
        let key = Arc::new(ServiceKey {
            id: stored.id,
            name: stored.name,
            scopes: stored.scopes,
        });
        let mut keys = lock(&self.keys);
        if keys.len() >= KEYS_CACHED {
            keys.clear();
        }
        keys.insert(digest, (Arc::clone(&key), now));
        Ok(key)
    }
}
