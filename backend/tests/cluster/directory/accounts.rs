//! Accounts and credentials in the Redis directory, as `auth` uses them: a name is owned
//! once by its folded key however many connections race for it, and a credential is found,
//! listed and revoked only by its digest (or, for a token, its listing id), while it exists.

use super::*;

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
async fn an_account_keeps_its_newest_sessions_up_to_the_cap_and_its_tokens_uncapped() {
    // More credentials than a `digest(u8)` can name.
    let wide = |seed: u64| format!("{seed:064x}");
    let redis = Redis::start().await;
    let directory = directory(&redis);
    let ada = sign_up(&directory, "ada").await;
    let cap = chinwag_backend::store::accounts::MAX_SESSIONS_PER_ACCOUNT;
    let start = now_ms() + HOUR_MS;
    for seed in 1..=cap + 3 {
        let session = NewCredential {
            // Later sign-ins end later: the index orders them by when they lapse.
            expires: Some(start + seed as u64),
            ..credential(&wide(seed as u64), &ada, CredentialKind::Session)
        };
        directory.create_credential(session).await.unwrap();
    }
    for (seed, kept) in [(1, false), (3, false), (4, true), (cap + 3, true)] {
        assert_eq!(
            directory
                .credential(&wide(seed as u64))
                .await
                .unwrap()
                .is_some(),
            kept,
            "session {seed}"
        );
    }
    let tokens = cap as u64 + 10_000;
    for seed in 10_000..=tokens {
        let token = credential(&wide(seed), &ada, CredentialKind::AccessToken);
        directory.create_credential(token).await.unwrap();
    }
    assert!(
        directory.credential(&wide(10_000)).await.unwrap().is_some(),
        "tokens are capped by the auth layer's count, not dropped here"
    );
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
