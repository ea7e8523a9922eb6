//! The moderation directory in Redis, as the hub uses it: roles and slow mode read back with a
//! room's sanctions in one go; one sanction per scope, subject and kind, at most
//! `SANCTIONS_KEPT` per scope even when connections race for the last place, expired ones
//! forgotten; audit ids increasing per room, paged newest first, trimmed to `AUDIT_KEPT`; read
//! markers that never go back, however many connections move them; and stored values written
//! by something other than Chinwag answered as errors, never as rules.

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
use std::sync::atomic::Ordering;
use tokio::task::JoinSet;

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
        match outcome.unwrap() {
            Ok(()) => won += 1,
            Err(TooManySanctions) => {}
        }
    }
    assert_eq!(won, 1);
    let rules = moderation(&redis)
        .room_rules(&room("general"))
        .await
        .unwrap();
    assert_eq!(rules.sanctions.len(), SANCTIONS_KEPT);
}

#[tokio::test]
async fn audit_ids_increase_per_room_and_pages_go_newest_first() {
    let redis = Redis::start().await;
    let moderation = moderation(&redis);
    let general = room("general");
    let other = room("other");
    assert_eq!(
        moderation.audit_log(&general, None, 10).await.unwrap(),
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
                &general,
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
        moderation.audit(&other, new_audit("there")).await.unwrap(),
        1,
        "each room counts its own"
    );

    let newest_first: Vec<AuditEntry> = given.iter().rev().cloned().collect();
    assert_eq!(
        moderation.audit_log(&general, None, 10).await.unwrap(),
        newest_first,
        "read back whole"
    );
    assert_eq!(
        ids(&moderation.audit_log(&general, None, 2).await.unwrap()),
        [5, 4]
    );
    assert_eq!(
        ids(&moderation.audit_log(&general, Some(4), 2).await.unwrap()),
        [3, 2]
    );
    assert_eq!(
        ids(&moderation.audit_log(&general, Some(2), 10).await.unwrap()),
        [1]
    );
    for (before, limit) in [(Some(1), 10), (Some(0), 10), (None, 0)] {
        assert_eq!(
            moderation.audit_log(&general, before, limit).await.unwrap(),
            Vec::new(),
            "{before:?} {limit}"
        );
    }
    assert_eq!(
        ids(&moderation.audit_log(&other, None, 10).await.unwrap()),
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
                ids.push(moderation.audit(&general, audit).await.unwrap());
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
        .audit_log(&general, None, 1_000)
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
                    .audit(&general, new_audit("filler"))
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
        .audit_log(&general, None, AUDIT_KEPT + 100)
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
        moderation.audit(&general, new_audit("next")).await.unwrap(),
        newest + 1
    );
    assert_eq!(
        ids(&moderation.audit_log(&general, Some(7), 10).await.unwrap()),
        [6, 5],
        "the append trimmed the oldest again; a page stops at the oldest kept"
    );
}

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

#[tokio::test]
async fn corrupt_stored_values_are_errors_not_rules() {
    let redis = Redis::start().await;
    let link = link(&redis);
    let moderation = RedisModeration::new(link.clone());
    let mut conn = raw(&redis).await;

    // A sanction that no longer parses, names one that breaks the rules, or is filed under
    // another subject's field.
    let general = Scope::Room(room("general"));
    let mute = sanction(&general, account(1), SanctionKind::Mute, "");
    moderation.impose(&mute).await.unwrap().unwrap();
    let json: String = ::redis::cmd("HGET")
        .arg("chinwag:sanctions:{general}")
        .arg("mute:a:1")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(json.contains("\"ada\""), "{json}");
    hset(&mut conn, "chinwag:sanctions:{bad-json}", "mute:a:1", "{").await;
    hset(
        &mut conn,
        "chinwag:sanctions:{bad-name}",
        "mute:a:1",
        &json.replace("\"ada\"", "\"\""),
    )
    .await;
    hset(
        &mut conn,
        "chinwag:sanctions:{bad-subject}",
        "mute:a:1",
        &json.replace("\"a:1\"", "\"x:1\""),
    )
    .await;
    for bad in ["bad-json", "bad-name", "bad-subject"] {
        let err = moderation.room_rules(&room(bad)).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt(Corrupt::Entry(_))),
            "{bad}: {err}"
        );
    }
    hset(&mut conn, "chinwag:sanctions:{misfiled}", "mute:a:2", &json).await;
    hset(&mut conn, "chinwag:sanctions:{*}", "ban:a:1", &json).await;
    hset(
        &mut conn,
        "chinwag:room-rules:{slow}",
        "slow_mode_secs",
        "fast",
    )
    .await;
    for err in [
        moderation.room_rules(&room("misfiled")).await.unwrap_err(),
        moderation.site_rules().await.unwrap_err(),
        moderation.room_rules(&room("slow")).await.unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::Redis(_)), "{err}");
        assert!(err.to_string().contains("malformed"), "{err}");
    }

    // Audit entries that are not an entry's JSON, or hold another field.
    for (key, field, value) in [
        ("chinwag:audit:{audit-json}", "entry", "{\"ts\":1}"),
        ("chinwag:audit:{audit-field}", "r", "{}"),
    ] {
        ::redis::cmd("XADD")
            .arg(key)
            .arg("1-0")
            .arg(field)
            .arg(value)
            .query_async::<String>(&mut raw(&redis).await)
            .await
            .unwrap();
    }
    let err = moderation
        .audit_log(&room("audit-json"), None, 10)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt(Corrupt::Entry(_))),
        "{err}"
    );
    let err = moderation
        .audit_log(&room("audit-field"), None, 10)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Redis(_)), "{err}");

    // A marker under a name no room has, and one that is not a number's digits: the latter is
    // neither compared (as text, `012` would pass for more than `13`) nor written over.
    hset(&mut conn, "chinwag:read-markers:7", "Not A Room", "5").await;
    let err = moderation.read_markers(&id("7")).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt(Corrupt::Value { .. })),
        "{err}"
    );
    hset(&mut conn, "chinwag:read-markers:8", "general", "012").await;
    let err = moderation
        .set_read_marker(&id("8"), &room("general"), 13)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Redis(_)), "{err}");
    assert!(moderation.read_markers(&id("8")).await.is_err());
    let left: String = ::redis::cmd("HGET")
        .arg("chinwag:read-markers:8")
        .arg("general")
        .query_async(&mut raw(&redis).await)
        .await
        .unwrap();
    assert_eq!(left, "012", "left as found");

    assert!(
        link.is_ready(),
        "a bad value is the data's fault, not Redis's: the node stays ready"
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
    moderation.audit(&general, new_audit("")).await.unwrap();
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
