//! Sanctions in the SQLite moderation directory, on a real file: one per scope, subject and
//! kind (imposing again replaces, lifting removes only it), and at most `SANCTIONS_KEPT` in
//! force per scope, expired ones forgotten as new ones come.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::moderation_tests::{account, name, open, room};
use crate::store::moderation::{
    Moderation, SANCTIONS_KEPT, Sanction, Scope, Subject, TooManySanctions,
};
use chinwag_shared::moderation::SanctionKind;
use rusqlite::{Connection, params};
use std::path::Path;

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
fn seed_sanctions(path: &Path, scope: &Scope, count: usize, until: Option<u64>) {
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
