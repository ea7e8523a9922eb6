//! Private rooms and direct messages: members use them over every transport, the owner adds
//! and removes members by name, and everyone else is refused on every path.
//!
//! The paths a non-member must not pass are listed once ([`refused_everywhere`]) and checked
//! for a signed-in outsider, a guest and a removed member alike, so a transport added later
//! without the hub's access check shows up here.

use crate::{
    raw::handshake_status,
    support::{Client, Server, sample},
};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

/// A server with the room `secret` owned by olga, and the cookies of olga and of `others`.
async fn with_secret_room(dir: &tempfile::TempDir, others: &[&str]) -> (Server, Vec<String>) {
    let server = Server::start(dir).await;
    let mut cookies = vec![server.sign_up("olga", PASSWORD).await];
    for name in others {
        cookies.push(server.sign_up(name, PASSWORD).await);
    }
    let created = server
        .call_as(
            &cookies[0],
            "POST",
            "/api/rooms",
            Some(json!({"name": "secret", "private": true})),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    (server, cookies)
}

fn cookie_header(cookie: &str) -> String {
    format!("chinwag_session={cookie}")
}

/// Joins `?{query}` carrying `cookie` (none for a guest).
async fn join_as(server: &Server, cookie: Option<&str>, query: &str) -> (Client, Vec<Value>) {
    let url = server.ws_url(query);
    match cookie {
        Some(cookie) => Client::join_with(&url, &[("cookie", &cookie_header(cookie))]).await,
        None => Client::join(&url).await,
    }
}

async fn call(
    server: &Server,
    cookie: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> crate::support::Reply {
    match cookie {
        Some(cookie) => server.call_as(cookie, method, path, body).await,
        None => server.call(method, path, &[], body).await,
    }
}

/// The next frame on `client` that is an error, skipping any others.
async fn next_error(client: &mut Client) -> Value {
    client.recv_type("error").await
}

/// Asserts that `cookie`'s holder (a guest when `None`, speaking as `name`) is refused `room`
/// on every path: the upgrade, the join, send and typing frames of a socket in another room,
/// history, long-poll, poll, posts, typing notices, presence and the member list.
async fn refused_everywhere(server: &Server, cookie: Option<&str>, name: &str, room: &str) {
    let header = cookie.map_or(String::new(), |cookie| {
        format!("Cookie: {}\r\n", cookie_header(cookie))
    });
    for query in [format!("?room={room}"), format!("?room={room}&after=0")] {
        assert_eq!(
            handshake_status(server, &query, &header).await,
            403,
            "upgrade {query} as {name}"
        );
    }

    let (mut socket, _) = join_as(server, cookie, &format!("?room=lobby-{name}")).await;
    let frames = [
        json!({"type": "join", "room": room, "after": 0, "username": name}),
        json!({"type": "send", "room": room, "username": name, "message": "let me in"}),
        json!({"type": "typing", "room": room, "username": name}),
    ];
    for frame in frames {
        socket.send_json(frame.clone()).await;
        let error = next_error(&mut socket).await;
        assert_eq!(
            (&error["code"], &error["room"]),
            (&json!("forbidden"), &json!(room)),
            "{frame} as {name}: {error}"
        );
    }

    let gets = [
        format!("/api/rooms/{room}/messages?after=0"),
        format!("/api/rooms/{room}/messages?after=0&wait=1"),
        format!("/api/rooms/{room}/messages"),
        format!("/api/rooms/{room}/messages?before=1000&limit=5"),
        format!("/api/rooms/{room}/presence"),
    ];
    for path in gets {
        let reply = call(server, cookie, "GET", &path, None).await;
        assert_eq!(
            (reply.status, reply.code()),
            (403, "forbidden"),
            "{path} as {name}"
        );
    }
    let post = json!({"username": name, "message": "let me in"});
    let path = format!("/api/rooms/{room}/messages");
    let posted = call(server, cookie, "POST", &path, Some(post)).await;
    assert_eq!((posted.status, posted.code()), (403, "forbidden"), "{name}");
    let path = format!("/api/rooms/{room}/typing");
    let typed = call(
        server,
        cookie,
        "POST",
        &path,
        Some(json!({"username": name})),
    )
    .await;
    assert_eq!((typed.status, typed.code()), (403, "forbidden"), "{name}");
    if cookie.is_some() {
        let path = format!("/api/rooms/{room}/members");
        let members = call(server, cookie, "GET", &path, None).await;
        assert_eq!(
            (members.status, members.code()),
            (403, "forbidden"),
            "{name}"
        );
    }

    let (_, public) = server.get_json("/api/rooms?limit=100").await;
    let listed: Vec<&Value> = public
        .as_array()
        .unwrap()
        .iter()
        .map(|room| &room["room"])
        .collect();
    assert!(!listed.contains(&&json!(room)), "{public}");
}

/// Polls `/metrics` until `count` long-polls are waiting (subscribed), bounded.
async fn until_long_polls_waiting(server: &Server, count: f64) {
    for _ in 0..200 {
        let (_, text) = server.get_text("/metrics").await;
        if sample(&text, "chinwag_long_polls_waiting") == count {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("long-polls waiting never reached {count}");
}

/// The messages of `room`'s history as `cookie` sees it.
async fn history_texts(server: &Server, cookie: &str, room: &str) -> Vec<Value> {
    let path = format!("/api/rooms/{room}/messages?after=0");
    let reply = server.call_as(cookie, "GET", &path, None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["message"].clone())
        .collect()
}

#[tokio::test]
async fn the_owner_uses_a_new_private_room_over_every_transport() {
    let dir = tempfile::tempdir().unwrap();
    let (server, cookies) = with_secret_room(&dir, &[]).await;
    let olga = cookies[0].as_str();
    let again = server
        .call_as(
            olga,
            "POST",
            "/api/rooms",
            Some(json!({"name": "secret", "private": true})),
        )
        .await;
    assert_eq!((again.status, again.code()), (409, "room_exists"));
    let mine = server.call_as(olga, "GET", "/api/me/rooms", None).await;
    let rooms = mine.body.as_array().unwrap();
    assert_eq!(rooms.len(), 1, "{mine:?}");
    assert_eq!(
        (&rooms[0]["room"], &rooms[0]["private"], &rooms[0]["owner"]),
        (&json!("secret"), &json!(true), &json!("olga"))
    );

    // HTTP first, then her socket (with both, see `identity`'s test of an account posting
    // over HTTP beside its own socket).
    let posted = server
        .call_as(
            olga,
            "POST",
            "/api/rooms/secret/messages",
            Some(json!({"message": "first"})),
        )
        .await;
    assert_eq!(posted.status, 201, "{posted:?}");
    assert_eq!(posted.body["guest"], false);
    let typing = server
        .call_as(olga, "POST", "/api/rooms/secret/typing", Some(json!({})))
        .await;
    assert_eq!(typing.status, 204, "{typing:?}");

    let (mut socket, replay) = join_as(&server, Some(olga), "?room=secret&after=0").await;
    let replayed: Vec<&Value> = replay
        .iter()
        .filter(|frame| frame["type"] == "chat")
        .map(|frame| &frame["message"])
        .collect();
    assert_eq!(replayed, [&json!("first")]);
    let second = socket.post("secret", "olga", "second").await;
    assert_eq!(second["guest"], false);
    assert_eq!(
        history_texts(&server, olga, "secret").await,
        ["first", "second"]
    );
    let page = server
        .call_as(olga, "GET", "/api/rooms/secret/messages?limit=1", None)
        .await;
    assert_eq!(page.body[0]["message"], "second", "the newest page");

    let last = second["id"].as_u64().unwrap();
    let path = format!("/api/rooms/secret/messages?after={last}&wait=10");
    let waiting = {
        let server = &server;
        async move { server.call_as(olga, "GET", &path, None).await }
    };
    let (woken, _) = tokio::join!(waiting, async {
        until_long_polls_waiting(&server, 1.0).await;
        socket.post("secret", "olga", "third").await
    });
    assert_eq!(woken.status, 200);
    assert_eq!(woken.body[0]["message"], "third", "{woken:?}");

    let presence = server
        .call_as(olga, "GET", "/api/rooms/secret/presence", None)
        .await;
    assert_eq!(presence.status, 200);
    assert!(presence.body.to_string().contains("olga"), "{presence:?}");
    let members = server
        .call_as(olga, "GET", "/api/rooms/secret/members", None)
        .await;
    assert_eq!(members.body, json!([{"username": "olga", "owner": true}]));
}

#[tokio::test]
async fn the_owner_adds_a_member_by_name_who_then_can_do_everything_a_member_does() {
    let dir = tempfile::tempdir().unwrap();
    let (server, cookies) = with_secret_room(&dir, &["mia", "nora"]).await;
    let (olga, mia) = (cookies[0].as_str(), cookies[1].as_str());
    let (mut owner, _) = join_as(&server, Some(olga), "?room=secret&after=0").await;
    owner.post("secret", "olga", "before mia").await;
    assert_eq!(
        handshake_status(
            &server,
            "?room=secret",
            &format!("Cookie: {}\r\n", cookie_header(mia))
        )
        .await,
        403,
        "not yet a member"
    );

    let nobody = server
        .call_as(olga, "PUT", "/api/rooms/secret/members/nobody", None)
        .await;
    assert_eq!((nobody.status, nobody.code()), (404, "no_such_user"));
    let added = server
        .call_as(olga, "PUT", "/api/rooms/secret/members/MIA", None)
        .await;
    assert_eq!(
        added.status, 204,
        "a look-alike of the name finds the account"
    );
    let by_member = server
        .call_as(mia, "PUT", "/api/rooms/secret/members/nora", None)
        .await;
    assert_eq!(
        (by_member.status, by_member.code()),
        (403, "forbidden"),
        "only the owner adds"
    );

    let (mut member, replay) = join_as(&server, Some(mia), "?room=secret&after=0").await;
    let replayed: Vec<&Value> = replay
        .iter()
        .filter(|frame| frame["type"] == "chat")
        .map(|frame| &frame["message"])
        .collect();
    assert_eq!(replayed, [&json!("before mia")]);
    let said = member.post("secret", "mia", "hello olga").await;
    assert_eq!(owner.recv_type("chat").await, said);
    member
        .send_json(json!({"type": "typing", "room": "secret"}))
        .await;
    let typing = owner.recv_type("typing").await;
    assert_eq!(typing["username"], "mia");
    assert_eq!(
        history_texts(&server, mia, "secret").await,
        ["before mia", "hello olga"]
    );
    let presence = server
        .call_as(mia, "GET", "/api/rooms/secret/presence", None)
        .await;
    assert_eq!(presence.status, 200, "{presence:?}");
    let members = server
        .call_as(mia, "GET", "/api/rooms/secret/members", None)
        .await;
    assert_eq!(
        members.body,
        json!([
            {"username": "olga", "owner": true},
            {"username": "mia", "owner": false}
        ])
    );
    let listed = server.call_as(mia, "GET", "/api/me/rooms", None).await;
    assert_eq!(listed.body[0]["room"], "secret", "{listed:?}");
}

#[tokio::test]
async fn a_non_member_is_refused_on_every_path_and_never_sees_the_room_listed() {
    let dir = tempfile::tempdir().unwrap();
    let (server, cookies) = with_secret_room(&dir, &["nora"]).await;
    let (olga, nora) = (cookies[0].as_str(), cookies[1].as_str());
    let (mut owner, _) = join_as(&server, Some(olga), "?room=secret").await;
    owner.post("secret", "olga", "members only").await;
    // A public room with a message, so the room list is known to list rooms at all.
    let (mut lobby, _) = Client::join(&server.ws_url("?room=open&username=pat")).await;
    lobby.post("open", "pat", "anyone may read this").await;
    let (_, public) = server.get_json("/api/rooms").await;
    assert!(public.to_string().contains("\"open\""), "{public}");

    refused_everywhere(&server, Some(nora), "nora", "secret").await;
    refused_everywhere(&server, None, "guest", "secret").await;
    let mine = server.call_as(nora, "GET", "/api/me/rooms", None).await;
    assert_eq!(mine.body, json!([]));
    assert_eq!(
        history_texts(&server, olga, "secret").await,
        ["members only"],
        "nothing an outsider tried was stored"
    );
}

#[tokio::test]
async fn removing_a_member_evicts_their_live_socket_and_closes_every_path() {
    let dir = tempfile::tempdir().unwrap();
    let (server, cookies) = with_secret_room(&dir, &["mia"]).await;
    let (olga, mia) = (cookies[0].as_str(), cookies[1].as_str());
    let added = server
        .call_as(olga, "PUT", "/api/rooms/secret/members/mia", None)
        .await;
    assert_eq!(added.status, 204);
    let (mut owner, _) = join_as(&server, Some(olga), "?room=secret").await;
    let (mut member, _) = join_as(&server, Some(mia), "?room=secret").await;
    member
        .send_json(json!({"type": "join", "room": "lobby"}))
        .await;
    member.recv_type("joined").await;
    owner.post("secret", "olga", "while mia is in").await;
    assert!(member.chat_arrives("while mia is in").await);

    let removed = server
        .call_as(olga, "DELETE", "/api/rooms/secret/members/mia", None)
        .await;
    assert_eq!(removed.status, 204, "{removed:?}");
    let notice = member.recv_type("error").await;
    assert_eq!(
        (&notice["code"], &notice["room"]),
        (&json!("forbidden"), &json!("secret")),
        "{notice}"
    );
    let until_left = member.recv_through("left").await;
    assert!(
        until_left.iter().all(|frame| frame["type"] != "chat"),
        "{until_left:?}"
    );
    assert_eq!(until_left.last().unwrap()["room"], "secret");

    // The room goes on without her: olga's next message in #secret is published before
    // pat's in #lobby, so had it reached mia it would come first.
    owner.post("secret", "olga", "after mia left").await;
    let (mut pat, _) = Client::join(&server.ws_url("?room=lobby&username=pat")).await;
    pat.post("lobby", "pat", "in the lobby").await;
    let next_chat = member.recv_type("chat").await;
    assert_eq!(next_chat["message"], "in the lobby", "{next_chat}");

    refused_everywhere(&server, Some(mia), "mia", "secret").await;
    let mine = server.call_as(mia, "GET", "/api/me/rooms", None).await;
    assert_eq!(mine.body, json!([]));
}

#[tokio::test]
async fn a_direct_message_opens_for_both_and_is_closed_to_a_third() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let olga = server.sign_up("olga", PASSWORD).await;
    let mia = server.sign_up("mia", PASSWORD).await;
    let nora = server.sign_up("nora", PASSWORD).await;

    let opened = server
        .call_as(&olga, "POST", "/api/dms", Some(json!({"username": "mia"})))
        .await;
    assert_eq!(opened.status, 200, "{opened:?}");
    assert_eq!(opened.body["dm_with"], "mia");
    let room = opened.body["room"].as_str().unwrap().to_owned();
    let reopened = server
        .call_as(&mia, "POST", "/api/dms", Some(json!({"username": "olga"})))
        .await;
    assert_eq!(
        (&reopened.body["room"], &reopened.body["dm_with"]),
        (&json!(room), &json!("olga")),
        "the same conversation from either side"
    );
    for (cookie, other) in [(&olga, "mia"), (&mia, "olga")] {
        let mine = server.call_as(cookie, "GET", "/api/me/rooms", None).await;
        let rooms = mine.body.as_array().unwrap();
        assert_eq!(rooms.len(), 1, "{mine:?}");
        assert_eq!(
            (&rooms[0]["room"], &rooms[0]["dm_with"]),
            (&json!(room), &json!(other))
        );
    }

    let query = format!("?room={room}&after=0");
    let (mut from, _) = join_as(&server, Some(&olga), &query).await;
    let (mut to, _) = join_as(&server, Some(&mia), &query).await;
    let said = from.post(&room, "olga", "just between us").await;
    assert_eq!(to.recv_type("chat").await, said);

    refused_everywhere(&server, Some(&nora), "nora", &room).await;
    let mine = server.call_as(&nora, "GET", "/api/me/rooms", None).await;
    assert_eq!(mine.body, json!([]));
}

#[tokio::test]
async fn a_room_made_private_while_others_wait_in_it_closes_to_them_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let olga = server.sign_up("olga", PASSWORD).await;
    // Joining a name creates nothing: a guest and olga herself wait in `later`.
    let (mut lurker, _) = join_as(&server, None, "?room=later&username=lurker").await;
    let (mut owner, _) = join_as(&server, Some(&olga), "?room=later").await;
    let created = server
        .call_as(
            &olga,
            "POST",
            "/api/rooms",
            Some(json!({"name": "later", "private": true})),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let refused = next_error(&mut lurker).await;
    assert_eq!(
        (&refused["code"], &refused["room"]),
        (&json!("forbidden"), &json!("later"))
    );
    assert_eq!(lurker.recv_type("left").await["room"], "later");

    // The owner stays: her message reaches her, and the lurker never sees it.
    owner
        .send_json(
            json!({"type": "send", "room": "later", "message": "just us", "client_id": "o-1"}),
        )
        .await;
    assert_eq!(owner.recv_type("chat").await["message"], "just us");
    lurker
        .send_json(json!({"type": "send", "room": "later", "message": "still here?"}))
        .await;
    assert_eq!(next_error(&mut lurker).await["code"], "forbidden");
    refused_everywhere(&server, None, "lurker", "later").await;
}

#[tokio::test]
async fn direct_message_names_cannot_be_squatted_and_a_member_who_left_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let ann = server.sign_up("ann", PASSWORD).await;
    let _ben = server.sign_up("ben", PASSWORD).await;
    let opened = server
        .call_as(&ann, "POST", "/api/dms", Some(json!({"username": "ben"})))
        .await;
    assert_eq!(opened.status, 200, "{opened:?}");
    let room = opened.body["room"].as_str().unwrap().to_owned();
    assert!(room.starts_with("dm-"), "{room}");

    // Any other `dm-` name is no public room: nobody can take one before its pair opens it.
    let squat = server
        .call(
            "POST",
            "/api/rooms/dm-0123456789abcdef01234567/messages",
            &[],
            Some(json!({"username": "mallory", "message": "mine now"})),
        )
        .await;
    assert_eq!(squat.status, 403, "{squat:?}");
    let kept = server
        .call_as(
            &ann,
            "POST",
            "/api/rooms",
            Some(json!({"name": "dm-mine", "private": true})),
        )
        .await;
    assert_eq!(
        (kept.status, &kept.body["code"]),
        (400, &json!("invalid_room"))
    );

    // Ann leaves the conversation; opening it again lets her back into the same room.
    let left = server
        .call_as(
            &ann,
            "DELETE",
            &format!("/api/rooms/{room}/members/ann"),
            None,
        )
        .await;
    assert_eq!(left.status, 204, "{left:?}");
    refused_everywhere(&server, Some(&ann), "ann", &room).await;
    let again = server
        .call_as(&ann, "POST", "/api/dms", Some(json!({"username": "ben"})))
        .await;
    assert_eq!((again.status, &again.body["room"]), (200, &json!(room)));
    let history = server
        .call_as(&ann, "GET", &format!("/api/rooms/{room}/messages"), None)
        .await;
    assert_eq!(history.status, 200, "{history:?}");
}

#[tokio::test]
async fn a_person_hears_at_once_when_someone_adds_them_or_opens_a_dm_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let (server, cookies) = with_secret_room(&dir, &["bob"]).await;
    let (olga, bob) = (&cookies[0], &cookies[1]);
    // Bob is online in another room, on two devices.
    let (mut laptop, _) = join_as(&server, Some(bob), "?room=lobby").await;
    let (mut phone, _) = join_as(&server, Some(bob), "?room=lobby").await;

    let added = server
        .call_as(olga, "PUT", "/api/rooms/secret/members/bob", None)
        .await;
    assert_eq!(added.status, 204, "{added:?}");
    for device in [&mut laptop, &mut phone] {
        assert_eq!(
            device.recv_type("rooms_changed").await,
            json!({"type": "rooms_changed"})
        );
    }
    let listed = server.call_as(bob, "GET", "/api/me/rooms", None).await;
    assert_eq!(listed.body[0]["room"], "secret", "{listed:?}");

    let opened = server
        .call_as(olga, "POST", "/api/dms", Some(json!({"username": "bob"})))
        .await;
    assert_eq!(opened.status, 200, "{opened:?}");
    assert_eq!(
        laptop.recv_type("rooms_changed").await["type"],
        "rooms_changed"
    );

    // An inbox is nobody's room: not joinable, not postable, not creatable.
    let (mut guest, _) = join_as(&server, None, "?room=lobby&username=snoop").await;
    let inbox = "inbox-0123456789abcdef0123456789abcdef";
    guest
        .send_json(json!({"type": "join", "room": inbox}))
        .await;
    assert_eq!(next_error(&mut guest).await["code"], "forbidden");
    let made = server
        .call_as(
            olga,
            "POST",
            "/api/rooms",
            Some(json!({"name": inbox, "private": true})),
        )
        .await;
    assert_eq!(made.status, 400, "{made:?}");
}
