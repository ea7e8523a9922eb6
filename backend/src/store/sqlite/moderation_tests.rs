//! The SQLite moderation directory against the `Moderation` contract, on a real file: roles
//! and settings, site admins, one sanction per scope, subject and kind (replaced, lifted,
//! bounded per scope with expired ones forgotten), the audit log (per-room ids, newest
//! first, bounded) and read markers that only move forward.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{SqliteModeration, SqliteStore, SyncMode, moderation::record_audit};
use crate::{
    delivery::frame::ChatFrame,
    fanout::ChatPublisher,
    store::{
        accounts::AccountId,
        moderation::{
            AUDIT_KEPT, Moderation, NewAudit, RoomRules, SANCTIONS_KEPT, Sanction, Scope, Subject,
            TooManySanctions,
        },
    },
};
use chinwag_shared::{
    RoomName, Username,
    moderation::{AuditAction, AuditEntry, SanctionKind},
};
use rusqlite::{Connection, params};
use std::{collections::BTreeSet, path::PathBuf, sync::Arc};

struct NoFanout;

impl ChatPublisher for NoFanout {
    fn publish_chat(&self, _chat: ChatFrame) {}
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    _store: SqliteStore,
    moderation: SqliteModeration,
}

fn open() -> Fixture {
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

fn room(raw: &str) -> RoomName {
    RoomName::parse(raw).unwrap()
}

fn name(raw: &str) -> Username {
    Username::parse(raw).unwrap()
}

fn account(id: &str) -> AccountId {
    AccountId::new(id)
}

fn mute(scope: Scope, subject: Subject, until: Option<u64>, created: u64) -> Sanction {
    Sanction {
        scope,
        subject,
        kind: SanctionKind::Mute,
        username: name("mallory"),
        until,
        reason: "spam".to_owned(),
        by: name("mod"),
        created,
    }
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
async fn a_sanction_is_one_per_scope_subject_and_kind_and_lifting_removes_only_it() {
    let fixture = open();
    let moderation = &fixture.moderation;
    let general = Scope::Room(room("general"));
    let mallory = Subject::Account(account("5"));
    let first = mute(general.clone(), mallory.clone(), Some(10_000), 1_000);
    assert_eq!(moderation.impose(&first).await.unwrap(), Ok(()));
    let again = Sanction {
        until: None,
        reason: "again".to_owned(),
        by: name("owner"),
        created: 2_000,
        ..first.clone()
    };
    assert_eq!(moderation.impose(&again).await.unwrap(), Ok(()));
    let ban = Sanction {
        kind: SanctionKind::Ban,
        ..first.clone()
    };
    moderation.impose(&ban).await.unwrap().unwrap();
    let guest = mute(
        general.clone(),
        Subject::GuestName(name("Mallory").hold_key()),
        None,
        3_000,
    );
    let address = Sanction {
        kind: SanctionKind::Ban,
        ..mute(
            general.clone(),
            Subject::Address("::1".parse().unwrap()),
            None,
            3_000,
        )
    };
    moderation.impose(&guest).await.unwrap().unwrap();
    moderation.impose(&address).await.unwrap().unwrap();
    let site = mute(Scope::Site, mallory.clone(), None, 4_000);
    moderation.impose(&site).await.unwrap().unwrap();

    let listed = moderation
        .room_rules(&room("general"))
        .await
        .unwrap()
        .sanctions;
    assert_eq!(listed.len(), 4, "{listed:?}");
    for expected in [&again, &ban, &guest, &address] {
        assert!(listed.contains(expected), "{expected:?} in {listed:?}");
    }
    assert!(!listed.contains(&first), "replaced, not kept beside");
    assert_eq!(moderation.site_rules().await.unwrap().sanctions, [site]);
    assert!(
        moderation
            .room_rules(&room("other"))
            .await
            .unwrap()
            .sanctions
            .is_empty()
    );

    assert!(
        moderation
            .lift(&general, &mallory, SanctionKind::Mute)
            .await
            .unwrap()
    );
    assert!(
        !moderation
            .lift(&general, &mallory, SanctionKind::Mute)
            .await
            .unwrap()
    );
    let listed = moderation
        .room_rules(&room("general"))
        .await
        .unwrap()
        .sanctions;
    assert!(listed.contains(&ban) && !listed.contains(&again));
    assert_eq!(
        moderation.site_rules().await.unwrap().sanctions.len(),
        1,
        "the site's mute is another scope's"
    );
    assert!(
        moderation
            .lift(&Scope::Site, &mallory, SanctionKind::Mute)
            .await
            .unwrap()
    );
    assert!(moderation.site_rules().await.unwrap().sanctions.is_empty());
}

/// Stores `count` sanctions on guest names `g0…` in `scope`, each until `until`, directly.
fn seed_sanctions(path: &PathBuf, scope: &Scope, count: usize, until: Option<u64>) {
    let mut conn = Connection::open(path).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    let tx = conn.transaction().unwrap();
    for n in 0..count {
        tx.execute(
            "INSERT INTO sanctions (scope, subject, kind, username, until, reason, by, created)
             VALUES (?1, ?2, 'mute', 'g', ?3, '', 'mod', 1)",
            params![
                scope.key(),
                Subject::GuestName(name(&format!("g{n}")).hold_key()).key(),
                until.map(|until| i64::try_from(until).unwrap())
            ],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

#[tokio::test]
async fn a_scope_holds_at_most_the_kept_sanctions_in_force_and_forgets_expired_ones() {
    let fixture = open();
    let moderation = &fixture.moderation;
    let general = Scope::Room(room("general"));
    seed_sanctions(&fixture.path, &general, SANCTIONS_KEPT, Some(1_000_000));
    let count = || async {
        moderation
            .room_rules(&room("general"))
            .await
            .unwrap()
            .sanctions
            .len()
    };
    assert_eq!(count().await, SANCTIONS_KEPT);

    let newcomer = mute(general.clone(), Subject::Account(account("9")), None, 5_000);
    assert_eq!(
        moderation.impose(&newcomer).await.unwrap(),
        Err(TooManySanctions)
    );
    assert_eq!(count().await, SANCTIONS_KEPT, "nothing was written");
    let replacing = mute(
        general.clone(),
        Subject::GuestName(name("g0").hold_key()),
        None,
        5_000,
    );
    assert_eq!(
        moderation.impose(&replacing).await.unwrap(),
        Ok(()),
        "replacing one adds nothing"
    );
    let elsewhere = mute(Scope::Site, Subject::Account(account("9")), None, 5_000);
    assert_eq!(moderation.impose(&elsewhere).await.unwrap(), Ok(()));

    // Once the seeded ones have run out (the hub's clock, at the next sanction's creation,
    // is past them), they no longer count and are forgotten.
    let later = Sanction {
        created: 1_000_000,
        ..newcomer
    };
    assert_eq!(moderation.impose(&later).await.unwrap(), Ok(()));
    let left = moderation
        .room_rules(&room("general"))
        .await
        .unwrap()
        .sanctions;
    assert_eq!(left.len(), 2, "the replaced one (no end) and the new one");
    assert!(left.contains(&later) && left.contains(&replacing));
}

#[tokio::test]
async fn the_audit_log_gives_increasing_ids_per_room_and_reads_newest_first() {
    let fixture = open();
    let moderation = &fixture.moderation;
    let (general, other) = (room("general"), room("other"));
    let mut deletion = entry(AuditAction::Delete, "");
    deletion.entry.target = Some(42);
    assert_eq!(
        moderation.audit(&general, deletion.clone()).await.unwrap(),
        1
    );
    assert_eq!(
        moderation
            .audit(&general, entry(AuditAction::Mute, "10 minutes"))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        moderation
            .audit(&other, entry(AuditAction::Ban, ""))
            .await
            .unwrap(),
        1,
        "each room counts its own"
    );
    let mut slow = entry(AuditAction::SlowMode, "30");
    slow.entry.subject = None;
    assert_eq!(moderation.audit(&general, slow.clone()).await.unwrap(), 3);

    let log = moderation.audit_log(&general, None, 10).await.unwrap();
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
    let page = moderation.audit_log(&general, Some(3), 1).await.unwrap();
    assert_eq!(page.iter().map(|entry| entry.id).collect::<Vec<_>>(), [2]);
    assert!(
        moderation
            .audit_log(&general, Some(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        moderation.audit_log(&other, None, 10).await.unwrap().len(),
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
        .audit(&general, entry(AuditAction::Kick, ""))
        .await
        .unwrap();
    assert_eq!(next, AUDIT_KEPT as u64 + 1);
    let oldest_left = moderation.audit_log(&general, Some(3), 10).await.unwrap();
    assert_eq!(
        oldest_left.iter().map(|entry| entry.id).collect::<Vec<_>>(),
        [2],
        "entry 1 was forgotten"
    );

    // With a small bound the same rule is easy to see whole.
    let mut conn = Connection::open(&fixture.path).unwrap();
    let small = room("small");
    let ids: Vec<u64> = (0..5)
        .map(|_| record_audit(&mut conn, &small, &entry(AuditAction::Kick, "").entry, 3).unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    let kept = moderation.audit_log(&small, None, 10).await.unwrap();
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
