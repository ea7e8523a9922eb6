//! The SQLite directory against its contract, on a real file: names owned up to look-alikes,
//! credentials by digest with the session cap, private rooms made only where no room is, and
//! kept out of the public room list.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{SqliteAccounts, SqliteStore, SyncMode};
use crate::{
    delivery::frame::ChatFrame,
    fanout::ChatPublisher,
    store::{
        Author, NewMessage, Store,
        accounts::{
            AccountId, Accounts, CredentialKind, MAX_SESSIONS_PER_ACCOUNT, NewCredential,
            PrivateRoom, RoomAccess, TOKEN_ID_CHARS,
        },
    },
};
use chinwag_shared::{MessageText, RoomName, Username};
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

fn credential(account: &AccountId, digest: String, created: u64) -> NewCredential {
    NewCredential {
        digest,
        account: account.clone(),
        kind: CredentialKind::Session,
        name: String::new(),
        created,
        expires: Some(u64::MAX / 2),
    }
}

#[tokio::test]
async fn a_name_is_owned_up_to_case_and_look_alikes() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, accounts) = open(&dir);
    let alice = accounts
        .create_account(&name("Coco"), "hash", 1)
        .await
        .unwrap()
        .unwrap();
    // `сосо` is all Cyrillic (a mixed-script `аlice` is refused as a name outright).
    for twin in ["coco", "COCO", "\u{441}\u{43e}\u{441}\u{43e}"] {
        assert!(
            accounts
                .create_account(&name(twin), "hash", 2)
                .await
                .unwrap()
                .is_err(),
            "{twin:?} is Coco's"
        );
        let found = accounts
            .account_by_key(&name(twin).hold_key())
            .await
            .unwrap();
        assert_eq!(found.map(|account| account.id), Some(alice.id.clone()));
    }
    assert!(
        accounts
            .create_account(&name("bob"), "hash", 3)
            .await
            .unwrap()
            .is_ok()
    );
}

#[tokio::test]
async fn credentials_are_found_by_digest_and_sessions_are_capped_per_account() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, accounts) = open(&dir);
    let ada = accounts
        .create_account(&name("ada"), "hash", 1)
        .await
        .unwrap()
        .unwrap();
    let total = MAX_SESSIONS_PER_ACCOUNT + 5;
    for n in 0..total {
        let digest = format!("{n:064x}");
        accounts
            .create_credential(credential(&ada.id, digest, n as u64))
            .await
            .unwrap();
    }
    let oldest = accounts.credential(&format!("{:064x}", 0)).await.unwrap();
    assert_eq!(oldest, None, "the oldest sessions end past the cap");
    let newest = accounts
        .credential(&format!("{:064x}", total - 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((newest.account, newest.name), (ada.id.clone(), name("ada")));
    let gone = accounts
        .revoke_all(
            &ada.id,
            CredentialKind::Session,
            Some(&format!("{:064x}", total - 1)),
        )
        .await
        .unwrap();
    assert_eq!(gone.len(), MAX_SESSIONS_PER_ACCOUNT - 1);
    assert!(
        accounts
            .credential(&format!("{:064x}", total - 1))
            .await
            .unwrap()
            .is_some(),
        "the one kept"
    );
}

#[tokio::test]
async fn a_token_is_revoked_by_its_listing_id_and_nothing_shorter() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, accounts) = open(&dir);
    let ada = accounts
        .create_account(&name("ada"), "hash", 1)
        .await
        .unwrap()
        .unwrap();
    let digest = "ab".repeat(32);
    accounts
        .create_credential(NewCredential {
            kind: CredentialKind::AccessToken,
            name: "bot".into(),
            expires: None,
            ..credential(&ada.id, digest.clone(), 5)
        })
        .await
        .unwrap();
    let listed = accounts.tokens(&ada.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id.len(), TOKEN_ID_CHARS);
    assert!(!listed[0].id.contains(&digest), "never the whole digest");
    for bad in ["", "ab", "%", &digest] {
        assert_eq!(
            accounts.revoke_token(&ada.id, bad).await.unwrap(),
            None,
            "{bad:?}"
        );
    }
    let other = AccountId::new("999");
    assert_eq!(
        accounts.revoke_token(&other, &listed[0].id).await.unwrap(),
        None,
        "someone else's id revokes nothing"
    );
    assert_eq!(
        accounts.revoke_token(&ada.id, &listed[0].id).await.unwrap(),
        Some(digest.clone())
    );
    assert_eq!(accounts.credential(&digest).await.unwrap(), None);
}

#[tokio::test]
async fn a_private_room_is_made_only_where_no_room_is_and_is_never_listed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, accounts) = open(&dir);
    let owner = AccountId::new("1");
    let ada = name("ada");
    store
        .append(NewMessage {
            room: RoomName::parse("lobby").unwrap(),
            author: Author::name(&ada),
            username: ada,
            text: MessageText::parse("hi").unwrap(),
            client_id: None,
            guest: true,
            bot: false,
        })
        .await
        .unwrap();
    let private = PrivateRoom {
        owner: Some(owner.clone()),
        members: [owner.clone()].into(),
        dm: false,
    };
    let lobby = RoomName::parse("lobby").unwrap();
    let secret = RoomName::parse("secret").unwrap();
    assert!(
        accounts
            .create_private_room(&lobby, &private)
            .await
            .unwrap()
            .is_err(),
        "a public room with messages stays public"
    );
    assert!(
        accounts
            .create_private_room(&secret, &private)
            .await
            .unwrap()
            .is_ok()
    );
    assert!(
        accounts
            .create_private_room(&secret, &private)
            .await
            .unwrap()
            .is_err(),
        "made once"
    );
    assert!(
        store.has_room(&secret).await.unwrap(),
        "it exists from its creation"
    );
    assert_eq!(
        accounts.room_access(&lobby).await.unwrap(),
        RoomAccess::Public
    );
    assert_eq!(
        accounts.room_access(&secret).await.unwrap(),
        RoomAccess::Private(private)
    );
    let listed: Vec<String> = store
        .rooms(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|summary| summary.room.to_string())
        .collect();
    assert_eq!(listed, ["lobby"]);
    let bob = AccountId::new("2");
    accounts.set_member(&secret, &bob, true).await.unwrap();
    let RoomAccess::Private(now) = accounts.room_access(&secret).await.unwrap() else {
        panic!("still private");
    };
    assert!(now.admits(&bob));
    accounts.set_member(&secret, &bob, false).await.unwrap();
    let RoomAccess::Private(now) = accounts.room_access(&secret).await.unwrap() else {
        panic!("still private");
    };
    assert!(!now.admits(&bob));
}
