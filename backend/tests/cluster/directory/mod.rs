//! The Redis directory's contract, checked on a real Redis without a node: the behaviour the
//! SQLite directory has. [`accounts`]: names owned by their key (look-alikes too, and when
//! several connections race) and credentials by digest (expiry, revocation, token listing
//! ids); [`private_rooms`]: made only where no room exists, kept off the public room list,
//! members both ways; [`moderation`]: roles, bounded sanctions, the audit log and read
//! markers that only move forward. This file holds what they build on.

mod accounts;
mod listing;
mod moderation;
mod private_rooms;

use crate::redis::Redis;
use ::redis::AsyncCommands;
use chinwag_backend::{
    cluster::{Link, RedisStore, accounts::RedisAccounts},
    store::{
        Author, NewMessage, RoomCursor, Store,
        accounts::{
            AccountId, Accounts, CredentialKind, MemberRoom, NameOwned, NewCredential, PrivateRoom,
            RoomAccess, RoomExists, TOKEN_ID_CHARS,
        },
    },
};
use chinwag_shared::{MessageText, RoomName, Username};
use std::{
    collections::BTreeSet,
    sync::{Arc, atomic::AtomicBool},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

pub(super) const HOUR_MS: u64 = 60 * 60 * 1000;

pub(super) fn link(redis: &Redis) -> Link {
    Link::new(&redis.url(), Duration::from_secs(5)).unwrap()
}

pub(super) fn directory(redis: &Redis) -> RedisAccounts {
    RedisAccounts::new(link(redis))
}

pub(super) fn log(redis: &Redis) -> RedisStore {
    RedisStore::new(link(redis), 1_000, Arc::new(AtomicBool::new(true)))
}

pub(super) fn name(text: &str) -> Username {
    Username::parse(text).unwrap()
}

pub(super) fn room(text: &str) -> RoomName {
    RoomName::parse(text).unwrap()
}

pub(super) fn id(text: &str) -> AccountId {
    AccountId::new(text)
}

pub(super) fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// A digest-shaped hex string, distinct per `seed`, whose first [`TOKEN_ID_CHARS`] digits
/// differ too.
pub(super) fn digest(seed: u8) -> String {
    format!("{seed:02x}").repeat(32)
}

pub(super) fn credential(digest: &str, account: &AccountId, kind: CredentialKind) -> NewCredential {
    NewCredential {
        digest: digest.to_owned(),
        account: account.clone(),
        kind,
        name: String::new(),
        created: now_ms(),
        expires: None,
    }
}

pub(super) async fn sign_up(directory: &RedisAccounts, text: &str) -> AccountId {
    directory
        .create_account(&name(text), "$argon2id$hash", now_ms())
        .await
        .unwrap()
        .expect("the name is free")
        .id
}

pub(super) async fn post(log: &RedisStore, to: &RoomName) -> u64 {
    let poster = name("poster");
    let message = NewMessage {
        room: to.clone(),
        author: Author::name(&poster),
        username: poster,
        text: MessageText::parse("hello").unwrap(),
        client_id: None,
        guest: true,
        bot: false,
    };
    match log.append(message).await.unwrap() {
        chinwag_backend::store::Appended::Stored(record) => record.id,
        other => panic!("a new record expected: {other:?}"),
    }
}

/// All Cyrillic `аӏісе`: passes the one-script rule, folds to `alice`'s key.
pub(super) const CYRILLIC_ALICE: &str = "\u{430}\u{4CF}\u{456}\u{441}\u{435}";
