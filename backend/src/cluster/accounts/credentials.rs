//! Credentials in Redis: one hash per digest, and per account one sorted set of digests per
//! kind, which listings and "sign out everywhere" walk.
//!
//! [`super::RedisAccounts`] calls these for `auth`'s sign-in, sign-out and token routes. Only
//! the digest of a secret is ever stored (the caller hands it in). An expiring credential's
//! key lapses on its own ([`LAPSE_AFTER_EXPIRY`] after it expires), so expired sessions never
//! pile up; its index entry is scored by that same instant, and each new credential prunes
//! the entries past theirs. An entry whose key lapsed before being pruned names nothing: every
//! reader skips it. Invariant: a credential is listed, revoked and returned only while its
//! key exists, so what [`revoke_all`] returns was really deleted.

use super::{keys, read, read_all, write};
use crate::{
    cluster::Link,
    store::{
        StoreError,
        accounts::{
            AccountId, Credential, CredentialKind, MAX_SESSIONS_PER_ACCOUNT, NewCredential,
            TOKEN_ID_CHARS, TokenListing,
        },
    },
};
use chinwag_shared::Username;
use redis::Script;
use std::{sync::LazyLock, time::Duration};

/// How long an expired credential's key outlives its expiry. Nodes compare `expires` with
/// their own clock, Redis lapses keys by its clock: the margin keeps a node whose clock is
/// behind from finding a session gone while it still thinks it valid, so expiry is decided
/// by the caller (as the trait says) and the lapse only collects the garbage.
pub const LAPSE_AFTER_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// KEYS: the credential, its account's index of that kind. ARGV: 1 digest, 2 account, 3 kind,
/// 4 name, 5 created, 6 expires ('' if never), 7 when the key lapses ('' if never), 8 how many
/// the index keeps at most (0: no cap), 9 the credential key prefix. Writes the hash and
/// indexes it, prunes index entries that lapsed before `created`, ends the oldest past the
/// cap (sessions: `MAX_SESSIONS_PER_ACCOUNT`), and lets the index itself lapse with its last
/// entry (or never, while it holds one that does not expire).
static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('HSET', KEYS[1], 'account', ARGV[2], 'kind', ARGV[3], 'name', ARGV[4], 'created', ARGV[5])
local score = '+inf'
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'expires', ARGV[6])
  redis.call('PEXPIREAT', KEYS[1], ARGV[7])
  score = ARGV[7]
end
redis.call('ZADD', KEYS[2], score, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[5])
local cap = tonumber(ARGV[8])
if cap > 0 then
  local over = redis.call('ZCARD', KEYS[2]) - cap
  if over > 0 then
    for _, old in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do
      redis.call('ZREM', KEYS[2], old)
      redis.call('DEL', ARGV[9] .. old)
    end
  end
end
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if last[2] == 'inf' then
  redis.call('PERSIST', KEYS[2])
elseif last[2] then
  redis.call('PEXPIREAT', KEYS[2], last[2])
end
return 1
",
    )
});

/// KEYS: an index. ARGV: the credential key prefix, the digest to keep ('' for none).
/// Deletes every other credential of the index; returns the digests whose keys existed.
static REVOKE_ALL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local removed = {}
for _, digest in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if digest ~= ARGV[2] then
    redis.call('ZREM', KEYS[1], digest)
    if redis.call('DEL', ARGV[1] .. digest) == 1 then
      removed[#removed + 1] = digest
    end
  end
end
return removed
",
    )
});

/// KEYS: an account's token index. ARGV: the credential key prefix, the listing id (lower
/// case), its length. Deletes the token whose digest starts with the id; returns its digest,
/// or nil if there is none.
static REVOKE_TOKEN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local length = tonumber(ARGV[3])
for _, digest in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(digest, 1, length) == ARGV[2] then
    redis.call('ZREM', KEYS[1], digest)
    if redis.call('DEL', ARGV[1] .. digest) == 1 then
      return digest
    end
  end
end
return false
",
    )
});

/// Stores `credential` and indexes it under its account.
pub(super) async fn create(link: &Link, credential: NewCredential) -> Result<(), StoreError> {
    let lapse = LAPSE_AFTER_EXPIRY.as_millis();
    let (expires, lapses) = match credential.expires {
        Some(at) => (at.to_string(), (u128::from(at) + lapse).to_string()),
        None => (String::new(), String::new()),
    };
    let mut invocation = CREATE.prepare_invoke();
    invocation
        .key(keys::credential(&credential.digest))
        .key(keys::credentials_of(
            credential.account.as_str(),
            credential.kind,
        ))
        .arg(&credential.digest)
        .arg(credential.account.as_str())
        .arg(credential.kind.as_str())
        .arg(&credential.name)
        .arg(credential.created)
        .arg(expires)
        .arg(lapses)
        .arg(match credential.kind {
            CredentialKind::Session => MAX_SESSIONS_PER_ACCOUNT,
            CredentialKind::AccessToken => 0,
        })
        .arg(keys::credential_prefix());
    write::<i64>(link, invocation).await?;
    Ok(())
}

