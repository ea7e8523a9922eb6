//! The SQLite moderation directory against the `Moderation` contract, on a real file: roles
//! and settings, site admins, the audit log (per-room ids, newest first, bounded) and read
//! markers that only move forward. Sanctions are `sanctions_tests`', on the fixture here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{SqliteModeration, SqliteStore, SyncMode, moderation::record_audit};
use crate::{
    delivery::frame::ChatFrame,
    fanout::ChatPublisher,
    store::{
        accounts::AccountId,
        moderation::{AUDIT_KEPT, Moderation, NewAudit, RoomRules, Scope},
    },
};
use chinwag_shared::{
    RoomName, Username,
    moderation::{AuditAction, AuditEntry},
};
use rusqlite::Connection;
use std::{collections::BTreeSet, path::PathBuf, sync::Arc};

struct NoFanout;

impl ChatPublisher for NoFanout {
    fn publish_chat(&self, _chat: ChatFrame) {}
}

pub(super) struct Fixture {
    _dir: tempfile::TempDir,
    /// The database file.
    pub(super) path: PathBuf,
    _store: SqliteStore,
    /// The directory under test.
    pub(super) moderation: SqliteModeration,
}

pub(super) fn open() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chinwag.db");
    let store = SqliteStore::open(&path, SyncMode::Normal, Arc::new(NoFanout)).unwrap();
    let moderation = store.moderation(&path).unwrap();
    Fixture {
        _dir: dir,
        path,
        _store: store,
        moderation,
    }
}

pub(super) fn room(raw: &str) -> RoomName {
    RoomName::parse(raw).unwrap()
}

pub(super) fn name(raw: &str) -> Username {
    Username::parse(raw).unwrap()
}

pub(super) fn account(id: &str) -> AccountId {
    AccountId::new(id)
}

fn entry(action: AuditAction, detail: &str) -> NewAudit {
    NewAudit {
        entry: AuditEntry {
            id: 0,
            ts: 1_000,
            actor: name("mod"),
            action,
            subject: Some(name("mallory")),
            target: None,
            detail: detail.to_owned(),
            key: None,
        },
    }
}

#[tokio::test]
async fn a_rooms_owner_moderators_and_slow_mode_are_kept_per_room() {
    let fixture = open();
    let moderation = &fixture.moderation;
    let general = room("general");
    assert_eq!(
        moderation.room_rules(&general).await.unwrap(),
        RoomRules::default()
    );

    moderation.set_slow_mode(&general, 30).await.unwrap();
    moderation.set_owner(&general, &account("1")).await.unwrap();
    moderation.set_owner(&general, &account("2")).await.unwrap();
    assert!(
        moderation
            .set_moderator(&general, &account("3"), true)
            .await
            .unwrap()
    );
    assert!(
        !moderation
            .set_moderator(&general, &account("3"), true)
            .await
            .unwrap()
    );
    assert!(
        moderation
            .set_moderator(&general, &account("jwt:x"), true)
            .await
            .unwrap()
    );
    let rules = moderation.room_rules(&general).await.unwrap();
    assert_eq!(
        rules.owner,
        Some(account("2")),
        "the later owner replaces the first"
    );
    assert_eq!(
        rules.slow_mode_secs, 30,
        "setting the owner keeps slow mode"
    );
    assert_eq!(
        rules.moderators,
        BTreeSet::from([account("3"), account("jwt:x")])
    );

    assert!(
        moderation
            .set_moderator(&general, &account("3"), false)
            .await
            .unwrap()
    );
    assert!(
        !moderation
            .set_moderator(&general, &account("3"), false)
            .await
            .unwrap()
    );
    moderation.set_slow_mode(&general, 0).await.unwrap();
    let rules = moderation.room_rules(&general).await.unwrap();
    assert_eq!(rules.moderators, BTreeSet::from([account("jwt:x")]));
    assert_eq!((rules.slow_mode_secs, rules.owner), (0, Some(account("2"))));
    assert_eq!(
        moderation.room_rules(&room("other")).await.unwrap(),
        RoomRules::default(),
        "nothing leaks into another room"
    );
}

#[tokio::test]
async fn site_admins_are_granted_and_revoked_once() {
    let fixture = open();
    let moderation = &fixture.moderation;
    assert!(moderation.site_rules().await.unwrap().admins.is_empty());
    assert!(moderation.set_admin(&account("7"), true).await.unwrap());
    assert!(!moderation.set_admin(&account("7"), true).await.unwrap());
    assert!(moderation.set_admin(&account("8"), true).await.unwrap());
    assert_eq!(
        moderation.site_rules().await.unwrap().admins,
        BTreeSet::from([account("7"), account("8")])
    );
    assert!(moderation.set_admin(&account("7"), false).await.unwrap());
    assert!(!moderation.set_admin(&account("7"), false).await.unwrap());
    assert_eq!(
        moderation.site_rules().await.unwrap().admins,
        BTreeSet::from([account("8")])
    );
}

