//! Read state as a person sees it across their connections and devices: moving the read
//! marker on one connection tells every socket of the same account (and no one else's), the
//! room list counts unread messages and mentions from the marker (not one's own, not deleted
//! ones), and a new session on a "second device" finds the same marker and counts.

use crate::{
    cast::{PASSWORD, Person, staffed},
    support::{Client, Server},
};
use serde_json::{Value, json};

/// `room`'s entry in the room list `path` as `cookie` (a guest if `None`) sees it.
async fn listed(server: &Server, cookie: Option<&str>, path: &str, room: &str) -> Value {
    let reply = match cookie {
        Some(cookie) => server.call_as(cookie, "GET", path, None).await,
        None => server.call("GET", path, &[], None).await,
    };
    assert_eq!(reply.status, 200, "{reply:?}");
    reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|summary| summary["room"] == room)
        .unwrap_or_else(|| panic!("#{room} in {path}: {reply:?}"))
        .clone()
}

/// The `(unread, mentions)` of `summary` (`null` where absent).
fn counts(summary: &Value) -> (Value, Value) {
    (summary["unread"].clone(), summary["mentions"].clone())
}

/// Moves `person`'s marker in `room` to `id`; the marker the server answers.
async fn mark(server: &Server, person: &Person, room: &str, id: u64) -> Value {
    let path = format!("/api/rooms/{room}/read");
    let reply = person
        .call(server, "PUT", &path, Some(json!({"id": id})))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["id"].clone()
}

#[tokio::test]
async fn a_marker_moved_on_one_connection_reaches_the_accounts_other_sockets_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let bea = Person::sign_up(&server, "bea").await;
    let cara = Person::sign_up(&server, "cara").await;
    let (mut tab, _) = bea.join(&server, "lounge").await;
    let (mut other_tab, _) = bea.join(&server, "elsewhere").await;
    let (mut stranger, _) = cara.join(&server, "lounge").await;
    for text in ["one", "two", "three"] {
        tab.post("lounge", "bea", text).await;
    }

    assert_eq!(mark(&server, &bea, "lounge", 2).await, 2);
    for socket in [&mut tab, &mut other_tab] {
        let notice = socket.recv_type("read_marker").await;
        assert_eq!(
            notice,
            json!({"type": "read_marker", "room": "lounge", "id": 2})
        );
    }
    // Cara's first marker notice is her own: bea's never reached her.
    assert_eq!(mark(&server, &cara, "lounge", 3).await, 3);
    let notice = stranger.recv_type("read_marker").await;
    assert_eq!(notice["id"], 3, "{notice}");

    // Only forward; never past the newest record.
    assert_eq!(mark(&server, &bea, "lounge", 1).await, 2, "not back");
    assert_eq!(mark(&server, &bea, "lounge", 1_000).await, 3, "capped");
    let guest = server
        .call("PUT", "/api/rooms/lounge/read", &[], Some(json!({"id": 1})))
        .await;
    assert_eq!((guest.status, guest.code()), (401, "unauthenticated"));
    let settings = bea
        .call(&server, "GET", "/api/rooms/lounge/settings", None)
        .await;
    assert_eq!(settings.body["read"], 3, "{settings:?}");
}

#[tokio::test]
async fn unread_and_mention_counts_follow_the_marker_to_a_second_device() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let bea = Person::sign_up(&server, "bea").await;
    let guest_post = |text: &'static str| {
        let body = json!({"username": "bob", "message": text});
        server.call("POST", "/api/rooms/lounge/messages", &[], Some(body))
    };
    assert_eq!(guest_post("hi all").await.status, 201); // 1
    let lounge = listed(&server, Some(&bea.cookie), "/api/rooms", "lounge").await;
    assert_eq!(
        counts(&lounge),
        (Value::Null, Value::Null),
        "a public room she never read is not unread: {lounge}"
    );
    assert_eq!(mark(&server, &bea, "lounge", 1).await, 1);

    assert_eq!(guest_post("@bea are you there").await.status, 201); // 2
    assert_eq!(guest_post("@BEA, again").await.status, 201); // 3
    assert_eq!(guest_post("@beatrice is someone else").await.status, 201); // 4
    bea.post(&server, "lounge", "my own, @bea").await; // 5
    let gone = ada.post(&server, "lounge", "@bea this goes away").await; // 6
    let path = format!("/api/rooms/lounge/messages/{}", gone["id"]);
    let deleted = ada.call(&server, "DELETE", &path, None).await;
    assert_eq!(deleted.status, 200, "{deleted:?}"); // 7

    let lounge = listed(&server, Some(&bea.cookie), "/api/rooms", "lounge").await;
    assert_eq!(
        counts(&lounge),
        (json!(3), json!(2)),
        "2, 3 and 4 unread, 2 and 3 mention her; not her own, not the deleted one: {lounge}"
    );
    let guest_view = listed(&server, None, "/api/rooms", "lounge").await;
    assert_eq!(
        counts(&guest_view),
        (Value::Null, Value::Null),
        "{guest_view}"
    );

    // A second device: a new session of the same account finds the same marker and counts.
    let signed_in = server
        .call(
            "POST",
            "/api/session",
            &[],
            Some(json!({"username": "bea", "password": PASSWORD})),
        )
        .await;
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    let second = signed_in.session_cookie();
    assert_ne!(second, bea.cookie);
    let lounge = listed(&server, Some(&second), "/api/rooms", "lounge").await;
    assert_eq!(counts(&lounge), (json!(3), json!(2)), "{lounge}");
    let settings = server
        .call_as(&second, "GET", "/api/rooms/lounge/settings", None)
        .await;
    assert_eq!(settings.body["read"], 1, "{settings:?}");
    let (mut device, _) =
        Client::join(&server.ws_url(&format!("?room=lounge&access_token={second}"))).await;
    assert_eq!(mark(&server, &bea, "lounge", 4).await, 4);
    let notice = device.recv_type("read_marker").await;
    assert_eq!(
        notice["id"], 4,
        "the second device hears the first: {notice}"
    );
    let lounge = listed(&server, Some(&second), "/api/rooms", "lounge").await;
    assert_eq!(counts(&lounge), (json!(0), json!(0)), "{lounge}");

    // A private room counts from the start for its members, marker or not.
    let created = bea
        .call(
            &server,
            "POST",
            "/api/rooms",
            Some(json!({"name": "den", "private": true})),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let added = bea
        .call(&server, "PUT", "/api/rooms/den/members/ada", None)
        .await;
    assert_eq!(added.status, 204, "{added:?}");
    bea.post(&server, "den", "welcome @ada").await;
    let den = listed(&server, Some(&ada.cookie), "/api/me/rooms", "den").await;
    assert_eq!(counts(&den), (json!(1), json!(1)), "{den}");
    let den = listed(&server, Some(&bea.cookie), "/api/me/rooms", "den").await;
    assert_eq!(counts(&den), (json!(0), json!(0)), "her own: {den}");
}
