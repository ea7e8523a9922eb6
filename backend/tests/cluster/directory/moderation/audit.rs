//! The audit log: ids from 1 per room, distinct and increasing however many connections
//! append, pages newest first below `before`, and only the newest `AUDIT_KEPT` kept.

use super::*;

#[tokio::test]
async fn audit_ids_increase_per_room_and_pages_go_newest_first() {
    let redis = Redis::start().await;
    let moderation = moderation(&redis);
    let general = room("general");
    let other = room("other");
    assert_eq!(
        moderation
            .audit_log(&Scope::Room(general.clone()), None, 10)
            .await
            .unwrap(),
        Vec::new()
    );
    let mut given = Vec::new();
    for (at, action) in [
        AuditAction::Mute,
        AuditAction::Ban,
        AuditAction::Delete,
        AuditAction::SlowMode,
        AuditAction::SetOwner,
    ]
    .into_iter()
    .enumerate()
    {
        let mut entry = entry(action, &format!("act {at}"));
        entry.id = 999;
        if action == AuditAction::Delete {
            entry.target = Some(42);
        }
        if action == AuditAction::SlowMode {
            entry.subject = None;
            entry.detail = String::new();
        }
        let id = moderation
            .audit(
                &Scope::Room(general.clone()),
                NewAudit {
                    entry: entry.clone(),
                },
            )
            .await
            .unwrap();
        given.push(AuditEntry { id, ..entry });
    }
    assert_eq!(
        ids(&given),
        [1, 2, 3, 4, 5],
        "ids count from 1, the given one ignored"
    );
    assert_eq!(
        moderation
            .audit(&Scope::Room(other.clone()), new_audit("there"))
            .await
            .unwrap(),
        1,
        "each room counts its own"
    );

    let newest_first: Vec<AuditEntry> = given.iter().rev().cloned().collect();
    assert_eq!(
        moderation
            .audit_log(&Scope::Room(general.clone()), None, 10)
            .await
            .unwrap(),
        newest_first,
        "read back whole"
    );
    assert_eq!(
        ids(&moderation
            .audit_log(&Scope::Room(general.clone()), None, 2)
            .await
            .unwrap()),
        [5, 4]
    );
    assert_eq!(
        ids(&moderation
            .audit_log(&Scope::Room(general.clone()), Some(4), 2)
            .await
            .unwrap()),
        [3, 2]
    );
    assert_eq!(
        ids(&moderation
            .audit_log(&Scope::Room(general.clone()), Some(2), 10)
            .await
            .unwrap()),
        [1]
    );
    for (before, limit) in [(Some(1), 10), (Some(0), 10), (None, 0)] {
        assert_eq!(
            moderation
                .audit_log(&Scope::Room(general.clone()), before, limit)
                .await
                .unwrap(),
            Vec::new(),
            "{before:?} {limit}"
        );
    }
    assert_eq!(
        ids(&moderation
            .audit_log(&Scope::Room(other.clone()), None, 10)
            .await
            .unwrap()),
        [1]
    );
}

#[tokio::test]
async fn audits_appended_at_once_on_several_connections_get_distinct_increasing_ids() {
    let redis = Redis::start().await;
    let general = room("general");
    let mut appenders = JoinSet::new();
    for appender in 0..6 {
        let moderation = moderation(&redis);
        let general = general.clone();
        appenders.spawn(async move {
            let mut ids = Vec::new();
            for at in 0..50 {
                let audit = new_audit(&format!("{appender}/{at}"));
                ids.push(
                    moderation
                        .audit(&Scope::Room(general.clone()), audit)
                        .await
                        .unwrap(),
                );
            }
            ids
        });
    }
    let mut drawn = BTreeSet::new();
    while let Some(ids) = appenders.join_next().await {
        let ids = ids.unwrap();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
        drawn.extend(ids);
    }
    assert_eq!(drawn, (1..=300).collect::<BTreeSet<u64>>());
    let log = moderation(&redis)
        .audit_log(&Scope::Room(general.clone()), None, 1_000)
        .await
        .unwrap();
    assert_eq!(ids(&log), (1..=300).rev().collect::<Vec<u64>>());
}

#[tokio::test]
async fn the_audit_log_keeps_the_newest_audit_kept_and_never_reuses_an_id() {
    let redis = Redis::start().await;
    let general = room("general");
    let appended = AUDIT_KEPT + 3;
    let mut appenders = JoinSet::new();
    for appender in 0..FILLERS {
        let moderation = moderation(&redis);
        let general = general.clone();
        appenders.spawn(async move {
            for _ in (appender..appended).step_by(FILLERS) {
                moderation
                    .audit(&Scope::Room(general.clone()), new_audit("filler"))
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(done) = appenders.join_next().await {
        done.unwrap();
    }
    let moderation = moderation(&redis);
    let newest = u64::try_from(appended).unwrap();
    let log = moderation
        .audit_log(&Scope::Room(general.clone()), None, AUDIT_KEPT + 100)
        .await
        .unwrap();
    assert_eq!(log.len(), AUDIT_KEPT);
    assert_eq!(log.first().unwrap().id, newest);
    assert_eq!(log.last().unwrap().id, 4, "the three oldest forgotten");
    let kept: usize = ::redis::cmd("XLEN")
        .arg("chinwag:audit:{general}")
        .query_async(&mut raw(&redis).await)
        .await
        .unwrap();
    assert_eq!(kept, AUDIT_KEPT);
    assert_eq!(
        moderation
            .audit(&Scope::Room(general.clone()), new_audit("next"))
            .await
            .unwrap(),
        newest + 1
    );
    assert_eq!(
        ids(&moderation
            .audit_log(&Scope::Room(general.clone()), Some(7), 10)
            .await
            .unwrap()),
        [6, 5],
        "the append trimmed the oldest again; a page stops at the oldest kept"
    );
}
