//! The message lifecycle from the attacker's side: editing or deleting someone else's
//! message, an account editing what a guest once posted under its name, editing after the
//! window, and aiming edits and deletions at change records, missing ids and deleted
//! messages. Each refusal sits beside the same act allowed to the right person, and the
//! message is read back unchanged.

use crate::{
    cast::{Person, staffed},
    support::{NO_RATE_LIMIT, Server},
};
use serde_json::{Value, json};
use std::time::Duration;

/// `person` edits message `id` of `room` to `text`.
async fn edit(
    server: &Server,
    person: &Person,
    room: &str,
    id: &Value,
    text: &str,
) -> (u16, String) {
    let path = format!("/api/rooms/{room}/messages/{id}");
    let reply = person
        .call(server, "PATCH", &path, Some(json!({"message": text})))
        .await;
    (reply.status, reply.code().to_owned())
}

/// `person` deletes message `id` of `room`.
async fn delete(server: &Server, person: &Person, room: &str, id: &Value) -> (u16, String) {
    let path = format!("/api/rooms/{room}/messages/{id}");
    let reply = person.call(server, "DELETE", &path, None).await;
    (reply.status, reply.code().to_owned())
}

/// The record `id` of `room`'s history.
async fn record(server: &Server, room: &str, id: &Value) -> Value {
    let (_, page) = server
        .get_json(&format!("/api/rooms/{room}/messages?after=0"))
        .await;
    page.as_array()
        .unwrap()
        .iter()
        .find(|record| record["id"] == *id)
        .unwrap_or_else(|| panic!("record {id} in {page}"))
        .clone()
}

#[tokio::test]
async fn only_the_signed_in_author_edits_and_a_member_deletes_only_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    let bea = Person::sign_up(&server, "bea").await;
    let mallory = Person::sign_up(&server, "mallory").await;
    // A guest posts as "zed" before anyone owns that name; then an account takes it.
    let guest = server
        .call(
            "POST",
            "/api/rooms/desk/messages",
            &[],
            Some(json!({"username": "zed", "message": "a guest's words"})),
        )
        .await;
    assert_eq!(guest.status, 201, "{guest:?}");
    let zed = Person::sign_up(&server, "zed").await;
    let hers = bea.post(&server, "desk", "bea's words").await;

    for (who, id) in [(&mallory, &hers["id"]), (&zed, &guest.body["id"])] {
        assert_eq!(
            edit(&server, who, "desk", id, "pwned").await,
            (403, "forbidden".to_owned()),
            "{} editing {id}",
            who.name
        );
        assert_eq!(
            delete(&server, who, "desk", id).await,
            (403, "forbidden".to_owned()),
            "{} deleting {id}",
            who.name
        );
    }
    assert_eq!(
        record(&server, "desk", &hers["id"]).await,
        hers,
        "unchanged"
    );
    assert_eq!(
        record(&server, "desk", &guest.body["id"]).await["message"],
        "a guest's words"
    );
    assert_eq!(
        edit(&server, &bea, "desk", &hers["id"], "bea's better words").await,
        (200, String::new()),
        "the author may"
    );
}

#[tokio::test]
async fn an_edit_after_the_window_is_refused_but_the_author_may_still_delete() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--edit-window-secs", "1"]).await;
    let bea = Person::sign_up(&server, "bea").await;
    let fresh = bea.post(&server, "desk", "fresh").await;
    assert_eq!(
        edit(&server, &bea, "desk", &fresh["id"], "fresh, fixed")
            .await
            .0,
        200,
        "within the window"
    );
    let old = bea.post(&server, "desk", "soon too old").await;
    // Waiting out the window is the point: its second from the message's own timestamp.
    let ts = old["ts"].as_u64().unwrap();
    let now = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis((ts + 1_200).saturating_sub(now))).await;
    let path = format!("/api/rooms/desk/messages/{}", old["id"]);
    let late = bea
        .call(
            &server,
            "PATCH",
            &path,
            Some(json!({"message": "too late"})),
        )
        .await;
    assert_eq!(
        (late.status, late.code()),
        (403, "edit_window_closed"),
        "{late:?}"
    );
    assert!(
        late.body["detail"].as_str().unwrap().contains("1 s"),
        "{late:?}"
    );
    assert_eq!(
        record(&server, "desk", &old["id"]).await["message"],
        "soon too old"
    );
    assert_eq!(delete(&server, &bea, "desk", &old["id"]).await.0, 200);
}

#[tokio::test]
async fn changes_aimed_at_change_records_missing_or_deleted_messages_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let message = ada.post(&server, "desk", "original").await;
    let edited = ada
        .call(
            &server,
            "PATCH",
            &format!("/api/rooms/desk/messages/{}", message["id"]),
            Some(json!({"message": "edited"})),
        )
        .await;
    assert_eq!(edited.status, 200, "{edited:?}");
    let change_id = &edited.body["id"];

    let not_found = (404, "no_such_message".to_owned());
    for id in [change_id.clone(), json!(0), json!(999), json!(u64::MAX)] {
        assert_eq!(
            edit(&server, &ada, "desk", &id, "x").await,
            not_found,
            "edit {id}"
        );
        assert_eq!(
            delete(&server, &ada, "desk", &id).await,
            not_found,
            "delete {id}"
        );
    }
    // Another room's ids are not this room's.
    assert_eq!(
        delete(&server, &ada, "empty-room", &message["id"]).await,
        not_found
    );
    for text in ["", &"x".repeat(chinwag_shared::MAX_MESSAGE_CHARS + 1)] {
        let (status, _) = edit(&server, &ada, "desk", &message["id"], text).await;
        assert_eq!(status, 400, "an edit to {} chars", text.len());
    }
    assert_eq!(
        record(&server, "desk", &message["id"]).await["message"],
        "edited"
    );

    assert_eq!(delete(&server, &ada, "desk", &message["id"]).await.0, 200);
    let gone = (409, "message_deleted".to_owned());
    assert_eq!(
        delete(&server, &ada, "desk", &message["id"]).await,
        gone,
        "twice"
    );
    assert_eq!(
        edit(&server, &ada, "desk", &message["id"], "back").await,
        gone
    );
    let (_, page) = server.get_json("/api/rooms/desk/messages?after=0").await;
    assert_eq!(
        page.as_array().unwrap().len(),
        3,
        "one deletion stored: {page}"
    );
}