#[tokio::test]
async fn the_audit_log_gives_increasing_ids_per_room_and_reads_newest_first() {
    let fixture = open();
    let moderation = &fixture.moderation;
    let (general, other) = (room("general"), room("other"));
    let mut deletion = entry(AuditAction::Delete, "");
    deletion.entry.target = Some(42);
    assert_eq!(
        moderation
            .audit(&Scope::Room(general.clone()), deletion.clone())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        moderation
            .audit(
                &Scope::Room(general.clone()),
                entry(AuditAction::Mute, "10 minutes")
            )
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        moderation
            .audit(&Scope::Room(other.clone()), entry(AuditAction::Ban, ""))
            .await
            .unwrap(),
        1,
        "each room counts its own"
    );
    let mut slow = entry(AuditAction::SlowMode, "30");
    slow.entry.subject = None;
    assert_eq!(
        moderation
            .audit(&Scope::Room(general.clone()), slow.clone())
            .await
            .unwrap(),
        3
    );

    let log = moderation
        .audit_log(&Scope::Room(general.clone()), None, 10)
        .await
        .unwrap();
    assert_eq!(
        log.iter().map(|entry| entry.id).collect::<Vec<_>>(),
        [3, 2, 1]
    );
    assert_eq!(
        log[0],
        AuditEntry {
            id: 3,
            ..slow.entry
        }
    );
    assert_eq!(
        log[2],
        AuditEntry {
            id: 1,
            ..deletion.entry
        }
    );
    assert_eq!(log[1].detail, "10 minutes");
    let page = moderation
        .audit_log(&Scope::Room(general.clone()), Some(3), 1)
        .await
        .unwrap();
    assert_eq!(page.iter().map(|entry| entry.id).collect::<Vec<_>>(), [2]);
    assert!(
        moderation
            .audit_log(&Scope::Room(general.clone()), Some(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        moderation
            .audit_log(&Scope::Room(other.clone()), None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_audit_log_keeps_the_newest_entries_and_its_ids_go_on_growing() {
    let fixture = open();
    let general = room("general");
    {
        let mut conn = Connection::open(&fixture.path).unwrap();
        let tx = conn.transaction().unwrap();
        for id in 1..=AUDIT_KEPT {
            tx.execute(
                "INSERT INTO audit_log (room, id, ts, actor, action, subject, target, detail)
                 VALUES ('general', ?1, 1, 'mod', 'kick', NULL, NULL, '')",
                [i64::try_from(id).unwrap()],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let moderation = &fixture.moderation;
    let next = moderation
        .audit(&Scope::Room(general.clone()), entry(AuditAction::Kick, ""))
        .await
        .unwrap();
    assert_eq!(next, AUDIT_KEPT as u64 + 1);
    let oldest_left = moderation
        .audit_log(&Scope::Room(general.clone()), Some(3), 10)
        .await
        .unwrap();
    assert_eq!(
        oldest_left.iter().map(|entry| entry.id).collect::<Vec<_>>(),
        [2],
        "entry 1 was forgotten"
    );

    // With a small bound the same rule is easy to see whole.
    let mut conn = Connection::open(&fixture.path).unwrap();
    let small = room("small");
    let ids: Vec<u64> = (0..5)
        .map(|_| {
            record_audit(
                &mut conn,
                small.as_str(),
                &entry(AuditAction::Kick, "").entry,
                3,
            )
            .unwrap()
        })
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    let kept = moderation
        .audit_log(&Scope::Room(small.clone()), None, 10)
        .await
        .unwrap();
    assert_eq!(
        kept.iter().map(|entry| entry.id).collect::<Vec<_>>(),
        [5, 4, 3]
    );
}

#[tokio::test]
async fn a_read_marker_only_moves_forward_per_account_and_room() {
    let fixture = open();
    let moderation = &fixture.moderation;
    let (ada, bob) = (account("1"), account("2"));
    let (general, other) = (room("general"), room("other"));
    assert_eq!(
        moderation.set_read_marker(&ada, &general, 5).await.unwrap(),
        5
    );
    assert_eq!(
        moderation.set_read_marker(&ada, &general, 3).await.unwrap(),
        5,
        "backwards is no move"
    );
    assert_eq!(
        moderation.set_read_marker(&ada, &general, 9).await.unwrap(),
        9
    );
    assert_eq!(
        moderation.set_read_marker(&ada, &other, 2).await.unwrap(),
        2
    );
    assert_eq!(
        moderation.set_read_marker(&bob, &general, 1).await.unwrap(),
        1
    );
    assert_eq!(
        moderation.read_markers(&ada).await.unwrap(),
        [(general.clone(), 9), (other, 2)]
    );
    assert_eq!(
        moderation.read_markers(&bob).await.unwrap(),
        [(general.clone(), 1)]
    );
    assert!(
        moderation
            .read_markers(&account("3"))
            .await
            .unwrap()
            .is_empty()
    );

    // Moves racing each other end at the furthest.
    let moderation = Arc::new(fixture.moderation);
    let mut moves = tokio::task::JoinSet::new();
    for id in [40_u64, 12, 77, 3, 50, 76] {
        let (moderation, bob, general) = (Arc::clone(&moderation), bob.clone(), general.clone());
        moves.spawn(async move { moderation.set_read_marker(&bob, &general, id).await });
    }
    while let Some(moved) = moves.join_next().await {
        assert!(moved.unwrap().unwrap() >= 3);
    }
    assert_eq!(
        moderation.read_markers(&bob).await.unwrap(),
        [(general, 77)]
    );
}
