//! Listing, searching and disabling accounts in the Redis directory, as the SQLite directory
//! does them: pages in name key order, a case-blind search that reads past the first scan
//! step, and an index rebuilt for accounts made before it existed.

use super::*;
use chinwag_backend::store::accounts::{Account, AccountTaken};

/// 300 `userNNN` accounts (more than one scan step), then `Zed`, `ZEDDY` and `Иван`,
/// created at 1000 + their order.
async fn crowd(directory: &RedisAccounts) {
    let mut names: Vec<String> = (0..300).map(|n| format!("user{n:03}")).collect();
    names.extend(["Zed", "ZEDDY", "Иван"].map(str::to_owned));
    for (at, text) in names.iter().enumerate() {
        directory
            .create_account(&name(text), "$argon2id$h", 1000 + at as u64)
            .await
            .unwrap()
            .unwrap();
    }
}

fn names(found: Vec<Account>) -> Vec<String> {
    found
        .into_iter()
        .map(|account| account.name.to_string())
        .collect()
}

/// Every account, page by page of `size`.
async fn every_page(directory: &RedisAccounts, size: usize) -> Vec<Account> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..20 {
        let page = directory
            .list_accounts(None, after.as_deref(), size)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        assert!(page.len() <= size);
        after = Some(last.name.hold_key().as_str().to_owned());
        seen.extend(page);
    }
    seen
}

#[tokio::test]
async fn accounts_are_listed_by_name_key_in_pages_and_searched_without_regard_to_case() {
    let redis = Redis::start().await;
    let directory = directory(&redis);
    crowd(&directory).await;

    let seen = every_page(&directory, 128).await;
    assert_eq!(seen.len(), 303, "every account once");
    let keys: Vec<String> = seen
        .iter()
        .map(|account| account.name.hold_key().as_str().to_owned())
        .collect();
    assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "by name key");
    let zed = seen.iter().find(|a| a.name.as_str() == "Zed").unwrap();
    assert_eq!((zed.created, zed.disabled), (1300, false));

    assert_eq!(
        names(
            directory
                .list_accounts(Some("USER29"), None, 50)
                .await
                .unwrap()
        ),
        by_key((290..300).map(|n| format!("user{n}"))),
        "matches found past the first scan step, by key (digits fold: 0 is o)"
    );
    assert_eq!(
        names(
            directory
                .list_accounts(Some("zed"), None, 50)
                .await
                .unwrap()
        ),
        ["Zed", "ZEDDY"]
    );
    assert_eq!(
        names(directory.list_accounts(Some("zed"), None, 1).await.unwrap()),
        ["Zed"],
        "the limit holds"
    );
    let zed_key = name("Zed").hold_key();
    assert_eq!(
        names(
            directory
                .list_accounts(Some("zed"), Some(zed_key.as_str()), 50)
                .await
                .unwrap()
        ),
        ["ZEDDY"],
        "the next page starts after the key given"
    );
    assert_eq!(
        names(
            directory
                .list_accounts(Some("иВАН"), None, 50)
                .await
                .unwrap()
        ),
        ["Иван"]
    );
    assert!(
        directory
            .list_accounts(Some("nobody"), None, 50)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn accounts_made_before_the_index_existed_are_listed_too() {
    let redis = Redis::start().await;
    crowd(&directory(&redis)).await;
    // As a store written by the version before the index: the same keys, no index.
    let mut conn = ::redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = conn.del("chinwag:accounts:by-key").await.unwrap();

    let fresh = directory(&redis);
    let seen = every_page(&fresh, 200).await;
    assert_eq!(seen.len(), 303);
    let count: u64 = conn.zcard("chinwag:accounts:by-key").await.unwrap();
    assert_eq!(count, 303, "the index is whole again");
}

#[tokio::test]
async fn an_account_is_disabled_and_enabled_once_each() {
    let redis = Redis::start().await;
    let directory = directory(&redis);
    let ada = directory
        .create_account(&name("ada"), "$argon2id$h", 7)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((ada.created, ada.disabled), (7, false));
    assert!(directory.set_disabled(&ada.id, true).await.unwrap());
    assert!(
        !directory.set_disabled(&ada.id, true).await.unwrap(),
        "already"
    );
    assert!(directory.account(&ada.id).await.unwrap().unwrap().disabled);
    let by_key = directory
        .account_by_key(&name("ADA").hold_key())
        .await
        .unwrap();
    assert!(by_key.unwrap().disabled);
    let listed = directory.list_accounts(Some("ada"), None, 5).await.unwrap();
    assert!(listed[0].disabled);
    assert!(directory.set_disabled(&ada.id, false).await.unwrap());
    assert!(!directory.set_disabled(&ada.id, false).await.unwrap());
    assert_eq!(directory.account(&ada.id).await.unwrap(), Some(ada));
    assert!(
        !directory.set_disabled(&id("999"), true).await.unwrap(),
        "no such account: nothing changed, nothing written"
    );
    let mut conn = ::redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let exists: bool = conn.exists("chinwag:account:999").await.unwrap();
    assert!(!exists);
}

/// `names` in name key order.
fn by_key(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = names.collect();
    names.sort_by_key(|text| name(text).hold_key());
    names
}

#[tokio::test]
async fn a_restored_account_keeps_its_id_and_later_sign_ups_come_after_it() {
    let redis = Redis::start().await;
    let directory = directory(&redis);
    let ada = Account {
        id: id("7"),
        name: name("Ada"),
        password_hash: "$argon2id$h".to_owned(),
        created: 42,
        disabled: true,
    };
    assert_eq!(directory.restore_account(&ada).await.unwrap(), Ok(()));
    assert_eq!(directory.account(&ada.id).await.unwrap(), Some(ada.clone()));
    let same_id = Account {
        name: name("zed"),
        ..ada.clone()
    };
    assert_eq!(
        directory.restore_account(&same_id).await.unwrap(),
        Err(AccountTaken)
    );
    let look_alike = Account {
        id: id("9"),
        name: name("ADA"),
        ..ada.clone()
    };
    assert_eq!(
        directory.restore_account(&look_alike).await.unwrap(),
        Err(AccountTaken)
    );
    assert_eq!(directory.account(&id("9")).await.unwrap(), None);
    assert_eq!(sign_up(&directory, "bob").await, id("8"));
    assert_eq!(
        names(directory.list_accounts(None, None, 10).await.unwrap()),
        ["Ada", "bob"]
    );
}
