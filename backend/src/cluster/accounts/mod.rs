//! The Redis engine's directory ([`Accounts`]): accounts, credentials, private rooms and
//! their members, shared by every node on one Redis, so an account made through one node signs
//! in through all of them.
//!
//! Identity (`auth`) and the hub's access rule call it through the trait, exactly as they call
//! the SQLite directory, which is the reference for every behaviour here. The keys
//! ([`keys`] builds each name):
//!
//! - `chinwag:accounts:last-id`: the counter account ids are drawn from (`INCR`; never reused);
//! - `chinwag:name:{name key}`: the id of the account owning that [`chinwag_shared::NameKey`];
//! - `chinwag:account:{id}`: a hash with `name`, `password_hash`, `created` (Unix ms) and,
//!   while an operator has it disabled, `disabled` (`1`);
//! - `chinwag:accounts:by-key`: every account's name key, for listing in key order
//!   ([`listing`]);
//! - `chinwag:credential:{digest}`: a hash with `account`, `kind`, `name`, `created` and, if
//!   it expires, `expires`; such a key also lapses ([`credentials`]);
//! - `chinwag:sessions:{id}` and `chinwag:tokens:{id}`: sorted sets of an account's digests;
//! - `chinwag:private:{room}`: a hash with `dm` (`1`/`0`) and, unless a DM, `owner`: its
//!   existence is what makes the room private;
//! - `chinwag:members:{room}` and `chinwag:member-of:{id}`: the same membership, both ways;
//! - `chinwag:api-keys` (key id → digest) and `chinwag:api-key:{digest}`: the server API's
//!   keys ([`api_keys`]).
//!
//! Invariants, each kept by one Lua script (Redis runs a script alone, so its check and its
//! writes are one step): a name key is taken once, by the script that also writes the account
//! (two nodes signing up look-alikes: exactly one wins); a room is made private only if it has
//! no `seq` (no message, see [`super::log`]) and is not private yet, in the step that gives it
//! `seq` 0, so it exists from then on and never enters the public room list; a member is in
//! both membership sets or neither. Scripts that draw an id or walk an index append it to a
//! key prefix they are handed, so, like the log's scripts, they need one Redis, not a Redis
//! Cluster. A Redis failure is [`StoreError::Redis`]; a stored name that no longer validates
//! is [`crate::store::Corrupt`], and a field missing or not a number is a Redis type error.

mod api_keys;
mod credentials;
pub mod keys;
mod listing;
mod private_rooms;

use super::Link;
use crate::store::{
    Corrupt, RedisError, StoreError,
    accounts::{
        Account, AccountId, AccountTaken, Accounts, Credential, CredentialKind, MAX_ACCOUNTS_PAGE,
        MemberRoom, NameOwned, NewCredential, PrivateRoom, RoomAccess, RoomExists, TokenListing,
    },
};
use async_trait::async_trait;
use chinwag_shared::{NameKey, RoomName, Username, ValidationError};
use redis::{Cmd, FromRedisValue, Pipeline, Script, ScriptInvocation};
use std::sync::{
    LazyLock,
    atomic::{AtomicBool, Ordering},
};

/// KEYS: the name key, the id counter, the index by name key. ARGV: the account key prefix,
/// the name, the password hash, created (Unix ms), the bare name key. Returns the new
/// account's id, or nil if the name key is taken.
static CREATE_ACCOUNT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return false
end
local id = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], id)
redis.call('HSET', ARGV[1] .. id, 'name', ARGV[2], 'password_hash', ARGV[3], 'created', ARGV[4])
redis.call('ZADD', KEYS[3], 0, ARGV[5])
return id
",
    )
});

/// KEYS: the name key, the account, the id counter, the index by name key. ARGV: the id, the
/// name, the password hash, created (Unix ms), `1` if disabled, the bare name key. Writes the
/// account at the id given unless the name key or the id is taken (returns 0, writing
/// nothing), and moves the counter up to it, so ids drawn later come after.
static RESTORE_ACCOUNT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'name', ARGV[2], 'password_hash', ARGV[3], 'created', ARGV[4])
if ARGV[5] == '1' then
  redis.call('HSET', KEYS[2], 'disabled', '1')
end
redis.call('ZADD', KEYS[4], 0, ARGV[6])
if tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[3]) or '0') then
  redis.call('SET', KEYS[3], ARGV[1])
end
return 1
",
    )
});

/// KEYS: the account. ARGV: the new hash. Writes nothing for an account that does not exist,
/// so a stray call never leaves a hash without a name.
static SET_PASSWORD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'password_hash', ARGV[1])
end
return 0
",
    )
});