/// The credential `digest`, with its account's name; `None` if there is none, or it is of a
/// kind this version does not know, or its account is gone (as the SQLite join would say).
pub(super) async fn find(link: &Link, digest: &str) -> Result<Option<Credential>, StoreError> {
    let mut query = redis::cmd("HMGET");
    query
        .arg(keys::credential(digest))
        .arg("account")
        .arg("kind")
        .arg("expires");
    let (account, kind, expires): (Option<String>, Option<String>, Option<u64>) =
        read(link, &query).await?;
    let (Some(account), Some(kind)) = (account, kind.as_deref().and_then(CredentialKind::parse))
    else {
        return Ok(None);
    };
    let mut name = redis::cmd("HGET");
    name.arg(keys::account(&account)).arg("name");
    let Some(name) = read::<Option<String>>(link, &name).await? else {
        return Ok(None);
    };
    Ok(Some(Credential {
        account: AccountId::new(account),
        name: super::stored(&name, Username::parse)?,
        kind,
        expires,
    }))
}

/// Deletes the credential `digest` and its index entry; nothing to do if it is gone.
pub(super) async fn revoke(link: &Link, digest: &str) -> Result<(), StoreError> {
    let key = keys::credential(digest);
    let mut query = redis::cmd("HMGET");
    query.arg(&key).arg("account").arg("kind");
    let (account, kind): (Option<String>, Option<String>) = read(link, &query).await?;
    let mut delete = redis::pipe();
    delete.atomic().del(&key).ignore();
    // A hash's account and kind never change (a digest is made once), so the index read
    // above is still the one to clean.
    if let (Some(account), Some(kind)) = (account, kind.as_deref().and_then(CredentialKind::parse))
    {
        delete
            .zrem(keys::credentials_of(&account, kind), digest)
            .ignore();
    }
    link.call(|mut conn| async move { delete.query_async::<()>(&mut conn).await })
        .await?;
    Ok(())
}

/// Deletes every credential of `account` of `kind` but `keep`; returns the digests deleted.
pub(super) async fn revoke_all(
    link: &Link,
    account: &AccountId,
    kind: CredentialKind,
    keep: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    let mut invocation = REVOKE_ALL.prepare_invoke();
    invocation
        .key(keys::credentials_of(account.as_str(), kind))
        .arg(keys::credential_prefix())
        .arg(keep.unwrap_or_default());
    write(link, invocation).await
}

/// `account`'s access tokens, oldest first (ties by digest, as SQLite orders them).
pub(super) async fn tokens(
    link: &Link,
    account: &AccountId,
) -> Result<Vec<TokenListing>, StoreError> {
    let mut index = redis::cmd("ZRANGE");
    index
        .arg(keys::credentials_of(
            account.as_str(),
            CredentialKind::AccessToken,
        ))
        .arg(0)
        .arg(-1);
    let digests: Vec<String> = read(link, &index).await?;
    if digests.is_empty() {
        return Ok(Vec::new());
    }
    let mut fields = redis::pipe();
    for digest in &digests {
        fields
            .cmd("HMGET")
            .arg(keys::credential(digest))
            .arg("name")
            .arg("created");
    }
    let rows: Vec<(Option<String>, Option<u64>)> = read_all(link, &fields).await?;
    let mut listed: Vec<(u64, String, String)> = digests
        .into_iter()
        .zip(rows)
        .filter_map(|(digest, row)| match row {
            (Some(name), Some(created)) => Some((created, digest, name)),
            _ => None, // lapsed or revoked since the index was read
        })
        .collect();
    listed.sort();
    Ok(listed
        .into_iter()
        .map(|(created, digest, name)| TokenListing {
            id: digest.chars().take(TOKEN_ID_CHARS).collect(),
            name,
            created,
        })
        .collect())
}

/// Deletes `account`'s access token listed as `id`; returns its digest.
pub(super) async fn revoke_token(
    link: &Link,
    account: &AccountId,
    id: &str,
) -> Result<Option<String>, StoreError> {
    if !is_listing_id(id) {
        return Ok(None);
    }
    let mut invocation = REVOKE_TOKEN.prepare_invoke();
    invocation
        .key(keys::credentials_of(
            account.as_str(),
            CredentialKind::AccessToken,
        ))
        .arg(keys::credential_prefix())
        .arg(id.to_ascii_lowercase())
        .arg(TOKEN_ID_CHARS);
    write(link, invocation).await
}

/// Whether `id` can name a token: exactly [`TOKEN_ID_CHARS`] hex digits. A shorter one must
/// not match a digest by prefix, and anything else names nothing.
fn is_listing_id(id: &str) -> bool {
    id.len() == TOKEN_ID_CHARS && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_full_length_hex_prefix_is_a_listing_id() {
        assert!(is_listing_id("0123456789abcdef"));
        assert!(is_listing_id("0123456789ABCDEF"));
        for bad in [
            "",
            "0123456789abcde",
            "0123456789abcdef0",
            "0123456789abcdeg",
            "0123456789abcd-f",
            "01234567\u{e9}9abcd",
        ] {
            assert!(!is_listing_id(bad), "{bad:?}");
        }
    }
}
