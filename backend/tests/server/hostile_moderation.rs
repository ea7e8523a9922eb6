//! Moderation from the attacker's side, at the routes: a member trying every moderator
//! route, a guest trying them, a moderator reaching above their role, and hostile bodies.
//! The sanctioned people's own attempts to get round a sanction are in `hostile_sanctions`.
//!
//! Each refusal is checked beside an acceptance on the same server, and what a refused act
//! would have changed is read back unchanged, so no test passes because everything fails.

use crate::{
    cast::{Person, appoint, sanction, staffed},
    support::{Client, Server},
};
use serde_json::{Value, json};

/// Every moderator route on `room` (and site-wide), with a body where one is taken;
/// `message` is the id of someone else's message there.
fn moderator_routes(room: &str, message: &Value) -> Vec<(&'static str, String, Option<Value>)> {
    let with_reason = Some(json!({"seconds": 60, "reason": "because"}));
    vec![
        (
            "DELETE",
            format!("/api/rooms/{room}/messages/{message}"),
            None,
        ),
        (
            "PATCH",
            format!("/api/rooms/{room}"),
            Some(json!({"slow_mode_secs": 30})),
        ),
        (
            "PUT",
            format!("/api/rooms/{room}/owner"),
            Some(json!({"username": "mallory"})),
        ),
        ("PUT", format!("/api/rooms/{room}/moderators/mallory"), None),
        ("DELETE", format!("/api/rooms/{room}/moderators/ada"), None),
        (
            "PUT",
            format!("/api/rooms/{room}/mutes/bob"),
            with_reason.clone(),
        ),
        ("DELETE", format!("/api/rooms/{room}/mutes/bob"), None),
        (
            "PUT",
            format!("/api/rooms/{room}/bans/bob"),
            with_reason.clone(),
        ),
        ("DELETE", format!("/api/rooms/{room}/bans/bob"), None),
        ("POST", format!("/api/rooms/{room}/kicks/bob"), None),
        ("PUT", "/api/site/mutes/bob".to_owned(), with_reason.clone()),
        ("DELETE", "/api/site/mutes/bob".to_owned(), None),
        ("PUT", "/api/site/bans/bob".to_owned(), with_reason),
        ("DELETE", "/api/site/bans/bob".to_owned(), None),
        ("GET", format!("/api/rooms/{room}/sanctions"), None),
        ("GET", format!("/api/rooms/{room}/audit"), None),
    ]
}

/// What a moderator route could have changed in `room`, read by the admin: settings, the
/// sanctions in force, the audit log and the messages.
async fn room_state(server: &Server, ada: &Person, room: &str) -> Vec<Value> {
    let mut state = Vec::new();
    for path in [
        format!("/api/rooms/{room}/settings"),
        format!("/api/rooms/{room}/sanctions"),
        format!("/api/rooms/{room}/audit"),
        format!("/api/rooms/{room}/messages?after=0"),
    ] {
        let reply = ada.call(server, "GET", &path, None).await;
        assert_eq!(reply.status, 200, "{path}: {reply:?}");
        state.push(reply.body);
    }
    state
}

#[tokio::test]
async fn a_member_is_forbidden_every_moderator_route_and_a_guest_is_asked_to_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let mallory = Person::sign_up(&server, "mallory").await;
    let (mut bob, _) = Client::join(&server.ws_url("?room=hall&username=bob&token=bob-t")).await;
    let victim = bob.post("hall", "bob", "an innocent message").await;
    let before = room_state(&server, &ada, "hall").await;

    for (method, path, body) in moderator_routes("hall", &victim["id"]) {
        let member = mallory.call(&server, method, &path, body.clone()).await;
        assert_eq!(
            (member.status, member.code()),
            (403, "forbidden"),
            "{method} {path} as a member: {member:?}"
        );
        let guest = server.call(method, &path, &[], body).await;
        assert_eq!(
            (guest.status, guest.code()),
            (401, "unauthenticated"),
            "{method} {path} as a guest: {guest:?}"
        );
    }
    let edit = format!("/api/rooms/hall/messages/{}", victim["id"]);
    let guest_edit = server
        .call("PATCH", &edit, &[], Some(json!({"message": "pwned"})))
        .await;
    assert_eq!(
        (guest_edit.status, guest_edit.code()),
        (401, "unauthenticated")
    );

    assert_eq!(
        room_state(&server, &ada, "hall").await,
        before,
        "nothing changed"
    );
    bob.post("hall", "bob", "still speaking").await;
    // The admin is allowed the same route: the refusals were about the caller.
    let muted = ada
        .call(
            &server,
            "PUT",
            "/api/rooms/hall/mutes/bob",
            sanction(Some(60), ""),
        )
        .await;
    assert_eq!(muted.status, 200, "{muted:?}");
}

