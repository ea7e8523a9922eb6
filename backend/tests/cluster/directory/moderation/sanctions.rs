//! Mutes and bans: imposing again replaces, each kind and scope holds its own, ended ones
//! are forgotten, and a scope holds at most `SANCTIONS_KEPT`, even when connections race for
//! its last place.

use super::*;

#[tokio::test]
async fn imposing_again_replaces_and_each_kind_and_scope_holds_its_own() {
    let redis = Redis::start().await;
    let moderation = moderation(&redis);
    let general = Scope::Room(room("general"));
    let guest = Subject::GuestName(name("Mallory").hold_key());
    let address = Subject::Address("192.0.2.7".parse().unwrap());

    let first = sanction(&general, account(1), SanctionKind::Mute, "first");
    moderation.impose(&first).await.unwrap().unwrap();
    let until = now_ms() + HOUR_MS;
    let second = Sanction {
        until: Some(until),
        username: name("Ada"),
        by: name("other-mod"),
        created: 2_000,
        ..sanction(&general, account(1), SanctionKind::Mute, "second")
    };
    moderation.impose(&second).await.unwrap().unwrap();
    let ban = sanction(&general, account(1), SanctionKind::Ban, "");
    moderation.impose(&ban).await.unwrap().unwrap();
    let guest_ban = sanction(&general, guest.clone(), SanctionKind::Ban, "by name");
    moderation.impose(&guest_ban).await.unwrap().unwrap();
    let address_ban = sanction(&general, address.clone(), SanctionKind::Ban, "by address");
    moderation.impose(&address_ban).await.unwrap().unwrap();
    let site_mute = sanction(&Scope::Site, account(1), SanctionKind::Mute, "site-wide");
    moderation.impose(&site_mute).await.unwrap().unwrap();

    let in_room = moderation
        .room_rules(&room("general"))
        .await
        .unwrap()
        .sanctions;
    assert_eq!(in_room.len(), 4, "{in_room:?}");
    for expected in [&second, &ban, &guest_ban, &address_ban] {
        assert!(in_room.contains(expected), "{expected:?} in {in_room:?}");
    }
    assert!(
        !in_room.contains(&first),
        "the second mute replaced the first"
    );
    assert_eq!(
        moderation.site_rules().await.unwrap().sanctions,
        vec![site_mute.clone()],
        "a site sanction is the site's, not the room's"
    );
    assert_eq!(
        moderation
            .room_rules(&room("other"))
            .await
            .unwrap()
            .sanctions,
        Vec::new()
    );

    assert!(
        moderation
            .lift(&general, &account(1), SanctionKind::Mute)
            .await
            .unwrap()
    );
    assert!(
        !moderation
            .lift(&general, &account(1), SanctionKind::Mute)
            .await
            .unwrap(),
        "lifted already"
    );
    assert!(
        moderation
            .lift(&general, &guest, SanctionKind::Ban)
            .await
            .unwrap()
    );
    assert!(
        !moderation
            .lift(&general, &address, SanctionKind::Mute)
            .await
            .unwrap(),
        "the address is banned, not muted"
    );
    let left = moderation
        .room_rules(&room("general"))
        .await
        .unwrap()
        .sanctions;
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(
        left.contains(&ban) && left.contains(&address_ban),
        "{left:?}"
    );
    assert_eq!(
        moderation.site_rules().await.unwrap().sanctions,
        vec![site_mute],
        "lifting in the room leaves the site's alone"
    );
    assert!(
        moderation
            .lift(&Scope::Site, &account(1), SanctionKind::Mute)
            .await
            .unwrap()
    );
    assert_eq!(moderation.site_rules().await.unwrap().sanctions, Vec::new());
}

