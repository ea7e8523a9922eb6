//! Listing accounts in Redis, in name key order, as the SQLite directory lists them.
//!
//! The index is `chinwag:accounts:by-key`: a sorted set of every account's name key, all at
//! score 0, so Redis orders them by their bytes (the order of SQLite's `name_key` index) and
//! `ZRANGEBYLEX` walks them from just after any key. The sign-up script adds each new key in
//! the step that takes it. Accounts made before the index existed are added by [`backfill`],
//! once per process: account ids are drawn from a counter and accounts are never deleted, so
//! the index is whole exactly when it holds as many keys as the counter has drawn ids.
//!
//! A search filters names through [`name_matches`] here, in Rust (Lua cannot lowercase
//! Unicode), reading the index [`SCAN_KEYS`] keys at a time, so memory stays bounded however
//! many accounts there are and however few match.

use super::{AccountFields, account_fields, account_of, keys, read, read_all, stored};
use crate::{
    cluster::Link,
    store::{
        StoreError,
        accounts::{Account, name_matches},
    },
};
use chinwag_shared::{NameKey, Username};

/// Index entries (and accounts) read per round trip.
const SCAN_KEYS: usize = 256;

/// Up to `limit` accounts whose names match `query`, in name key order after `after`.
pub(super) async fn list(
    link: &Link,
    query: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Account>, StoreError> {
    let mut found = Vec::new();
    let mut from = after.map_or_else(|| "-".to_owned(), |after| format!("({after}"));
    while found.len() < limit {
        let mut range = redis::cmd("ZRANGEBYLEX");
        range
            .arg(keys::accounts_by_key())
            .arg(&from)
            .arg("+")
            .arg("LIMIT")
            .arg(0)
            .arg(SCAN_KEYS);
        let name_keys: Vec<String> = read(link, &range).await?;
        let Some(last) = name_keys.last() else {
            break;
        };
        from = format!("({last}");
        let mut owners = redis::pipe();
        for name_key in &name_keys {
            owners
                .cmd("GET")
                .arg(keys::name(&NameKey::from_stored(name_key)));
        }
        let ids: Vec<Option<String>> = read_all(link, &owners).await?;
        let ids: Vec<String> = ids.into_iter().flatten().collect();
        let mut hashes = redis::pipe();
        for id in &ids {
            hashes.add_command(account_fields(id));
        }
        let fields: Vec<AccountFields> = read_all(link, &hashes).await?;
        for (id, fields) in ids.iter().zip(fields) {
            let Some(account) = account_of(id, fields)? else {
                continue;
            };
            if query.is_none_or(|query| name_matches(&account.name, query)) {
                found.push(account);
                if found.len() == limit {
                    break;
                }
            }
        }
        if name_keys.len() < SCAN_KEYS {
            break;
        }
    }
    Ok(found)
}

/// Adds to the index the name key of every account it lacks, if it lacks any: a store
/// written before the index existed. Idempotent (`ZADD` of a key already there changes
/// nothing), so two nodes doing it at once is harmless.
pub(super) async fn backfill(link: &Link) -> Result<(), StoreError> {
    let mut counts = redis::pipe();
    counts
        .cmd("ZCARD")
        .arg(keys::accounts_by_key())
        .cmd("GET")
        .arg(keys::last_account_id());
    let (indexed, drawn): (u64, Option<u64>) = read_all(link, &counts).await?;
    let drawn = drawn.unwrap_or(0);
    if indexed >= drawn {
        return Ok(());
    }
    let mut first = 1;
    while first <= drawn {
        let last = drawn.min(first + SCAN_KEYS as u64 - 1);
        let mut names = redis::pipe();
        for id in first..=last {
            names
                .cmd("HGET")
                .arg(keys::account(&id.to_string()))
                .arg("name");
        }
        let found: Vec<Option<String>> = read_all(link, &names).await?;
        let mut add = redis::cmd("ZADD");
        add.arg(keys::accounts_by_key());
        let mut any = false;
        for name in found.iter().flatten() {
            let name = stored(name, Username::parse)?;
            add.arg(0).arg(name.hold_key().as_str());
            any = true;
        }
        if any {
            link.read(|mut conn| {
                let add = add.clone();
                async move { add.query_async::<()>(&mut conn).await }
            })
            .await?;
        }
        first = last + 1;
    }
    Ok(())
}