/// KEYS: the account. ARGV: `1` to disable, `0` to enable. Returns 1 if that changed the
/// account, 0 if it was so already or does not exist (nothing is written then).
static SET_DISABLED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local was = redis.call('HGET', KEYS[1], 'disabled') == '1'
if ARGV[1] == '1' and not was then
  redis.call('HSET', KEYS[1], 'disabled', '1')
  return 1
elseif ARGV[1] == '0' and was then
  redis.call('HDEL', KEYS[1], 'disabled')
  return 1
end
return 0
",
    )
});

/// The fields of an account's hash, as [`account_fields`] asks for them.
type AccountFields = (Option<String>, Option<String>, Option<u64>, Option<String>);

/// `HMGET` of the fields [`account_of`] reads, in its order.
fn account_fields(id: &str) -> Cmd {
    let mut query = redis::cmd("HMGET");
    query
        .arg(keys::account(id))
        .arg("name")
        .arg("password_hash")
        .arg("created")
        .arg("disabled");
    query
}

/// The account `id` from its hash's fields; `None` if it has no hash.
fn account_of(id: &str, fields: AccountFields) -> Result<Option<Account>, StoreError> {
    let (name, hash, created, disabled) = fields;
    let Some(name) = name else {
        return Ok(None);
    };
    let key = || keys::account(id);
    Ok(Some(Account {
        id: AccountId::new(id),
        name: stored(&name, Username::parse)?,
        password_hash: hash.ok_or_else(|| missing(&key(), "password_hash"))?,
        created: created.ok_or_else(|| missing(&key(), "created"))?,
        disabled: disabled.as_deref() == Some("1"),
    }))
}

/// The directory in Redis.
pub struct RedisAccounts {
    link: Link,
    /// Whether the name key index is known to hold every account (see
    /// [`listing::backfill`]); checked once per process, at the first listing.
    indexed: AtomicBool,
}

impl RedisAccounts {
    /// The directory on `link`.
    pub fn new(link: Link) -> Self {
        Self {
            link,
            indexed: AtomicBool::new(false),
        }
    }

    /// The account with id `id`, if its hash exists.
    async fn account_at(&self, id: &str) -> Result<Option<Account>, StoreError> {
        account_of(id, read(&self.link, &account_fields(id)).await?)
    }
}

/// Runs a read-only `command` (retried once after a lost connection).
async fn read<T: FromRedisValue>(link: &Link, command: &Cmd) -> Result<T, StoreError> {
    Ok(link
        .read(|mut conn| async move { command.query_async(&mut conn).await })
        .await?)
}

/// Runs a read-only `pipeline` (retried once after a lost connection).
async fn read_all<T: FromRedisValue>(link: &Link, pipeline: &Pipeline) -> Result<T, StoreError> {
    Ok(link
        .read(|mut conn| async move { pipeline.query_async(&mut conn).await })
        .await?)
}

/// Runs a script that writes: never retried, as for every write of the engine.
async fn write<T: FromRedisValue>(
    link: &Link,
    invocation: ScriptInvocation<'_>,
) -> Result<T, StoreError> {
    Ok(link
        .call(|mut conn| async move { invocation.invoke_async(&mut conn).await })
        .await?)
}

/// A stored name read back through its validation, as the SQLite directory does.
fn stored<T>(raw: &str, parse: fn(&str) -> Result<T, ValidationError>) -> Result<T, StoreError> {
    parse(raw).map_err(|reason| {
        Corrupt::Value {
            raw: raw.to_owned(),
            reason,
        }
        .into()
    })
}

/// A field every hash of its kind has is missing from `key`: written by something other
/// than Chinwag. Reported as Redis's own answer to a value of the wrong shape is.
fn missing(key: &str, field: &'static str) -> StoreError {
    let detail = format!("{key} has no {field}");
    let err = redis::RedisError::from((
        redis::ErrorKind::UnexpectedReturnType,
        "directory entry incomplete",
        detail,
    ));
    RedisError::Refused(err).into()
}

#[async_trait]
impl Accounts for RedisAccounts {
    async fn create_account(
        &self,
        name: &Username,
        password_hash: &str,
        now: u64,
    ) -> Result<Result<Account, NameOwned>, StoreError> {
        let mut invocation = CREATE_ACCOUNT.prepare_invoke();
        invocation
            .key(keys::name(&name.hold_key()))
            .key(keys::last_account_id())
            .key(keys::accounts_by_key())
            .arg(keys::account_prefix())
            .arg(name.as_str())
            .arg(password_hash)
            .arg(now)
            .arg(name.hold_key().as_str());
        let id: Option<u64> = write(&self.link, invocation).await?;
        Ok(id.map_or(Err(NameOwned), |id| {
            Ok(Account {
                id: AccountId::new(id.to_string()),
                name: name.clone(),
                password_hash: password_hash.to_owned(),
                created: now,
                disabled: false,
            })
        }))
    }

