//! Listing, disabling and restoring accounts in the SQLite directory: pages by name key, a
//! case-blind search that reads past the first scan step, a disabled flag set once each
//! way, and a restored account that keeps its id.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{SqliteAccounts, SqliteStore, SyncMode};
use crate::{
    delivery::frame::ChatFrame,
    fanout::ChatPublisher,
    store::accounts::{AccountId, Accounts},
};
use chinwag_shared::Username;
use std::sync::Arc;

struct NoFanout;

impl ChatPublisher for NoFanout {
    fn publish_chat(&self, _chat: ChatFrame) {}
}

fn open(dir: &tempfile::TempDir) -> (SqliteStore, SqliteAccounts) {
    let path = dir.path().join("chinwag.db");
    let store = SqliteStore::open(&path, SyncMode::Normal, Arc::new(NoFanout)).unwrap();
    let directory = store.directory(&path).unwrap();
    (store, directory)
}

fn name(raw: &str) -> Username {
    Username::parse(raw).unwrap()
}

/// 300 `userNNN` accounts (more than one scan step of the listing), then `Zed`, `ZEDDY` and
/// `Иван`, created at 1000 + their order.
async fn crowd(accounts: &SqliteAccounts) {
    let mut names: Vec<String> = (0..300).map(|n| format!("user{n:03}")).collect();
    names.extend(["Zed", "ZEDDY", "Иван"].map(str::to_owned));
    for (at, text) in names.iter().enumerate() {
        accounts
            .create_account(&name(text), "hash", 1000 + at as u64)
            .await
            .unwrap()
            .unwrap();
    }
}

#[tokio::test]
async fn accounts_are_listed_by_name_key_in_pages_and_searched_without_regard_to_case() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, accounts) = open(&dir);
    crowd(&accounts).await;

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10 {
        let page = accounts
            .list_accounts(None, after.as_deref(), 128)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        assert!(page.len() <= 128);
        after = Some(last.name.hold_key().as_str().to_owned());
        seen.extend(page);
    }
    assert_eq!(seen.len(), 303, "every account once");
    let keys: Vec<String> = seen
        .iter()
        .map(|account| account.name.hold_key().as_str().to_owned())
        .collect();
    assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "by name key");
    let zed = seen
        .iter()
        .find(|account| account.name.as_str() == "Zed")
        .unwrap();
    assert_eq!((zed.created, zed.disabled), (1300, false));

    let names = |found: Vec<crate::store::accounts::Account>| -> Vec<String> {
        found
            .into_iter()
            .map(|account| account.name.to_string())
            .collect()
    };
    let late = accounts
        .list_accounts(Some("USER29"), None, 50)
        .await
        .unwrap();
    assert_eq!(
        names(late),
        by_key((290..300).map(|n| format!("user{n}"))),
        "matches found past the first scan step, by key (digits fold: 0 is o)"
    );
    assert_eq!(
        names(accounts.list_accounts(Some("zed"), None, 50).await.unwrap()),
        ["Zed", "ZEDDY"]
    );
    assert_eq!(
        names(accounts.list_accounts(Some("zed"), None, 1).await.unwrap()),
        ["Zed"],
        "the limit holds"
    );
    let zed_key = name("Zed").hold_key();
    assert_eq!(
        names(
            accounts
                .list_accounts(Some("zed"), Some(zed_key.as_str()), 50)
                .await
                .unwrap()
        ),
        ["ZEDDY"],
        "the next page starts after the key given"
    );
    assert_eq!(
        names(
            accounts
                .list_accounts(Some("иВАН"), None, 50)
                .await
                .unwrap()
        ),
        ["Иван"]
    );
    assert!(
        accounts
            .list_accounts(Some("nobody"), None, 50)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        accounts
            .list_accounts(None, None, 0)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_account_is_disabled_and_enabled_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, accounts) = open(&dir);
    let ada = accounts
        .create_account(&name("ada"), "hash", 7)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((ada.created, ada.disabled), (7, false));
    assert!(accounts.set_disabled(&ada.id, true).await.unwrap());
    assert!(
        !accounts.set_disabled(&ada.id, true).await.unwrap(),
        "already"
    );
    let found = accounts.account(&ada.id).await.unwrap().unwrap();
    assert!(found.disabled);
    let by_key = accounts
        .account_by_key(&name("ADA").hold_key())
        .await
        .unwrap();
    assert!(by_key.unwrap().disabled);
    assert!(accounts.set_disabled(&ada.id, false).await.unwrap());
    assert!(!accounts.set_disabled(&ada.id, false).await.unwrap());
    assert_eq!(accounts.account(&ada.id).await.unwrap(), Some(ada));
    assert!(
        !accounts
            .set_disabled(&AccountId::new("999"), true)
            .await
            .unwrap(),
        "no such account: nothing changed"
    );
}

/// `names` in name key order.
fn by_key(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = names.collect();
    names.sort_by_key(|text| name(text).hold_key());
    names
}

#[tokio::test]
async fn a_restored_account_keeps_its_id_and_later_sign_ups_come_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, accounts) = open(&dir);
    let ada = crate::store::accounts::Account {
        id: AccountId::new("7"),
        name: name("Ada"),
        password_hash: "$argon2id$h".to_owned(),
        created: 42,
        disabled: true,
    };
    assert_eq!(accounts.restore_account(&ada).await.unwrap(), Ok(()));
    assert_eq!(accounts.account(&ada.id).await.unwrap(), Some(ada.clone()));
    let taken = crate::store::accounts::AccountTaken;
    let same_id = crate::store::accounts::Account {
        name: name("zed"),
        ..ada.clone()
    };
    assert_eq!(
        accounts.restore_account(&same_id).await.unwrap(),
        Err(taken)
    );
    let look_alike = crate::store::accounts::Account {
        id: AccountId::new("9"),
        name: name("ADA"),
        ..ada.clone()
    };
    assert_eq!(
        accounts.restore_account(&look_alike).await.unwrap(),
        Err(taken)
    );
    assert_eq!(accounts.account(&AccountId::new("9")).await.unwrap(), None);
    let bob = accounts
        .create_account(&name("bob"), "hash", 1)
        .await
        .unwrap()
        .unwrap();
    // After the restored id (SQLite may skip the one a refused restore tried: ids are
    // never reused, not gapless).
    assert!(bob.id.as_str().parse::<u64>().unwrap() > 7, "{}", bob.id);
}
