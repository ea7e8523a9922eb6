//! Read markers: forward only (compared as whole numbers, past 2^53 too), per account and
//! room, and never back when several connections move one at once.

use super::*;
use std::sync::atomic::Ordering;

#[tokio::test]
async fn a_read_marker_only_moves_forward_and_each_room_and_account_has_its_own() {
    let redis = Redis::start().await;
    let moderation = moderation(&redis);
    let (ada, bob) = (id("1"), id("jwt:bob"));
    let (general, other, huge) = (room("general"), room("other"), room("huge"));
    assert_eq!(moderation.read_markers(&ada).await.unwrap(), Vec::new());

    assert_eq!(
        moderation.set_read_marker(&ada, &general, 5).await.unwrap(),
        5
    );
    assert_eq!(
        moderation.set_read_marker(&ada, &general, 3).await.unwrap(),
        5,
        "not back"
    );
    assert_eq!(
        moderation.set_read_marker(&ada, &general, 5).await.unwrap(),
        5
    );
    assert_eq!(
        moderation
            .set_read_marker(&ada, &general, 10)
            .await
            .unwrap(),
        10,
        "compared as numbers, not text"
    );
    assert_eq!(
        moderation.set_read_marker(&ada, &other, 0).await.unwrap(),
        0
    );
    assert_eq!(
        moderation.set_read_marker(&bob, &general, 2).await.unwrap(),
        2
    );

    // Past 2^53 a double cannot tell neighbours apart; the marker still can.
    let big = 1_u64 << 53;
    assert_eq!(
        moderation
            .set_read_marker(&ada, &huge, big + 1)
            .await
            .unwrap(),
        big + 1
    );
    assert_eq!(
        moderation.set_read_marker(&ada, &huge, big).await.unwrap(),
        big + 1
    );
    assert_eq!(
        moderation
            .set_read_marker(&ada, &huge, u64::MAX)
            .await
            .unwrap(),
        u64::MAX
    );
    assert_eq!(
        moderation
            .set_read_marker(&ada, &huge, u64::MAX - 1)
            .await
            .unwrap(),
        u64::MAX
    );

    assert_eq!(
        moderation.read_markers(&ada).await.unwrap(),
        vec![(general.clone(), 10), (huge, u64::MAX), (other, 0)]
    );
    assert_eq!(
        moderation.read_markers(&bob).await.unwrap(),
        vec![(general, 2)]
    );
}

#[tokio::test]
async fn markers_moved_at_once_from_several_connections_never_go_back() {
    let redis = Redis::start().await;
    let ada = id("1");
    let general = room("general");
    const MOVERS: u64 = 6;
    const MOVES: u64 = 100;
    let writing = Arc::new(AtomicBool::new(true));
    let watcher = {
        let moderation = moderation(&redis);
        let (ada, writing) = (ada.clone(), Arc::clone(&writing));
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while writing.load(Ordering::Relaxed) && seen.len() < 100_000 {
                let markers = moderation.read_markers(&ada).await.unwrap();
                if let Some((_, id)) = markers.first() {
                    seen.push(*id);
                }
            }
            seen
        })
    };
    let mut movers = JoinSet::new();
    for mover in 0..MOVERS {
        let moderation = moderation(&redis);
        let (ada, general) = (ada.clone(), general.clone());
        movers.spawn(async move {
            let (mut answers, mut furthest) = (Vec::new(), 0);
            for step in 0..MOVES {
                // Each mover walks its own scrambled order of 1..=MOVES*MOVERS, so moves
                // forward and back interleave across connections.
                let id = (step * 37 + mover * 101) % (MOVES * MOVERS) + 1;
                furthest = furthest.max(id);
                let marker = moderation
                    .set_read_marker(&ada, &general, id)
                    .await
                    .unwrap();
                assert!(marker >= id, "{marker} behind the {id} just set");
                answers.push(marker);
            }
            (answers, furthest)
        });
    }
    let mut highest = 0;
    while let Some(moved) = movers.join_next().await {
        let (answers, furthest) = moved.unwrap();
        assert!(
            answers.windows(2).all(|pair| pair[0] <= pair[1]),
            "one connection saw the marker go back: {answers:?}"
        );
        highest = highest.max(furthest);
    }
    writing.store(false, Ordering::Relaxed);
    let seen = watcher.await.unwrap();
    assert!(
        seen.windows(2).all(|pair| pair[0] <= pair[1]),
        "a reader saw the marker go back"
    );
    let moderation = moderation(&redis);
    let last = moderation.read_markers(&ada).await.unwrap();
    assert_eq!(last, vec![(general, highest)], "the furthest move holds");
}