    async fn restore_account(
        &self,
        account: &Account,
    ) -> Result<Result<(), AccountTaken>, StoreError> {
        let name_key = account.name.hold_key();
        let mut invocation = RESTORE_ACCOUNT.prepare_invoke();
        invocation
            .key(keys::name(&name_key))
            .key(keys::account(account.id.as_str()))
            .key(keys::last_account_id())
            .key(keys::accounts_by_key())
            .arg(account.id.as_str())
            .arg(account.name.as_str())
            .arg(&account.password_hash)
            .arg(account.created)
            .arg(if account.disabled { "1" } else { "0" })
            .arg(name_key.as_str());
        let restored: i64 = write(&self.link, invocation).await?;
        Ok(if restored == 1 {
            Ok(())
        } else {
            Err(AccountTaken)
        })
    }

    async fn account_by_key(&self, key: &NameKey) -> Result<Option<Account>, StoreError> {
        let name_key = keys::name(key);
        let mut owner = redis::cmd("GET");
        owner.arg(&name_key);
        let Some(id) = read::<Option<String>>(&self.link, &owner).await? else {
            return Ok(None);
        };
        // The sign-up script writes the name key and the account together, and accounts are
        // never deleted: a key naming no account was not written by Chinwag.
        self.account_at(&id)
            .await?
            .map(Some)
            .ok_or_else(|| missing(&name_key, "account"))
    }

    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        self.account_at(id.as_str()).await
    }

    async fn list_accounts(
        &self,
        query: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Account>, StoreError> {
        if !self.indexed.load(Ordering::Relaxed) {
            listing::backfill(&self.link).await?;
            self.indexed.store(true, Ordering::Relaxed);
        }
        listing::list(&self.link, query, after, limit.min(MAX_ACCOUNTS_PAGE)).await
    }

    async fn set_disabled(&self, id: &AccountId, disabled: bool) -> Result<bool, StoreError> {
        let mut invocation = SET_DISABLED.prepare_invoke();
        invocation
            .key(keys::account(id.as_str()))
            .arg(if disabled { "1" } else { "0" });
        Ok(write::<i64>(&self.link, invocation).await? == 1)
    }

    async fn set_password(&self, id: &AccountId, password_hash: &str) -> Result<(), StoreError> {
        let mut invocation = SET_PASSWORD.prepare_invoke();
        invocation
            .key(keys::account(id.as_str()))
            .arg(password_hash);
        write::<i64>(&self.link, invocation).await?;
        Ok(())
    }

    async fn create_credential(&self, credential: NewCredential) -> Result<(), StoreError> {
        credentials::create(&self.link, credential).await
    }

    async fn credential(&self, digest: &str) -> Result<Option<Credential>, StoreError> {
        credentials::find(&self.link, digest).await
    }

    async fn revoke_credential(&self, digest: &str) -> Result<(), StoreError> {
        credentials::revoke(&self.link, digest).await
    }

    async fn revoke_all(
        &self,
        account: &AccountId,
        kind: CredentialKind,
        keep: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        credentials::revoke_all(&self.link, account, kind, keep).await
    }

    async fn tokens(&self, account: &AccountId) -> Result<Vec<TokenListing>, StoreError> {
        credentials::tokens(&self.link, account).await
    }

    async fn revoke_token(
        &self,
        account: &AccountId,
        id: &str,
    ) -> Result<Option<String>, StoreError> {
        credentials::revoke_token(&self.link, account, id).await
    }

    async fn create_private_room(
        &self,
        room: &RoomName,
        private: &PrivateRoom,
    ) -> Result<Result<(), RoomExists>, StoreError> {
        private_rooms::create(&self.link, room, private).await
    }

    async fn room_access(&self, room: &RoomName) -> Result<RoomAccess, StoreError> {
        private_rooms::access(&self.link, room).await
    }

    async fn set_member(
        &self,
        room: &RoomName,
        account: &AccountId,
        member: bool,
    ) -> Result<(), StoreError> {
        private_rooms::set_member(&self.link, room, account, member).await
    }

    async fn rooms_of(&self, account: &AccountId) -> Result<Vec<MemberRoom>, StoreError> {
        private_rooms::rooms_of(&self.link, account).await
    }
}
