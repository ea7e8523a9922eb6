//! Site-wide moderation: an admin's site ban refuses the account in every room on every
//! transport and ends its live sockets (the notice, then close 4003); a site mute silences a
//! guest's name everywhere; and a JWT whose `role` claim is exactly `admin` makes its bearer
//! an admin, while a near miss does not.

use crate::{
    cast::{Person, sanction, staffed},
    jwt,
    raw::handshake_status,
    support::Server,
};
use chinwag_shared::moderation::CLOSE_BANNED;
use serde_json::json;

/// An HS256 secret of the 32 bytes the server asks for at least.
const HS256_SECRET: &str = "0123456789abcdef0123456789abcdef-mods";

#[tokio::test]
async fn a_site_ban_refuses_the_account_everywhere_and_ends_its_sockets() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let mallory = Person::sign_up(&server, "mallory").await;
    let (mut socket, _) = mallory.join(&server, "plaza").await;
    socket.post("plaza", "mallory", "hi").await;

    let banned = ada
        .call(
            &server,
            "PUT",
            "/api/site/bans/mallory",
            sanction(None, "abuse"),
        )
        .await;
    assert_eq!(banned.status, 200, "{banned:?}");
    assert_eq!(
        (&banned.body["site"], &banned.body["kind"]),
        (&json!(true), &json!("ban"))
    );
    for room in ["plaza", "general", "never-used"] {
        for (method, path, body) in [
            ("GET", format!("/api/rooms/{room}/messages?after=0"), None),
            (
                "POST",
                format!("/api/rooms/{room}/messages"),
                Some(json!({"message": "hello?"})),
            ),
        ] {
            let reply = mallory.call(&server, method, &path, body).await;
            assert_eq!(
                (reply.status, reply.code()),
                (403, "banned"),
                "{method} {path}: {reply:?}"
            );
        }
        assert_eq!(
            handshake_status(&server, &mallory.query(room, ""), "").await,
            403
        );
    }
    let listed = ada
        .call(&server, "GET", "/api/rooms/plaza/sanctions", None)
        .await;
    assert_eq!(listed.body[0]["site"], true, "{listed:?}");
    assert_eq!(listed.body[0]["username"], "mallory", "{listed:?}");

    let lifted = ada
        .call(&server, "DELETE", "/api/site/bans/mallory", None)
        .await;
    assert_eq!(lifted.status, 204, "{lifted:?}");
    mallory.post(&server, "plaza", "back again").await;

    // Her socket at the time of the ban was told, then closed with the banned code.
    let notice = socket.recv_type("error").await;
    assert_eq!(notice["code"], "banned", "{notice}");
    let close = socket.recv_close().await.expect("a close frame");
    assert_eq!(u16::from(close.code), CLOSE_BANNED, "{close:?}");
}

/// A guest's post of "hello" to `room` as `name`.
async fn guest_post(server: &Server, room: &str, name: &str) -> crate::support::Reply {
    let body = json!({"username": name, "message": "hello"});
    let path = format!("/api/rooms/{room}/messages");
    server.call("POST", &path, &[], Some(body)).await
}

#[tokio::test]
async fn a_site_mute_silences_a_guest_name_in_every_room_until_lifted() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let muted = ada
        .call(
            &server,
            "PUT",
            "/api/site/mutes/bob",
            sanction(Some(600), ""),
        )
        .await;
    assert_eq!(
        (muted.status, &muted.body["guest"], &muted.body["site"]),
        (200, &json!(true), &json!(true)),
        "{muted:?}"
    );
    for room in ["one", "two"] {
        let reply = guest_post(&server, room, "bob").await;
        assert_eq!(
            (reply.status, reply.code()),
            (403, "muted"),
            "{room}: {reply:?}"
        );
        assert_eq!(
            guest_post(&server, room, "carol").await.status,
            201,
            "others speak in {room}"
        );
    }
    let lifted = ada
        .call(&server, "DELETE", "/api/site/mutes/bob", None)
        .await;
    assert_eq!(lifted.status, 204, "{lifted:?}");
    assert_eq!(guest_post(&server, "one", "bob").await.status, 201);
}

#[tokio::test]
async fn a_jwt_role_claim_of_exactly_admin_moderates_every_room() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--jwt-hs256-secret", HS256_SECRET]).await;
    let token = |sub: &str, role: Option<&str>| {
        let mut claims = jwt::claims(sub, 300);
        if let Some(role) = role {
            claims["role"] = role.into();
        }
        format!(
            "Bearer {}",
            jwt::sign_hs256(HS256_SECRET.as_bytes(), &claims)
        )
    };
    for (sub, role, status) in [
        ("root", Some("admin"), 200),
        ("near", Some("Admin"), 403),
        ("wide", Some("admin "), 403),
        ("none", None, 403),
    ] {
        let bearer = token(sub, role);
        let headers = [("authorization", bearer.as_str())];
        let settings = server
            .call("GET", "/api/rooms/anywhere/settings", &headers, None)
            .await;
        let expected_role = if status == 200 { "admin" } else { "member" };
        assert_eq!(
            settings.body["role"], expected_role,
            "{role:?}: {settings:?}"
        );
        let muted = server
            .call(
                "PUT",
                "/api/rooms/anywhere/mutes/bob",
                &headers,
                sanction(Some(60), ""),
            )
            .await;
        assert_eq!(muted.status, status, "{role:?}: {muted:?}");
    }
}