#[tokio::test]
async fn expired_sanctions_are_forgotten_and_the_rest_keep_their_end() {
    let redis = Redis::start().await;
    let moderation = moderation(&redis);
    let mut conn = raw(&redis).await;
    let general = Scope::Room(room("general"));
    let ends = now_ms() + HOUR_MS;
    let ending = Sanction {
        until: Some(ends),
        ..sanction(&general, account(1), SanctionKind::Mute, "an hour")
    };
    let ended = Sanction {
        until: Some(1),
        ..sanction(&general, account(2), SanctionKind::Mute, "long ago")
    };
    let site_ended = Sanction {
        until: Some(now_ms() - 1),
        ..sanction(&Scope::Site, account(2), SanctionKind::Ban, "just now")
    };
    for stored in [&ending, &ended, &site_ended] {
        moderation.impose(stored).await.unwrap().unwrap();
    }
    assert_eq!(
        ::redis::cmd("HLEN")
            .arg("chinwag:sanctions:{general}")
            .query_async::<u64>(&mut conn)
            .await
            .unwrap(),
        2,
        "an ended sanction is stored as imposed (the hub judges its end)"
    );

    assert_eq!(
        moderation
            .room_rules(&room("general"))
            .await
            .unwrap()
            .sanctions,
        vec![ending.clone()],
        "kept with its end"
    );
    assert_eq!(moderation.site_rules().await.unwrap().sanctions, Vec::new());
    for (key, left) in [
        ("chinwag:sanctions:{general}", 1),
        ("chinwag:sanction-ends:{general}", 1),
        ("chinwag:sanctions:{*}", 0),
        ("chinwag:sanction-ends:{*}", 0),
    ] {
        let kind: String = ::redis::cmd("TYPE")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap();
        let len = match kind.as_str() {
            "hash" => "HLEN",
            "zset" => "ZCARD",
            "none" => {
                assert_eq!(left, 0, "{key} is gone");
                continue;
            }
            other => panic!("{key} is a {other}"),
        };
        let held: u64 = ::redis::cmd(len)
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(held, left, "{key} forgot what ended");
    }
    assert!(
        !moderation
            .lift(&general, &account(2), SanctionKind::Mute)
            .await
            .unwrap(),
        "an ended sanction is not lifted: it was not in force"
    );
}

#[tokio::test]
async fn a_scope_holds_at_most_sanctions_kept_and_replacing_or_lifting_makes_no_excess() {
    let redis = Redis::start().await;
    let moderation = moderation(&redis);
    let general = Scope::Room(room("general"));
    fill(&redis, &general, 0..SANCTIONS_KEPT).await;
    let next = sanction(&general, account(SANCTIONS_KEPT), SanctionKind::Mute, "");
    assert_eq!(
        moderation.impose(&next).await.unwrap(),
        Err(TooManySanctions)
    );
    let ban_of_a_muted = sanction(&general, account(0), SanctionKind::Ban, "");
    assert_eq!(
        moderation.impose(&ban_of_a_muted).await.unwrap(),
        Err(TooManySanctions),
        "another kind is another sanction"
    );
    let again = sanction(&general, account(0), SanctionKind::Mute, "replaced");
    assert_eq!(
        moderation.impose(&again).await.unwrap(),
        Ok(()),
        "replacing one never makes the scope fuller"
    );
    for elsewhere in [Scope::Site, Scope::Room(room("other"))] {
        let there = sanction(&elsewhere, account(0), SanctionKind::Mute, "");
        assert_eq!(moderation.impose(&there).await.unwrap(), Ok(()));
    }
    let rules = moderation.room_rules(&room("general")).await.unwrap();
    assert_eq!(rules.sanctions.len(), SANCTIONS_KEPT);
    assert!(rules.sanctions.contains(&again));
    assert!(!rules.sanctions.contains(&next));

    assert!(
        moderation
            .lift(&general, &account(1), SanctionKind::Mute)
            .await
            .unwrap()
    );
    assert_eq!(
        moderation.impose(&next).await.unwrap(),
        Ok(()),
        "a place freed"
    );
    assert_eq!(
        moderation.impose(&ban_of_a_muted).await.unwrap(),
        Err(TooManySanctions),
        "and taken"
    );

    // An ended sanction is stored as imposed, then forgotten before the next one is counted.
    assert!(
        moderation
            .lift(&general, &account(2), SanctionKind::Mute)
            .await
            .unwrap()
    );
    let ended = Sanction {
        until: Some(1),
        ..sanction(&general, account(2), SanctionKind::Mute, "")
    };
    assert_eq!(moderation.impose(&ended).await.unwrap(), Ok(()));
    assert_eq!(
        moderation.impose(&ban_of_a_muted).await.unwrap(),
        Ok(()),
        "an ended sanction does not count"
    );
}

#[tokio::test]
async fn connections_racing_for_a_scopes_last_place_have_exactly_one_winner() {
    let redis = Redis::start().await;
    let general = Scope::Room(room("general"));
    fill(&redis, &general, 0..SANCTIONS_KEPT - 1).await;
    let mut racers = JoinSet::new();
    for racer in 0..8 {
        // One link each: separate connections, as separate nodes have.
        let moderation = moderation(&redis);
        let general = general.clone();
        racers.spawn(async move {
            let mute = sanction(
                &general,
                account(SANCTIONS_KEPT + racer),
                SanctionKind::Mute,
                "",
            );
            moderation.impose(&mute).await.unwrap()
        });
    }
    let mut won = 0;
    while let Some(outcome) = racers.join_next().await {
        won += usize::from(outcome.unwrap().is_ok());
    }
    assert_eq!(won, 1);
    let rules = moderation(&redis)
        .room_rules(&room("general"))
        .await
        .unwrap();
    assert_eq!(rules.sanctions.len(), SANCTIONS_KEPT);
}
