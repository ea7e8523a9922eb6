//! The server API's keys as the directory keeps them: what a backend's key may do, found by
//! the digest of its secret.
//!
//! `auth` mints a key's secret (`cwk_…`, see `auth::secret`) and hands the store only its
//! digest, so a copy of the store calls nothing. A key is listed and revoked by its [`ApiKey::id`]
//! (the first [`KEY_ID_CHARS`] hex digits of that digest: enough to never collide among
//! [`MAX_API_KEYS`], and never the whole digest). Both engines implement [`ApiKeys`] beside
//! their [`super::accounts::Accounts`] (it is a part of the directory), keeping one invariant:
//! a server never holds more than [`MAX_API_KEYS`] keys, checked in the same atomic step
//! that adds one, so two nodes creating keys at once cannot pass the bound together.

use super::StoreError;
use async_trait::async_trait;
use chinwag_shared::{Username, api_keys::ApiScope};

/// Keys one server holds at most; creating one more is refused until one is revoked. A
/// bound keeps the listing one small page and the cache of checked keys small.
pub const MAX_API_KEYS: usize = 100;

/// Hex digits of a key's digest that name it in listings and revocations (64 bits).
pub const KEY_ID_CHARS: usize = 16;

/// A key as stored: everything but its secret (which is nowhere) and its digest (the
/// lookup key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Its id: the first [`KEY_ID_CHARS`] hex digits of its digest.
    pub id: String,
    /// What it is for, as its admin named it.
    pub name: String,
    /// What it may do, sorted, without repeats, never empty.
    pub scopes: Vec<ApiScope>,
    /// The admin who made it.
    pub created_by: Username,
    /// When, Unix ms.
    pub created: u64,
}

impl ApiKey {
    /// Its id from the digest of its secret.
    pub fn id_of(digest: &str) -> String {
        digest.chars().take(KEY_ID_CHARS).collect()
    }

    /// The stored form of its scopes: their wire names, space-separated.
    pub fn scopes_text(&self) -> String {
        self.scopes
            .iter()
            .map(|scope| scope.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Reads the stored form of scopes; `None` if a name is not a scope (a row written by
    /// something other than Chinwag).
    pub fn parse_scopes(raw: &str) -> Option<Vec<ApiScope>> {
        let mut scopes = raw
            .split_ascii_whitespace()
            .map(ApiScope::parse)
            .collect::<Option<Vec<_>>>()?;
        scopes.sort();
        scopes.dedup();
        Some(scopes)
    }

    /// Whether `id` has the shape of a key id: exactly [`KEY_ID_CHARS`] hex digits. Anything
    /// else names no key (and a short prefix must never match by prefix).
    pub fn is_id(id: &str) -> bool {
        id.len() == KEY_ID_CHARS && id.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

/// The server holds [`MAX_API_KEYS`] keys already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this server holds {MAX_API_KEYS} API keys, the most it keeps; revoke one first")]
pub struct TooManyKeys;

/// The server API's keys, in both engines.
#[async_trait]
pub trait ApiKeys: Send + Sync + 'static {
    /// Stores `key` under `digest` (the digest of its secret), unless the server holds
    /// [`MAX_API_KEYS`] already.
    async fn create_api_key(
        &self,
        digest: &str,
        key: &ApiKey,
    ) -> Result<Result<(), TooManyKeys>, StoreError>;

    /// The key whose secret has digest `digest`, if it exists (was not revoked).
    async fn api_key(&self, digest: &str) -> Result<Option<ApiKey>, StoreError>;

    /// Every key, oldest first.
    async fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError>;

    /// Deletes the key with id `id`, returning its digest (so callers can forget it wherever
    /// it is cached), or `None` if there is none such.
    async fn revoke_api_key(&self, id: &str) -> Result<Option<String>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_back_sorted_and_unknown_ones_are_refused() {
        assert_eq!(
            ApiKey::parse_scopes("rooms publish publish"),
            Some(vec![ApiScope::Publish, ApiScope::Rooms])
        );
        assert_eq!(ApiKey::parse_scopes("publish admin"), None);
        let key = ApiKey {
            id: "0123456789abcdef".to_owned(),
            name: "n".to_owned(),
            scopes: vec![ApiScope::Publish, ApiScope::Moderate],
            created_by: Username::parse("ada").unwrap_or_else(|e| panic!("{e}")),
            created: 0,
        };
        assert_eq!(key.scopes_text(), "publish moderate");
    }

    #[test]
    fn only_a_whole_hex_id_names_a_key() {
        assert!(ApiKey::is_id("0123456789abcdef"));
        assert!(!ApiKey::is_id("0123"));
        assert!(!ApiKey::is_id("0123456789abcdeg"));
        assert!(!ApiKey::is_id("0123456789abcdef0"));
    }
}
