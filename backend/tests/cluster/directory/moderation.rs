//! The moderation directory in Redis, as the hub uses it: roles and slow mode read back with a
//! room's sanctions in one go; one sanction per scope, subject and kind, at most
//! `SANCTIONS_KEPT` per scope even when connections race for the last place, expired ones
//! forgotten; audit ids increasing per room, paged newest first, trimmed to `AUDIT_KEPT`; read
//! markers that never go back, however many connections move them; and stored values written
//! by something other than Chinwag answered as errors, never as rules. This file holds the
//! helpers, the roles and the key names; [`sanctions`], [`audit`], [`markers`] and [`corrupt`]
//! the rest.

use super::*;
use chinwag_backend::{
    cluster::RedisModeration,
    store::{
        Corrupt, StoreError,
        moderation::{
            AUDIT_KEPT, Moderation, NewAudit, RoomRules, SANCTIONS_KEPT, Sanction, Scope,
            SiteRules, Subject, TooManySanctions,
        },
    },
};
use chinwag_shared::moderation::{AuditAction, AuditEntry, SanctionKind};
use tokio::task::JoinSet;

mod audit;
mod corrupt;
mod markers;
mod sanctions;

/// Connections that fill a scope or a log together, so ten thousand writes take a moment.
const FILLERS: usize = 4;

fn moderation(redis: &Redis) -> RedisModeration {
    RedisModeration::new(link(redis))
}

