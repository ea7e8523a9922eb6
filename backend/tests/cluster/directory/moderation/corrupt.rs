//! Stored values written by something other than Chinwag: a sanction, an audit entry, a
//! slow mode or a marker that is not what Chinwag writes is an error, not a rule, and the
//! node stays ready.

use super::*;

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
        .audit_log(&Scope::Room(room("audit-json")), None, 10)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt(Corrupt::Entry(_))),
        "{err}"
    );
    let err = moderation
        .audit_log(&Scope::Room(room("audit-field")), None, 10)
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