#[tokio::test]
async fn no_one_acts_on_someone_of_their_own_role_or_above() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let olga = Person::sign_up(&server, "olga").await;
    let mia = Person::sign_up(&server, "mia").await;
    let _max = Person::sign_up(&server, "max").await;
    let _mallory = Person::sign_up(&server, "mallory").await;
    let owner = ada
        .call(
            &server,
            "PUT",
            "/api/rooms/hall/owner",
            Some(json!({"username": "olga"})),
        )
        .await;
    assert_eq!(
        (owner.status, &owner.body["owner"]),
        (200, &json!("olga")),
        "{owner:?}"
    );
    appoint(&server, &olga, "hall", "mia").await;
    let settings = appoint(&server, &olga, "hall", "max").await;
    assert_eq!(settings["moderators"], json!(["max", "mia"]), "{settings}");
    let before = room_state(&server, &ada, "hall").await;

    let refusals = [
        (&mia, "PUT", "/api/rooms/hall/bans/olga", "the owner"),
        (&mia, "PUT", "/api/rooms/hall/bans/max", "another moderator"),
        (
            &mia,
            "PUT",
            "/api/rooms/hall/mutes/max",
            "another moderator",
        ),
        (&mia, "POST", "/api/rooms/hall/kicks/olga", "the owner"),
        (&mia, "PUT", "/api/rooms/hall/bans/ada", "an admin"),
        (
            &mia,
            "PUT",
            "/api/rooms/hall/moderators/mallory",
            "appointing",
        ),
        (
            &mia,
            "DELETE",
            "/api/rooms/hall/moderators/max",
            "dismissing",
        ),
        (&mia, "PUT", "/api/site/bans/mallory", "a site-wide ban"),
        (
            &olga,
            "PUT",
            "/api/rooms/hall/bans/ada",
            "the admin, by the owner",
        ),
        (
            &olga,
            "PUT",
            "/api/rooms/hall/owner",
            "giving the room away",
        ),
        (&olga, "PUT", "/api/site/mutes/mallory", "a site-wide mute"),
    ];
    for (actor, method, path, what) in refusals {
        let body = path.ends_with("/owner").then(|| json!({"username": "mia"}));
        let reply = actor.call(&server, method, path, body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (403, "forbidden"),
            "{} on {what}: {reply:?}",
            actor.name
        );
    }
    assert_eq!(
        room_state(&server, &ada, "hall").await,
        before,
        "nothing changed"
    );

    // Downward is allowed: a moderator on a member, the owner on a moderator.
    let reply = mia
        .call(
            &server,
            "PUT",
            "/api/rooms/hall/mutes/mallory",
            sanction(None, ""),
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let reply = olga
        .call(
            &server,
            "PUT",
            "/api/rooms/hall/bans/max",
            sanction(Some(60), ""),
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    // A moderator here is a member elsewhere.
    let elsewhere = mia
        .call(
            &server,
            "PUT",
            "/api/rooms/other/mutes/mallory",
            sanction(None, ""),
        )
        .await;
    assert_eq!((elsewhere.status, elsewhere.code()), (403, "forbidden"));
}

#[tokio::test]
async fn hostile_bodies_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let before = room_state(&server, &ada, "hall").await;
    let long_reason = "x".repeat(chinwag_shared::MAX_REASON_CHARS + 1);
    let huge_reason = "y".repeat(256 * 1024);
    let too_long = chinwag_shared::MAX_SANCTION_SECS + 1;
    let bodies = [
        json!({"reason": long_reason}),
        json!({"reason": huge_reason}),
        json!({"reason": "line one\nline two"}),
        json!({"reason": "bell \u{7}"}),
        json!({"reason": "\u{1b}[31mred"}),
        json!({"seconds": 0}),
        json!({"seconds": too_long}),
        json!({"seconds": -1}),
        json!({"seconds": "600"}),
        json!({"seconds": 1.5}),
    ];
    // Each body is tried on both sanction routes; every one must be refused. The ones let
    // through are gathered, so a failure names them all.
    let mut let_through = Vec::new();
    for body in bodies {
        for path in ["/api/rooms/hall/mutes/bob", "/api/rooms/hall/bans/bob"] {
            let reply = ada.call(&server, "PUT", path, Some(body.clone())).await;
            if !(400..=413).contains(&reply.status) {
                let shown: String = body.to_string().chars().take(40).collect();
                let_through.push(format!(
                    "PUT {path} {shown}… -> {} {}",
                    reply.status, reply.body
                ));
                // Undo it, so the next body meets the same state.
                let lifted = ada.call(&server, "DELETE", path, None).await;
                assert_eq!(lifted.status, 204, "{lifted:?}");
            }
        }
    }
    assert_eq!(
        let_through,
        Vec::<String>::new(),
        "hostile bodies let through"
    );
    let kick = ada
        .call(
            &server,
            "POST",
            "/api/rooms/hall/kicks/bob",
            Some(json!({"reason": "x".repeat(chinwag_shared::MAX_REASON_CHARS + 1)})),
        )
        .await;
    assert_eq!(kick.status, 400, "{kick:?}");
    for slow in [
        json!(chinwag_shared::MAX_SLOW_MODE_SECS + 1),
        json!(-1),
        json!("5"),
    ] {
        let reply = ada
            .call(
                &server,
                "PATCH",
                "/api/rooms/hall",
                Some(json!({"slow_mode_secs": slow})),
            )
            .await;
        assert_eq!(reply.status, 400, "slow_mode_secs {slow}: {reply:?}");
    }
    // Spaces are allowed inside names; a control character or an over-long name is not.
    let too_long = "n".repeat(chinwag_shared::MAX_USERNAME_CHARS + 1);
    for name in ["%00", "a%0Ab", too_long.as_str()] {
        let path = format!("/api/rooms/hall/bans/{name}");
        let reply = ada.call(&server, "PUT", &path, sanction(None, "")).await;
        assert_eq!(reply.status, 400, "{path}: {reply:?}");
    }
    assert_eq!(
        room_state(&server, &ada, "hall").await,
        before,
        "nothing was imposed, set or logged"
    );
    // The same routes with sane bodies are accepted: the refusals were about the bodies.
    let reply = ada
        .call(
            &server,
            "PUT",
            "/api/rooms/hall/bans/bob",
            sanction(Some(60), "ok"),
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
}
