//! Sanctioned people trying to get round their sanction: a muted account posting by another
//! credential (a personal access token, over HTTP and a socket) or by its name as a guest; a
//! banned account resuming with `after=` over a socket or HTTP, by session or token; a banned
//! guest coming back under its name (from anywhere) or under a new name from its address.
//!
//! Each refusal is checked beside an acceptance on the same server (another address, an
//! account, another room), so no test passes because everything fails.

use crate::{
    cast::{Person, chats, sanction, staffed},
    raw::handshake_status,
    support::Client,
};
use serde_json::{Value, json};
use std::net::Ipv4Addr;

#[tokio::test]
async fn a_muted_account_is_refused_by_every_credential_and_a_banned_one_cannot_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let mallory = Person::sign_up(&server, "mallory").await;
    let token = mallory
        .call(&server, "POST", "/api/tokens", Some(json!({"name": "bot"})))
        .await;
    let bearer = format!("Bearer {}", token.body["token"].as_str().unwrap());
    let (mut socket, _) = mallory.join(&server, "hall").await;
    socket.post("hall", "mallory", "first").await;
    let muted = ada
        .call(
            &server,
            "PUT",
            "/api/rooms/hall/mutes/mallory",
            sanction(None, ""),
        )
        .await;
    assert_eq!(muted.status, 200, "{muted:?}");

    let by_token = server
        .call(
            "POST",
            "/api/rooms/hall/messages",
            &[("authorization", &bearer)],
            Some(json!({"message": "by my bot"})),
        )
        .await;
    assert_eq!(
        (by_token.status, by_token.code()),
        (403, "muted"),
        "{by_token:?}"
    );
    let as_guest = server
        .call(
            "POST",
            "/api/rooms/hall/messages",
            &[],
            Some(json!({"username": "mallory", "message": "as a guest"})),
        )
        .await;
    assert_eq!(
        (as_guest.status, as_guest.code()),
        (409, "username_taken"),
        "her name is hers alone: {as_guest:?}"
    );
    let (mut bot, _) =
        Client::join_with(&server.ws_url("?room=hall"), &[("authorization", &bearer)]).await;
    bot.send_json(json!({"type": "send", "room": "hall", "message": "by socket"}))
        .await;
    let refused = bot.recv_type("error").await;
    assert_eq!(refused["code"], "muted", "{refused}");

    // Banned now: no resume, by socket or HTTP, by session or token, hands her anything.
    let banned = ada
        .call(
            &server,
            "PUT",
            "/api/rooms/hall/bans/mallory",
            sanction(None, ""),
        )
        .await;
    assert_eq!(banned.status, 200, "{banned:?}");
    socket.recv_through("left").await;
    ada.post(&server, "hall", "said after her ban").await;
    for after in ["0", "1"] {
        let upgrade = mallory.query("hall", &format!("&after={after}"));
        assert_eq!(handshake_status(&server, &upgrade, "").await, 403);
        let header = format!("Authorization: {bearer}\r\n");
        let query = format!("?room=hall&after={after}");
        assert_eq!(handshake_status(&server, &query, &header).await, 403);
        let after_id: u64 = after.parse().unwrap();
        socket
            .send_json(json!({"type": "join", "room": "hall", "after": after_id}))
            .await;
        let frames = socket.recv_through("error").await;
        assert_eq!(chats(&frames), Vec::<&Value>::new(), "nothing delivered");
        assert_eq!(frames.last().unwrap()["code"], "banned");
        for path in [
            format!("/api/rooms/hall/messages?after={after}"),
            format!("/api/rooms/hall/messages?after={after}&wait=2"),
            "/api/rooms/hall/messages?before=100".to_owned(),
        ] {
            for reply in [
                mallory.call(&server, "GET", &path, None).await,
                server
                    .call("GET", &path, &[("authorization", &bearer)], None)
                    .await,
            ] {
                assert_eq!((reply.status, reply.code()), (403, "banned"), "{path}");
                assert!(
                    !reply.body.to_string().contains("said after her ban"),
                    "{reply:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_banned_guest_comes_back_neither_under_its_name_nor_a_new_one_from_its_address() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let elsewhere = Ipv4Addr::new(127, 0, 0, 2);
    let (mut troll, _) = Client::join(&server.ws_url("?room=den&username=troll")).await;
    troll.post("den", "troll", "spam").await;
    let banned = ada
        .call(
            &server,
            "PUT",
            "/api/rooms/den/bans/troll",
            sanction(None, "spam"),
        )
        .await;
    assert_eq!(banned.status, 200, "{banned:?}");
    assert_eq!(banned.body["guest"], true, "{banned:?}");
    let frames = troll.recv_through("left").await;
    assert_eq!(frames[frames.len() - 2]["code"], "banned", "{frames:?}");

    // Its name, from here or from elsewhere; a new name, from here: all refused.
    let post = |name: &str| Some(json!({"username": name, "message": "I am new here"}));
    let path = "/api/rooms/den/messages";
    for (name, from) in [
        ("troll", None),
        ("troll", Some(elsewhere)),
        ("friendly", None),
    ] {
        let reply = match from {
            Some(address) => server.call_from(address, "POST", path, post(name)).await,
            None => server.call("POST", path, &[], post(name)).await,
        };
        assert_eq!(
            (reply.status, reply.code()),
            (403, "banned"),
            "{name} from {from:?}: {reply:?}"
        );
    }
    for query in [
        "?room=den&username=troll",
        "?room=den&username=friendly&after=0",
    ] {
        assert_eq!(handshake_status(&server, query, "").await, 403, "{query}");
    }
    let (status, _) = server.get_json("/api/rooms/den/messages?after=0").await;
    assert_eq!(status, 403, "its address reads nothing either");
    troll
        .send_json(json!({"type": "join", "room": "den", "username": "friendly"}))
        .await;
    assert_eq!(troll.recv_type("error").await["code"], "banned");

    // Controls: a new name from another address, and an account from this one, are let in.
    let newcomer = server
        .call_from(elsewhere, "POST", path, post("newcomer"))
        .await;
    assert_eq!(newcomer.status, 201, "{newcomer:?}");
    ada.post(&server, "den", "accounts are not held by a guest's ban")
        .await;
    let other_room = server
        .call("POST", "/api/rooms/lobby/messages", &[], post("friendly"))
        .await;
    assert_eq!(
        other_room.status, 201,
        "the ban is this room's: {other_room:?}"
    );

    // Lifting the name's ban lifts its address with it.
    let lifted = ada
        .call(&server, "DELETE", "/api/rooms/den/bans/troll", None)
        .await;
    assert_eq!(lifted.status, 204, "{lifted:?}");
    let back = server.call("POST", path, &[], post("friendly")).await;
    assert_eq!(back.status, 201, "{back:?}");
}
