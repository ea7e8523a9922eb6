//! The console against those it is not for: every `/api/admin/…` route answers a guest 401
//! `unauthenticated` and a signed-in non-admin 403 `forbidden` before it reads anything else
//! of the request, so neither learns which accounts or rooms exist; a bad credential is 401
//! too; an admin gets 404 for an account that does not exist and 400 for a name that is no
//! name; and an admin may not disable, sign out or un-admin themselves.

use crate::{
    cast::{Person, staffed},
    support::Sse,
};
use serde_json::json;

/// Every console route, with a name that exists and one that does not.
fn routes(name: &str) -> Vec<(&'static str, String)> {
    let account = format!("/api/admin/accounts/{name}");
    vec![
        ("GET", "/api/admin/live".to_owned()),
        ("GET", "/api/admin/rooms".to_owned()),
        ("GET", "/api/admin/accounts?q=a".to_owned()),
        ("PUT", format!("{account}/disabled")),
        ("DELETE", format!("{account}/disabled")),
        ("DELETE", format!("{account}/sessions")),
        ("PUT", format!("{account}/admin")),
        ("DELETE", format!("{account}/admin")),
        ("GET", format!("{account}/connections")),
        ("GET", "/api/admin/sanctions".to_owned()),
        ("GET", "/api/admin/audit".to_owned()),
    ]
}

#[tokio::test]
async fn every_console_route_refuses_guests_and_non_admins_alike() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let mallory = Person::sign_up(&server, "mallory").await;
    for name in ["bob", "nobody-here", "%20bad%20"] {
        for (method, path) in routes(name) {
            let guest = server.call(method, &path, &[], None).await;
            assert_eq!(
                (guest.status, guest.code()),
                (401, "unauthenticated"),
                "guest {method} {path}: {guest:?}"
            );
            let forged = server
                .call(
                    method,
                    &path,
                    &[("authorization", "Bearer cwp_forged")],
                    None,
                )
                .await;
            assert_eq!(forged.status, 401, "forged {method} {path}: {forged:?}");
            let refused = mallory.call(&server, method, &path, None).await;
            assert_eq!(
                (refused.status, refused.code()),
                (403, "forbidden"),
                "non-admin {method} {path}: {refused:?}"
            );
        }
    }
    // And the admin is let through each (the live stream is read in `console`).
    let _bob = Person::sign_up(&server, "bob").await;
    for (method, path) in routes("bob") {
        if path.ends_with("/live") {
            continue;
        }
        let reply = ada.call(&server, method, &path, None).await;
        assert!(
            (200..300).contains(&reply.status),
            "admin {method} {path}: {reply:?}"
        );
    }
    let cookie = format!("chinwag_session={}", ada.cookie);
    let live = Sse::open(&server, "/api/admin/live", &[("cookie", &cookie)]).await;
    assert_eq!(live.status, 200);
    let mut refused = Sse::open(&server, "/api/admin/live", &[]).await;
    assert_eq!(refused.status, 401);
    let (_, body) = refused
        .next_event()
        .await
        .map_or((String::new(), json!(null)), |e| e);
    assert_eq!(body, json!(null), "no events for a guest");
}

#[tokio::test]
async fn an_admin_gets_404_for_no_such_account_400_for_no_name_and_cannot_lock_themselves_out() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    for (method, path) in routes("nobody-here") {
        if !path.contains("nobody-here") {
            continue;
        }
        let reply = ada.call(&server, method, &path, None).await;
        assert_eq!(
            (reply.status, reply.code()),
            (404, "no_such_user"),
            "{method} {path}: {reply:?}"
        );
    }
    let reply = ada
        .call(
            &server,
            "PUT",
            "/api/admin/accounts/%20bad%20/disabled",
            None,
        )
        .await;
    assert_eq!(reply.status, 400, "{reply:?}");
    for (method, path) in [
        ("PUT", "/api/admin/accounts/ada/disabled"),
        ("DELETE", "/api/admin/accounts/ada/sessions"),
        ("DELETE", "/api/admin/accounts/ADA/admin"),
    ] {
        let reply = ada.call(&server, method, path, None).await;
        assert_eq!(
            (reply.status, reply.code()),
            (403, "forbidden"),
            "{method} {path}: {reply:?}"
        );
    }
    let me = ada.call(&server, "GET", "/api/me", None).await;
    assert_eq!(me.body["admin"], true, "still signed in and admin: {me:?}");
    let long = "x".repeat(200);
    let reply = ada
        .call(
            &server,
            "GET",
            &format!("/api/admin/accounts?q={long}"),
            None,
        )
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (400, "bad_query"),
        "{reply:?}"
    );
}
