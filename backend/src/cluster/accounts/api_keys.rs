//! The server API's keys in Redis ([`ApiKeys`]), shared by every node, so a key made through
//! one node calls through all of them.
//!
//! `chinwag:api-keys` maps each key's id to the digest of its secret; `chinwag:api-key:{digest}`
//! holds the key (`id`, `name`, `scopes` space-separated, `created_by`, `created`). A lookup by
//! digest is one `HMGET`. One script creates (checking the bound, [`MAX_API_KEYS`], on the
//! index's length in the same step) and one revokes, so the index and the hashes never
//! disagree.

use super::{RedisAccounts, keys, read, read_all, stored, write};
use crate::store::{
    StoreError,
    api_keys::{ApiKey, ApiKeys, MAX_API_KEYS, TooManyKeys},
};
use async_trait::async_trait;
use chinwag_shared::Username;
use redis::Script;
use std::sync::LazyLock;

/// KEYS: the index, the key's hash. ARGV: 1 the bound, 2 id, 3 digest, 4 name, 5 scopes, 6
/// created_by, 7 created. Returns 1, or 0 if the server holds the bound already.
static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[2], 'id', ARGV[2], 'name', ARGV[4], 'scopes', ARGV[5], 'created_by', ARGV[6], 'created', ARGV[7])
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
return 1
",
    )
});

/// KEYS: the index. ARGV: the id, the key hash prefix. Deletes the key; returns its digest,
/// or nil if there is none.
static REVOKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local digest = redis.call('HGET', KEYS[1], ARGV[1])
if not digest then
  return false
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', ARGV[2] .. digest)
return digest
",
    )
});

/// A key's hash fields as read: id, name, scopes, created_by, created.
type KeyFields = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<u64>,
);

/// The hash's fields as a key; `None` if it is gone (revoked between two reads) or was not
/// written by Chinwag.
fn key_of(fields: KeyFields) -> Result<Option<ApiKey>, StoreError> {
    let (Some(id), Some(name), Some(scopes), Some(created_by), Some(created)) = fields else {
        return Ok(None);
    };
    let Some(scopes) = ApiKey::parse_scopes(&scopes) else {
        return Ok(None);
    };
    Ok(Some(ApiKey {
        id,
        name,
        scopes,
        created_by: stored(&created_by, Username::parse)?,
        created,
    }))
}

/// `HMGET` of the fields [`key_of`] reads, of the key with `digest`.
fn fields(digest: &str) -> redis::Cmd {
    let mut command = redis::cmd("HMGET");
    command
        .arg(keys::api_key(digest))
        .arg("id")
        .arg("name")
        .arg("scopes")
        .arg("created_by")
        .arg("created");
    command
}

#[async_trait]
impl ApiKeys for RedisAccounts {
    async fn create_api_key(
        &self,
        digest: &str,
        key: &ApiKey,
    ) -> Result<Result<(), TooManyKeys>, StoreError> {
        let mut invocation = CREATE.prepare_invoke();
        invocation
            .key(keys::api_keys())
            .key(keys::api_key(digest))
            .arg(MAX_API_KEYS)
            .arg(&key.id)
            .arg(digest)
            .arg(&key.name)
            .arg(key.scopes_text())
            .arg(key.created_by.as_str())
            .arg(key.created);
        let created: i64 = write(&self.link, invocation).await?;
        Ok(if created == 1 {
            Ok(())
        } else {
            Err(TooManyKeys)
        })
    }

    async fn api_key(&self, digest: &str) -> Result<Option<ApiKey>, StoreError> {
        key_of(read(&self.link, &fields(digest)).await?)
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let mut index = redis::cmd("HVALS");
        index.arg(keys::api_keys());
        let digests: Vec<String> = read(&self.link, &index).await?;
        if digests.is_empty() {
            return Ok(Vec::new());
        }
        let mut all = redis::pipe();
        for digest in &digests {
            all.add_command(fields(digest));
        }
        let rows: Vec<KeyFields> = read_all(&self.link, &all).await?;
        let mut listed = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(key) = key_of(row)? {
                listed.push(key);
            }
        }
        listed.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(listed)
    }

    async fn revoke_api_key(&self, id: &str) -> Result<Option<String>, StoreError> {
        if !ApiKey::is_id(id) {
            return Ok(None);
        }
        let mut invocation = REVOKE.prepare_invoke();
        invocation
            .key(keys::api_keys())
            .arg(id.to_ascii_lowercase())
            .arg(keys::api_key_prefix());
        write(&self.link, invocation).await
    }
}
