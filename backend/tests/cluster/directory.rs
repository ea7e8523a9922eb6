//! The Redis directory's contract, checked on a real Redis without a node: accounts owned by
//! their name key (look-alikes too, and when several connections race), credentials by
//! digest (expiry, revocation, token listing ids), and private rooms (made only where no room
//! exists, kept off the public room list, members both ways): the behaviour the SQLite
//! directory has.

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

const HOUR_MS: u64 = 60 * 60 * 1000;

fn link(redis: &Redis) -> Link {
    Link::new(&redis.url(), Duration::from_secs(5)).unwrap()
}

fn directory(redis: &Redis) -> RedisAccounts {
    RedisAccounts::new(link(redis))
}

fn log(redis: &Redis) -> RedisStore {
    RedisStore::new(link(redis), 1_000, Arc::new(AtomicBool::new(true)))
}

fn name(text: &str) -> Username {
    Username::parse(text).unwrap()
}

fn room(text: &str) -> RoomName {
    RoomName::parse(text).unwrap()
}

fn id(text: &str) -> AccountId {
    AccountId::new(text)
}

fn now_ms() -> u64 {
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
fn digest(seed: u8) -> String {
    format!("{seed:02x}").repeat(32)
}

fn credential(digest: &str, account: &AccountId, kind: CredentialKind) -> NewCredential {
    NewCredential {
        digest: digest.to_owned(),
        account: account.clone(),
        kind,
        name: String::new(),
        created: now_ms(),
        expires: None,
    }
}

async fn sign_up(directory: &RedisAccounts, text: &str) -> AccountId {
    directory
        .create_account(&name(text), "$argon2id$hash", now_ms())
        .await
        .unwrap()
        .expect("the name is free")
        .id
}

async fn post(log: &RedisStore, to: &RoomName) -> u64 {
    let poster = name("poster");
    let message = NewMessage {
        room: to.clone(),
        author: Author::name(&poster),
        username: poster,
        text: MessageText::parse("hello").unwrap(),
        client_id: None,
        guest: true,
    };
    match log.append(message).await.unwrap() {
        chinwag_backend::store::Appended::Stored(record) => record.id,
        other => panic!("a new record expected: {other:?}"),
    }
}

/// All Cyrillic `аӏісе`: passes the one-script rule, folds to `alice`'s key.
const CYRILLIC_ALICE: &str = "\u{430}\u{4CF}\u{456}\u{441}\u{435}";

#[tokio::test]
async fn a_name_is_owned_once_whatever_its_case_or_look_alikes() {
    let redis = Redis::start().await;
    let directory = directory(&redis);
    let alice = directory
        .create_account(&name("alice"), "$argon2id$a", 1)
        .await
        .unwrap()
        .unwrap();
    for taken in ["alice", "ALICE", "Alice", CYRILLIC_ALICE] {
        assert_eq!(
            directory
                .create_account(&name(taken), "$argon2id$b", 2)
                .await
                .unwrap(),
            Err(NameOwned),
            "{taken}"
        );
    }
    let bob = sign_up(&directory, "bob").await;
    assert_ne!(bob, alice.id, "ids are never shared");

    assert_eq!(
        directory.account(&alice.id).await.unwrap(),
        Some(alice.clone())
    );
    let by_look_alike = name(CYRILLIC_ALICE).hold_key();
    assert_eq!(
        directory.account_by_key(&by_look_alike).await.unwrap(),
        Some(alice.clone()),
        "found by the folded key, answered with the name chosen at sign-up"
    );
    assert_eq!(
        directory
            .account_by_key(&name("carol").hold_key())
            .await
            .unwrap(),
        None
    );
    assert_eq!(directory.account(&id("999")).await.unwrap(), None);
    assert_eq!(directory.account(&id("jwt:alice")).await.unwrap(), None);

    directory
        .set_password(&alice.id, "$argon2id$new")
        .await
        .unwrap();
    let changed = directory.account(&alice.id).await.unwrap().unwrap();
    assert_eq!(changed.password_hash, "$argon2id$new");
    directory
        .set_password(&id("999"), "$argon2id$x")
        .await
        .unwrap();
    assert_eq!(
        directory.account(&id("999")).await.unwrap(),
        None,
        "changing a missing account's password creates nothing"
    );
}

#[tokio::test]
async fn look_alikes_signing_up_at_once_on_several_connections_have_exactly_one_winner() {
    let redis = Redis::start().await;
    let names = ["alice", "ALICE", "Alice", "aLiCe", CYRILLIC_ALICE, "alicE"];
    let mut tasks = tokio::task::JoinSet::new();
    for (at, text) in names.into_iter().enumerate() {
        // One link each: separate connections, as separate nodes have.
        let directory = directory(&redis);
        tasks.spawn(async move {
            let created = directory
                .create_account(&name(text), "$argon2id$h", u64::try_from(at).unwrap())
                .await
                .unwrap();
            (text, created)
        });
    }
    let mut winners = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (text, created) = joined.unwrap();
        if let Ok(account) = created {
            winners.push((text, account));
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let (text, account) = &winners[0];
    let owner = directory(&redis)
        .account_by_key(&name("alice").hold_key())
        .await
        .unwrap();
    assert_eq!(owner.as_ref(), Some(account), "{text} won and owns the key");
}

#[tokio::test]
async fn a_credential_is_found_by_its_digest_until_it_expires_and_then_lapses() {
    let redis = Redis::start().await;
    let directory = directory(&redis);
    let ada = sign_up(&directory, "ada").await;
    let mut raw = ::redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();

    let expires = now_ms() + HOUR_MS;
    let session = NewCredential {
        expires: Some(expires),
        ..credential(&digest(1), &ada, CredentialKind::Session)
    };
    directory.create_credential(session).await.unwrap();
    let found = directory.credential(&digest(1)).await.unwrap().unwrap();
    assert_eq!(found.account, ada);
    assert_eq!(found.name, name("ada"));
    assert_eq!(found.kind, CredentialKind::Session);
    assert_eq!(found.expires, Some(expires));
    let key = format!("chinwag:credential:{}", digest(1));
    let ttl_ms: i64 = raw.pttl(&key).await.unwrap();
    assert!(
        ttl_ms > i64::try_from(HOUR_MS).unwrap() && ttl_ms <= i64::try_from(2 * HOUR_MS).unwrap(),
        "lapses a margin after it expires: {ttl_ms} ms"
    );

    let token = NewCredential {
        name: "ci bot".to_owned(),
        ..credential(&digest(2), &ada, CredentialKind::AccessToken)
    };
    directory.create_credential(token).await.unwrap();
    let found = directory.credential(&digest(2)).await.unwrap().unwrap();
    assert_eq!(
        (found.kind, found.expires),
        (CredentialKind::AccessToken, None)
    );
    let ttl_ms: i64 = raw
        .pttl(format!("chinwag:credential:{}", digest(2)))
        .await
        .unwrap();
    assert_eq!(ttl_ms, -1, "a token lives until revoked");

    // Just expired: still there, and the caller's clock says it is over.
    let just_expired = NewCredential {
        expires: Some(now_ms() - 1_000),
        ..credential(&digest(3), &ada, CredentialKind::Session)
    };
    directory.create_credential(just_expired).await.unwrap();
    let found = directory.credential(&digest(3)).await.unwrap().unwrap();
    assert!(found.expires.unwrap() < now_ms());
    // Long expired: the key has lapsed, so it piles up nowhere.
    let long_expired = NewCredential {
        expires: Some(now_ms() - HOUR_MS),
        ..credential(&digest(4), &ada, CredentialKind::Session)
    };
    directory.create_credential(long_expired).await.unwrap();
    assert_eq!(directory.credential(&digest(4)).await.unwrap(), None);
    let indexed: Vec<String> = raw
        .zrange(format!("chinwag:sessions:{ada}"), 0, -1)
        .await
        .unwrap();
    assert!(
        !indexed.contains(&digest(4)),
        "pruned from the index: {indexed:?}"
    );

    assert_eq!(directory.credential(&digest(9)).await.unwrap(), None);
    directory.revoke_credential(&digest(1)).await.unwrap();
    assert_eq!(directory.credential(&digest(1)).await.unwrap(), None);
    directory.revoke_credential(&digest(1)).await.unwrap();
    let indexed: Vec<String> = raw
        .zrange(format!("chinwag:sessions:{ada}"), 0, -1)
        .await
        .unwrap();
    assert_eq!(indexed, [digest(3)], "the revoked session left the index");
}

#[tokio::test]
async fn revoking_all_sessions_keeps_the_one_named_and_touches_nothing_else() {
    let redis = Redis::start().await;
    let directory = directory(&redis);
    let ada = sign_up(&directory, "ada").await;
    let bob = sign_up(&directory, "bob").await;
    let in_an_hour = Some(now_ms() + HOUR_MS);
    for seed in 1..=3 {
        let session = NewCredential {
            expires: in_an_hour,
            ..credential(&digest(seed), &ada, CredentialKind::Session)
        };
        directory.create_credential(session).await.unwrap();
    }
    let token = credential(&digest(4), &ada, CredentialKind::AccessToken);
    directory.create_credential(token).await.unwrap();
    let bobs = NewCredential {
        expires: in_an_hour,
        ..credential(&digest(5), &bob, CredentialKind::Session)
    };
    directory.create_credential(bobs).await.unwrap();

    let mut gone = directory
        .revoke_all(&ada, CredentialKind::Session, Some(&digest(2)))
        .await
        .unwrap();
    gone.sort();
    assert_eq!(gone, [digest(1), digest(3)]);
    for (seed, kept) in [(1, false), (2, true), (3, false), (4, true), (5, true)] {
        assert_eq!(
            directory.credential(&digest(seed)).await.unwrap().is_some(),
            kept,
            "credential {seed}"
        );
    }
    assert_eq!(
        directory
            .revoke_all(&ada, CredentialKind::Session, Some(&digest(2)))
            .await
            .unwrap(),
        Vec::<String>::new(),
        "nothing left to revoke"
    );
    assert_eq!(
        directory
            .revoke_all(&ada, CredentialKind::Session, None)
            .await
            .unwrap(),
        [digest(2)]
    );
}

#[tokio::test]
async fn tokens_are_listed_oldest_first_and_revoked_only_by_their_full_listing_id() {
    let redis = Redis::start().await;
    let directory = directory(&redis);
    let ada = sign_up(&directory, "ada").await;
    let bob = sign_up(&directory, "bob").await;
    for (seed, label, created) in [(0xa1, "newer", 200), (0xb2, "older", 100)] {
        let token = NewCredential {
            name: label.to_owned(),
            created,
            ..credential(&digest(seed), &ada, CredentialKind::AccessToken)
        };
        directory.create_credential(token).await.unwrap();
    }
    let session = NewCredential {
        expires: Some(now_ms() + HOUR_MS),
        ..credential(&digest(0xc3), &ada, CredentialKind::Session)
    };
    directory.create_credential(session).await.unwrap();

    let listed = directory.tokens(&ada).await.unwrap();
    let seen: Vec<_> = listed
        .iter()
        .map(|token| (token.id.as_str(), token.name.as_str(), token.created))
        .collect();
    let (older, newer) = (
        &digest(0xb2)[..TOKEN_ID_CHARS],
        &digest(0xa1)[..TOKEN_ID_CHARS],
    );
    assert_eq!(
        seen,
        [(older, "older", 100), (newer, "newer", 200)],
        "no sessions listed"
    );
    assert!(directory.tokens(&bob).await.unwrap().is_empty());

    let full = digest(0xb2);
    for bad in [
        "",
        &full[..TOKEN_ID_CHARS - 1],
        &full[..TOKEN_ID_CHARS + 1],
        full.as_str(),
        "zzzzzzzzzzzzzzzz",
    ] {
        assert_eq!(
            directory.revoke_token(&ada, bad).await.unwrap(),
            None,
            "{bad:?}"
        );
    }
    assert_eq!(
        directory.revoke_token(&bob, older).await.unwrap(),
        None,
        "nobody revokes another account's token"
    );
    assert_eq!(
        directory.tokens(&ada).await.unwrap().len(),
        2,
        "nothing was revoked"
    );

    let shouted = older.to_ascii_uppercase();
    assert_eq!(
        directory.revoke_token(&ada, &shouted).await.unwrap(),
        Some(full.clone())
    );
    assert_eq!(directory.credential(&full).await.unwrap(), None);
    assert_eq!(
        directory.revoke_token(&ada, older).await.unwrap(),
        None,
        "already gone"
    );
    let left: Vec<_> = directory
        .tokens(&ada)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(left, [newer]);
}

#[tokio::test]
async fn a_private_room_is_made_only_where_no_room_exists_and_stays_off_the_room_list() {
    let redis = Redis::start().await;
    let directory = directory(&redis);
    let log = log(&redis);
    let ada = sign_up(&directory, "ada").await;
    let private = PrivateRoom {
        owner: Some(ada.clone()),
        members: BTreeSet::from([ada.clone()]),
        dm: false,
    };

    let lobby = room("lobby");
    post(&log, &lobby).await;
    assert_eq!(
        directory
            .create_private_room(&lobby, &private)
            .await
            .unwrap(),
        Err(RoomExists),
        "a room with a message stays public"
    );
    assert_eq!(
        directory.room_access(&lobby).await.unwrap(),
        RoomAccess::Public
    );

    let secret = room("secret");
    assert!(!log.has_room(&secret).await.unwrap());
    assert_eq!(
        directory
            .create_private_room(&secret, &private)
            .await
            .unwrap(),
        Ok(())
    );
    assert!(
        log.has_room(&secret).await.unwrap(),
        "it exists, so it is never new again"
    );
    assert_eq!(
        directory
            .create_private_room(&secret, &private)
            .await
            .unwrap(),
        Err(RoomExists)
    );
    assert_eq!(
        directory.room_access(&secret).await.unwrap(),
        RoomAccess::Private(private.clone())
    );
    assert_eq!(post(&log, &secret).await, 1, "its ids start at 1");
    assert_eq!(log.head(&secret).await.unwrap().last_id, 1);

    // More rooms of both kinds, each with messages; pages of one room at a time must walk
    // exactly the public ones.
    for (at, public) in ["alpha", "beta", "gamma"].into_iter().enumerate() {
        let hidden = room(&format!("hidden-{at}"));
        directory
            .create_private_room(&hidden, &private)
            .await
            .unwrap()
            .unwrap();
        post(&log, &hidden).await;
        post(&log, &room(public)).await;
    }
    let mut listed = Vec::new();
    let mut cursor: Option<RoomCursor> = None;
    for _ in 0..20 {
        let page = log.rooms(cursor.as_ref(), 1).await.unwrap();
        let Some(summary) = page.first() else { break };
        assert_eq!(page.len(), 1, "a page holds at most its limit");
        listed.push(summary.room.as_str().to_owned());
        cursor = Some(RoomCursor::after(summary));
    }
    listed.sort();
    assert_eq!(listed, ["alpha", "beta", "gamma", "lobby"]);
    let first_page = log.rooms(None, 100).await.unwrap();
    assert_eq!(first_page.len(), 4, "{first_page:?}");
}

#[tokio::test]
async fn members_are_added_and_removed_and_listed_with_their_rooms() {
    let redis = Redis::start().await;
    let directory = directory(&redis);
    let log = log(&redis);
    let ada = sign_up(&directory, "ada").await;
    let bob = sign_up(&directory, "bob").await;
    let carol = sign_up(&directory, "carol").await;
    let jwt = id("jwt:dave");

    let club = room("club");
    let club_room = PrivateRoom {
        owner: Some(ada.clone()),
        members: BTreeSet::from([ada.clone(), bob.clone()]),
        dm: false,
    };
    directory
        .create_private_room(&club, &club_room)
        .await
        .unwrap()
        .unwrap();
    post(&log, &club).await;
    post(&log, &club).await;
    let dm = room("dm-ada-bob");
    let dm_room = PrivateRoom {
        owner: None,
        members: BTreeSet::from([ada.clone(), bob.clone()]),
        dm: true,
    };
    directory
        .create_private_room(&dm, &dm_room)
        .await
        .unwrap()
        .unwrap();
    let jwt_dm = room("dm-ada-dave");
    let jwt_room = PrivateRoom {
        owner: None,
        members: BTreeSet::from([ada.clone(), jwt.clone()]),
        dm: true,
    };
    directory
        .create_private_room(&jwt_dm, &jwt_room)
        .await
        .unwrap()
        .unwrap();

    assert_eq!(
        directory.rooms_of(&ada).await.unwrap(),
        [
            MemberRoom {
                room: club.clone(),
                owner: Some(name("ada")),
                dm_with: None,
                last_id: 2
            },
            MemberRoom {
                room: dm.clone(),
                owner: None,
                dm_with: Some(name("bob")),
                last_id: 0
            },
            MemberRoom {
                room: jwt_dm.clone(),
                owner: None,
                dm_with: None,
                last_id: 0
            },
        ],
        "by name; a JWT identity has no name to show"
    );
    assert_eq!(
        directory.rooms_of(&bob).await.unwrap()[1].dm_with,
        Some(name("ada")),
        "a DM shows the other member to each side"
    );
    assert_eq!(
        directory.rooms_of(&jwt).await.unwrap(),
        [MemberRoom {
            room: jwt_dm.clone(),
            owner: None,
            dm_with: Some(name("ada")),
            last_id: 0
        }]
    );

    assert!(directory.rooms_of(&carol).await.unwrap().is_empty());
    directory.set_member(&club, &carol, true).await.unwrap();
    directory.set_member(&club, &carol, true).await.unwrap();
    let RoomAccess::Private(now) = directory.room_access(&club).await.unwrap() else {
        panic!("club is private");
    };
    assert!(now.admits(&carol));
    assert_eq!(now.members.len(), 3);
    assert_eq!(directory.rooms_of(&carol).await.unwrap()[0].room, club);

    directory.set_member(&club, &bob, false).await.unwrap();
    let RoomAccess::Private(now) = directory.room_access(&club).await.unwrap() else {
        panic!("club is private");
    };
    assert!(!now.admits(&bob), "{now:?}");
    assert_eq!(now.owner, Some(ada.clone()));
    let bobs: Vec<_> = directory
        .rooms_of(&bob)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.room)
        .collect();
    assert_eq!(bobs, [dm]);

    let lobby = room("lobby");
    post(&log, &lobby).await;
    directory.set_member(&lobby, &carol, true).await.unwrap();
    assert_eq!(
        directory.room_access(&lobby).await.unwrap(),
        RoomAccess::Public
    );
    assert_eq!(
        directory.rooms_of(&carol).await.unwrap().len(),
        1,
        "a public room has no members"
    );
}