async fn raw(redis: &Redis) -> ::redis::aio::MultiplexedConnection {
    ::redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Writes `field` of the hash at `key` as something other than Chinwag might.
async fn hset(conn: &mut ::redis::aio::MultiplexedConnection, key: &str, field: &str, value: &str) {
    ::redis::cmd("HSET")
        .arg(key)
        .arg(field)
        .arg(value)
        .query_async::<i64>(conn)
        .await
        .unwrap();
}

fn account(number: usize) -> Subject {
    Subject::Account(id(&number.to_string()))
}

/// A sanction in `scope` on `subject`, until lifted, with a reason naming `reason`.
fn sanction(scope: &Scope, subject: Subject, kind: SanctionKind, reason: &str) -> Sanction {
    Sanction {
        scope: scope.clone(),
        subject,
        kind,
        username: name("ada"),
        until: None,
        reason: reason.to_owned(),
        by: name("mod"),
        created: 1_000,
    }
}

fn entry(action: AuditAction, detail: &str) -> AuditEntry {
    AuditEntry {
        id: 0,
        ts: now_ms(),
        actor: name("mod"),
        action,
        subject: Some(name("ada")),
        target: None,
        detail: detail.to_owned(),
        key: None,
    }
}

fn new_audit(detail: &str) -> NewAudit {
    NewAudit {
        entry: entry(AuditAction::Kick, detail),
    }
}

/// Imposes a sanction on accounts `numbers` in `scope`, over [`FILLERS`] connections at once;
/// each must be taken.
async fn fill(redis: &Redis, scope: &Scope, numbers: std::ops::Range<usize>) {
    let mut fillers = JoinSet::new();
    for filler in 0..FILLERS {
        let moderation = moderation(redis);
        let scope = scope.clone();
        let numbers = numbers.clone().skip(filler).step_by(FILLERS);
        fillers.spawn(async move {
            for number in numbers {
                let mute = sanction(&scope, account(number), SanctionKind::Mute, "");
                assert_eq!(moderation.impose(&mute).await.unwrap(), Ok(()), "{number}");
            }
        });
    }
    while let Some(done) = fillers.join_next().await {
        done.unwrap();
    }
}

fn ids(entries: &[AuditEntry]) -> Vec<u64> {
    entries.iter().map(|entry| entry.id).collect()
}

#[tokio::test]
async fn a_rooms_roles_and_slow_mode_read_back_with_its_rules_and_the_sites_admins_apart() {
    let redis = Redis::start().await;
    let moderation = moderation(&redis);
    let general = room("general");
    let other = room("other");
    assert_eq!(
        moderation.room_rules(&general).await.unwrap(),
        RoomRules::default()
    );
    assert_eq!(moderation.site_rules().await.unwrap(), SiteRules::default());

    moderation.set_owner(&general, &id("1")).await.unwrap();
    moderation.set_owner(&general, &id("2")).await.unwrap();
    assert!(
        moderation
            .set_moderator(&general, &id("3"), true)
            .await
            .unwrap()
    );
    assert!(
        !moderation
            .set_moderator(&general, &id("3"), true)
            .await
            .unwrap(),
        "already one"
    );
    assert!(
        moderation
            .set_moderator(&general, &id("4"), true)
            .await
            .unwrap()
    );
    assert!(
        moderation
            .set_moderator(&general, &id("4"), false)
            .await
            .unwrap()
    );
    assert!(
        !moderation
            .set_moderator(&general, &id("4"), false)
            .await
            .unwrap(),
        "not one any more"
    );
    assert!(
        moderation
            .set_moderator(&general, &id("jwt:x:y"), true)
            .await
            .unwrap()
    );
    moderation.set_slow_mode(&general, 30).await.unwrap();

    assert_eq!(
        moderation.room_rules(&general).await.unwrap(),
        RoomRules {
            owner: Some(id("2")),
            moderators: BTreeSet::from([id("3"), id("jwt:x:y")]),
            slow_mode_secs: 30,
            sanctions: Vec::new(),
        },
        "the later owner replaced the earlier"
    );
    assert_eq!(
        moderation.room_rules(&other).await.unwrap(),
        RoomRules::default(),
        "another room's rules are its own"
    );
    moderation.set_slow_mode(&general, 0).await.unwrap();
    assert_eq!(
        moderation
            .room_rules(&general)
            .await
            .unwrap()
            .slow_mode_secs,
        0
    );

    assert!(moderation.set_admin(&id("5"), true).await.unwrap());
    assert!(!moderation.set_admin(&id("5"), true).await.unwrap());
    assert!(moderation.set_admin(&id("6"), true).await.unwrap());
    assert!(moderation.set_admin(&id("6"), false).await.unwrap());
    assert!(!moderation.set_admin(&id("6"), false).await.unwrap());
    assert_eq!(
        moderation.site_rules().await.unwrap().admins,
        BTreeSet::from([id("5")])
    );
    assert!(
        moderation
            .room_rules(&general)
            .await
            .unwrap()
            .moderators
            .iter()
            .all(|moderator| moderator != &id("5")),
        "an admin is not made a room's moderator"
    );
}

#[tokio::test]
async fn every_key_is_a_chinwag_one_and_a_rooms_keys_carry_its_hash_tag() {
    let redis = Redis::start().await;
    let moderation = moderation(&redis);
    let general = room("general");
    let scope = Scope::Room(general.clone());
    moderation.set_owner(&general, &id("1")).await.unwrap();
    moderation.set_slow_mode(&general, 5).await.unwrap();
    moderation
        .set_moderator(&general, &id("2"), true)
        .await
        .unwrap();
    moderation.set_admin(&id("3"), true).await.unwrap();
    for scope in [&scope, &Scope::Site] {
        let mute = sanction(scope, account(4), SanctionKind::Mute, "");
        moderation.impose(&mute).await.unwrap().unwrap();
    }
    moderation
        .audit(&Scope::Room(general.clone()), new_audit(""))
        .await
        .unwrap();
    moderation
        .set_read_marker(&id("1"), &general, 1)
        .await
        .unwrap();

    let keys: BTreeSet<String> = ::redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut raw(&redis).await)
        .await
        .unwrap();
    let expected: BTreeSet<String> = [
        "chinwag:room-rules:{general}",
        "chinwag:moderators:{general}",
        "chinwag:sanctions:{general}",
        "chinwag:sanction-ends:{general}",
        "chinwag:audit-last-id:{general}",
        "chinwag:audit:{general}",
        "chinwag:admins:{*}",
        "chinwag:sanctions:{*}",
        "chinwag:sanction-ends:{*}",
        "chinwag:read-markers:1",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(keys, expected);
}
