//! Private rooms in the Redis directory, beside the log: made only where no room exists (no
//! message, not private yet), existing from then on, never on the public room list whatever
//! the page size, and their members kept both ways (who is in a room, which rooms one is in).

use super::*;

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
