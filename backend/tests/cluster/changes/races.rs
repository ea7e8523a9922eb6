//! Changes racing each other and appends on one Redis: whatever the interleaving, ids stay
//! gapless and in one sequence, a deletion is final, and no text survives it. Each change is
//! checked against its target's current JSON inside its script, so a change that read a stale
//! target reads again instead of writing over a newer state.

use super::{changed, delete, edit, ids, post, store, whole_log};
use crate::redis::Redis;
use chinwag_backend::store::{Changed, Store};
use chinwag_shared::Change;
use std::sync::Arc;

#[tokio::test]
async fn racing_changes_of_one_message_leave_one_consistent_history() {
    let redis = Redis::start().await;
    let store = Arc::new(store(&redis, 1_000));
    let target = post(&store, "ada", "draft", None).await;
    let mut racers = tokio::task::JoinSet::new();
    for round in 0..4 {
        let store = Arc::clone(&store);
        racers.spawn(async move {
            store
                .change(edit(target, "ada", &format!("take {round}")))
                .await
        });
    }
    let store_for_delete = Arc::clone(&store);
    racers.spawn(async move { store_for_delete.change(delete(target, "mod", true)).await });
    let mut stored = 0;
    while let Some(outcome) = racers.join_next().await {
        match outcome.unwrap() {
            Ok(Changed::Stored(_)) => stored += 1,
            Ok(Changed::AlreadyDeleted) => {}
            other => panic!("a change stored, or refused as deleted: {other:?}"),
        }
    }
    let log = whole_log(&store).await;
    assert_eq!(ids(&log), (1..=1 + stored).collect::<Vec<_>>());
    assert!(
        log[0].deleted.is_some(),
        "the deletion always lands: {log:?}"
    );
    let texts: Vec<&str> = log.iter().map(|record| &*record.message).collect();
    assert!(texts.iter().all(|text| text.is_empty()), "{texts:?}");
    let last = log.last().unwrap();
    assert!(
        matches!(last.change, Some(Change::Delete { .. })),
        "nothing is stored after the deletion: {log:?}"
    );
}

#[tokio::test]
async fn changes_and_appends_racing_share_one_gapless_sequence() {
    let redis = Redis::start().await;
    let store = Arc::new(store(&redis, 1_000));
    let mut targets = Vec::new();
    for round in 0..6 {
        targets.push(post(&store, "ada", &format!("first {round}"), None).await);
    }
    let mut racers = tokio::task::JoinSet::new();
    for (round, target) in targets.iter().copied().enumerate() {
        let poster = Arc::clone(&store);
        racers.spawn(async move {
            post(&poster, "bob", &format!("racing {round}"), None).await;
        });
        let changer = Arc::clone(&store);
        racers.spawn(async move {
            let change = if round % 2 == 0 {
                edit(target, "ada", &format!("edited {round}"))
            } else {
                delete(target, "ada", false)
            };
            changed(&changer, change).await;
        });
    }
    while let Some(outcome) = racers.join_next().await {
        outcome.unwrap();
    }
    let log = whole_log(&store).await;
    assert_eq!(
        ids(&log),
        (1..=18).collect::<Vec<_>>(),
        "gapless, one sequence"
    );
    for (round, target) in targets.iter().enumerate() {
        let message = &log[usize::try_from(*target).unwrap() - 1];
        if round % 2 == 0 {
            assert_eq!(message.message, format!("edited {round}"));
            let edit_record = &log[usize::try_from(message.edited.unwrap()).unwrap() - 1];
            assert_eq!(edit_record.change, Some(Change::Edit { target: *target }));
        } else {
            let deletion = message.deleted.clone().unwrap();
            let record = &log[usize::try_from(deletion.id).unwrap() - 1];
            assert_eq!(
                record.change,
                Some(Change::Delete {
                    target: *target,
                    moderator: false
                })
            );
        }
    }
}
