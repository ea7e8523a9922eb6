//! Identity from the attacker's side: forged, altered, signed-out and revoked credentials,
//! tampered JWTs, password guessing, borrowed names, a non-member's resume, JWT expiry, and
//! the log an operator keeps.
//!
//! Each refusal is checked beside an acceptance on the same server (a real cookie, a validly
//! signed token, the right password), so a test cannot pass because everything is refused.

use crate::{
    jwt::{self, KeyPair, KeyType},
    raw::handshake_status,
    support::{Client, Server, chat_ids},
};
use serde_json::{Value, json};
use std::net::Ipv4Addr;

const PASSWORD: &str = "correct horse battery";
/// An HS256 secret of the 32 bytes the server asks for at least.
const HS256_SECRET: &str = "0123456789abcdef0123456789abcdef-test";

fn cookie_line(cookie: &str) -> String {
    format!("Cookie: chinwag_session={cookie}\r\n")
}

fn bearer_line(token: &str) -> String {
    format!("Authorization: Bearer {token}\r\n")
}

async fn me_with(server: &Server, header: (&str, &str)) -> crate::support::Reply {
    server.call("GET", "/api/me", &[header], None).await
}

/// Joins `lobby` as whoever `cookie` proves (a guest if nothing) and sends a message naming
/// `name`: the answer is the record or the error frame.
async fn speak_with_cookie(server: &Server, cookie: &str, name: &str) -> Value {
    let url = server.ws_url("?room=lobby");
    let header = format!("chinwag_session={cookie}");
    let (mut socket, _) = Client::join_with(&url, &[("cookie", &header)]).await;
    socket
        .send_json(json!({"type": "send", "room": "lobby", "username": name, "message": "hi"}))
        .await;
    loop {
        let frame = socket.recv().await;
        if frame["type"] == "chat" || frame["type"] == "error" {
            return frame;
        }
    }
}

#[tokio::test]
async fn forged_altered_and_signed_out_cookies_are_only_guests() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let real = server.sign_up("ada", PASSWORD).await;
    let signed_out = server
        .call(
            "POST",
            "/api/session",
            &[],
            Some(json!({"username": "ada", "password": PASSWORD})),
        )
        .await
        .session_cookie();
    assert_eq!(
        server
            .call_as(&signed_out, "DELETE", "/api/session", None)
            .await
            .status,
        204
    );
    let mut altered = real.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    let forged = format!("cws_{}", "A".repeat(43));

    assert_eq!(
        server.call_as(&real, "GET", "/api/me", None).await.status,
        200
    );
    assert_eq!(
        speak_with_cookie(&server, &real, "ada").await["guest"],
        false
    );
    let stale = [forged, altered, signed_out, "not-a-session".to_owned()];
    for (n, cookie) in stale.iter().enumerate() {
        let me = server.call_as(cookie, "GET", "/api/me", None).await;
        assert_eq!((me.status, me.code()), (401, "unauthenticated"), "{cookie}");
        // A stale cookie still lets the page load as a guest, but never as the account.
        let as_ada = speak_with_cookie(&server, cookie, "ada").await;
        assert_eq!(as_ada["code"], "username_taken", "{cookie}: {as_ada}");
        let as_guest = speak_with_cookie(&server, cookie, &format!("visitor{n}")).await;
        assert_eq!(as_guest["guest"], true, "{cookie}: {as_guest}");
        let posted = server
            .call_as(
                cookie,
                "POST",
                "/api/rooms/lobby/messages",
                Some(json!({"username": "ada", "message": "it is me, honest"})),
            )
            .await;
        assert_eq!((posted.status, posted.code()), (409, "username_taken"));
    }
}

#[tokio::test]
async fn revoked_and_made_up_bearer_tokens_are_refused_before_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let cookie = server.sign_up("ada", PASSWORD).await;
    let mut tokens = Vec::new();
    for name in ["kept", "revoked"] {
        let created = server
            .call_as(&cookie, "POST", "/api/tokens", Some(json!({"name": name})))
            .await;
        tokens.push((
            created.body["token"].as_str().unwrap().to_owned(),
            created.body["id"].as_str().unwrap().to_owned(),
        ));
    }
    let (kept, (revoked, revoked_id)) = (tokens[0].0.clone(), tokens[1].clone());
    let gone = server
        .call_as(
            &cookie,
            "DELETE",
            &format!("/api/tokens/{revoked_id}"),
            None,
        )
        .await;
    assert_eq!(gone.status, 204);

    assert_eq!(
        handshake_status(&server, "?room=lobby", &bearer_line(&kept)).await,
        101
    );
    let made_up = format!("cwp_{}", "x".repeat(43));
    for token in [revoked.as_str(), made_up.as_str(), "garbage", "a.b"] {
        let bearer = format!("Bearer {token}");
        let me = me_with(&server, ("authorization", &bearer)).await;
        assert_eq!((me.status, me.code()), (401, "unauthenticated"), "{token}");
        assert_eq!(
            handshake_status(&server, "?room=lobby", &bearer_line(token)).await,
            401,
            "{token}"
        );
        let query = format!("?room=lobby&access_token={token}");
        assert_eq!(handshake_status(&server, &query, "").await, 401, "{token}");
        // A bad bearer is refused even beside a good cookie: it is never quietly a guest.
        let both = format!("{}{}", bearer_line(token), cookie_line(&cookie));
        assert_eq!(handshake_status(&server, "?room=lobby", &both).await, 401);
    }
}

/// Whether `token` gets in: `/api/me` by header, the upgrade by header and by query. All three
/// must agree.
async fn jwt_accepted(server: &Server, token: &str) -> bool {
    let bearer = format!("Bearer {token}");
    let me = me_with(server, ("authorization", &bearer)).await.status;
    let header = handshake_status(server, "?room=lobby", &bearer_line(token)).await;
    let query = format!("?room=lobby&access_token={token}");
    let by_query = handshake_status(server, &query, "").await;
    match (me, header, by_query) {
        (200, 101, 101) => true,
        (401, 401, 401) => false,
        other => panic!("the doors disagree about {token}: {other:?}"),
    }
}

#[tokio::test]
async fn tampered_jwts_are_refused_before_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate(dir.path(), KeyType::Ed25519, "server");
    let other = KeyPair::generate(dir.path(), KeyType::Ed25519, "attacker");
    let public = key.public_pem.to_str().unwrap().to_owned();
    let server = Server::start_with(dir.path(), &["--jwt-public-key", &public]).await;

    let good = key.sign(&jwt::claims("ada", 300));
    assert!(jwt_accepted(&server, &good).await, "a valid token gets in");
    let me = me_with(&server, ("authorization", &format!("Bearer {good}"))).await;
    assert_eq!(me.body, json!({"username": "ada", "method": "jwt"}));

    let now = jwt::now_secs();
    let as_admin = json!({"sub": "root", "name": "root", "exp": now + 300, "role": "admin"});
    let tampered = [
        ("alg none", jwt::unsigned(&jwt::claims("ada", 300))),
        ("another key", other.sign(&jwt::claims("ada", 300))),
        (
            "HS256 with the public key as secret",
            jwt::sign_hs256(&key.public_pem_bytes(), &jwt::claims("ada", 300)),
        ),
        (
            "expired past the leeway",
            key.sign(&json!({"sub": "ada", "exp": now - 60})),
        ),
        (
            "not valid before a minute from now",
            key.sign(&json!({"sub": "ada", "exp": now + 300, "nbf": now + 60})),
        ),
        ("a signature byte flipped", jwt::flip_signature_byte(&good)),
        ("claims swapped", jwt::swap_payload(&good, &as_admin)),
        ("no exp", key.sign(&json!({"sub": "ada", "name": "ada"}))),
    ];
    for (what, token) in tampered {
        assert!(!jwt_accepted(&server, &token).await, "{what} got in");
    }
}

#[tokio::test]
async fn each_key_type_accepts_its_own_algorithm_and_refuses_hs256_made_with_its_public_key() {
    let dir = tempfile::tempdir().unwrap();
    for kind in [KeyType::Rsa, KeyType::P256] {
        let key = KeyPair::generate(dir.path(), kind, &format!("{kind:?}"));
        let public = key.public_pem.to_str().unwrap().to_owned();
        let db_dir = tempfile::tempdir_in(dir.path()).unwrap();
        let server = Server::start_with(db_dir.path(), &["--jwt-public-key", &public]).await;
        let claims = jwt::claims("ada", 300);
        assert!(
            jwt_accepted(&server, &key.sign(&claims)).await,
            "{kind:?} signs"
        );
        let confused = jwt::sign_hs256(&key.public_pem_bytes(), &claims);
        assert!(!jwt_accepted(&server, &confused).await, "{kind:?}");
        assert!(
            !jwt_accepted(&server, &jwt::unsigned(&claims)).await,
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn password_guessing_is_locked_out_and_the_account_stays_locked_from_another_address() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    server.sign_up("ada", PASSWORD).await;
    let guess = |password: &str| Some(json!({"username": "ada", "password": password}));
    let here = Ipv4Addr::new(127, 0, 0, 1);
    let elsewhere = Ipv4Addr::new(127, 0, 0, 2);

    // Five free failures, and a sixth that starts the lockout: each one is a plain 401.
    for attempt in 1..=6 {
        let reply = server
            .call_from(
                here,
                "POST",
                "/api/session",
                guess(&format!("guess {attempt}")),
            )
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (401, "bad_credentials"),
            "attempt {attempt}"
        );
    }
    let locked = server
        .call_from(here, "POST", "/api/session", guess("guess 7"))
        .await;
    assert_eq!((locked.status, locked.code()), (429, "rate_limited"));
    let retry_after: u64 = locked
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    // The right password from a fresh address is refused too: the account is locked, not
    // only the guessing machine. (The lockout is a second long; this needs no hashing.)
    let from_elsewhere = server
        .call_from(elsewhere, "POST", "/api/session", guess(PASSWORD))
        .await;
    assert_eq!(
        (from_elsewhere.status, from_elsewhere.code()),
        (429, "rate_limited"),
        "{from_elsewhere:?}"
    );
    assert!(from_elsewhere.header("retry-after").is_some());
    assert!(from_elsewhere.session_set_cookie().is_none());

    // An operator sees it: counted by outcome (the sign-up signed in nobody here).
    let (_, metrics) = server.get_text("/metrics").await;
    let outcome = |name: &str| {
        crate::support::sample(
            &metrics,
            &format!("chinwag_sign_ins_total{{outcome=\"{name}\"}}"),
        )
    };
    assert_eq!(outcome("bad_credentials"), 6.0, "{metrics}");
    assert_eq!(outcome("locked"), 2.0, "{metrics}");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    server.sign_up("ada", PASSWORD).await;
    let attempt = |username: &str, password: &str| {
        let body = json!({"username": username, "password": password});
        let server = &server;
        async move { server.call("POST", "/api/session", &[], Some(body)).await }
    };
    let wrong_password = attempt("ada", "not her password").await;
    let unknown_user = attempt("nobody", "not her password").await;
    let invalid_name = attempt("no such name!", "not her password").await;
    assert_eq!(
        (wrong_password.status, wrong_password.code()),
        (401, "bad_credentials")
    );
    for other in [&unknown_user, &invalid_name] {
        assert_eq!(other.status, wrong_password.status);
        assert_eq!(other.body, wrong_password.body, "not a word more");
    }
    assert_eq!(attempt("ada", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn a_guest_cannot_use_an_accounts_name_or_a_look_alike_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    server.sign_up("alice", PASSWORD).await;
    let (mut guest, _) = Client::join(&server.ws_url("?room=lobby")).await;
    // The last is `alice` spelled in Cyrillic look-alikes.
    for name in ["alice", "ALICE", "\u{430}\u{4CF}\u{456}\u{441}\u{435}"] {
        for frame in [
            json!({"type": "send", "room": "lobby", "username": name, "message": "I am alice"}),
            json!({"type": "typing", "room": "lobby", "username": name}),
            json!({"type": "join", "room": "other", "username": name}),
        ] {
            guest.send_json(frame.clone()).await;
            let answer = guest.recv_type("error").await;
            assert_eq!(answer["code"], "username_taken", "{frame}: {answer}");
        }
        let posted = server
            .call(
                "POST",
                "/api/rooms/lobby/messages",
                &[],
                Some(json!({"username": name, "message": "I am alice"})),
            )
            .await;
        assert_eq!(
            (posted.status, posted.code()),
            (409, "username_taken"),
            "{name}"
        );
        let typing = server
            .call(
                "POST",
                "/api/rooms/lobby/typing",
                &[],
                Some(json!({"username": name})),
            )
            .await;
        assert_eq!(
            (typing.status, typing.code()),
            (409, "username_taken"),
            "{name}"
        );
    }
    // The same guest may speak under a name nobody owns.
    let own = guest.post("lobby", "adam", "just adam").await;
    assert_eq!(own["guest"], true);
    let (_, history) = server.get_json("/api/rooms/lobby/messages?after=0").await;
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
}

#[tokio::test]
async fn a_signed_in_connection_cannot_speak_as_someone_else() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let cookie = server.sign_up("ada", PASSWORD).await;
    let header = format!("chinwag_session={cookie}");
    let url = server.ws_url("?room=lobby");
    let (mut ada, _) = Client::join_with(&url, &[("cookie", &header)]).await;
    for frame in [
        json!({"type": "send", "room": "lobby", "username": "bob", "message": "I am bob"}),
        json!({"type": "typing", "room": "lobby", "username": "bob"}),
    ] {
        ada.send_json(frame.clone()).await;
        let answer = ada.recv_type("error").await;
        assert_eq!(answer["code"], "username_mismatch", "{frame}: {answer}");
    }
    ada.send_text(r#"{"username":"bob","message":"seed-shaped, as bob"}"#)
        .await;
    assert_eq!(ada.recv_type("error").await["code"], "username_mismatch");
    let posted = server
        .call_as(
            &cookie,
            "POST",
            "/api/rooms/lobby/messages",
            Some(json!({"username": "bob", "message": "I am bob"})),
        )
        .await;
    assert_eq!((posted.status, posted.code()), (403, "username_mismatch"));
    let (_, history) = server.get_json("/api/rooms/lobby/messages?after=0").await;
    assert_eq!(history, json!([]), "nothing was stored under bob's name");
    let own = ada.post("lobby", "ada", "as myself").await;
    assert_eq!(
        (&own["username"], &own["guest"]),
        (&json!("ada"), &json!(false))
    );
}

#[tokio::test]
async fn a_non_member_resuming_a_private_room_from_zero_gets_nothing_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let olga = server.sign_up("olga", PASSWORD).await;
    let nora = server.sign_up("nora", PASSWORD).await;
    let created = server
        .call_as(
            &olga,
            "POST",
            "/api/rooms",
            Some(json!({"name": "vault", "private": true})),
        )
        .await;
    assert_eq!(created.status, 201);
    let posted = server
        .call_as(
            &olga,
            "POST",
            "/api/rooms/vault/messages",
            Some(json!({"message": "the combination is 1234"})),
        )
        .await;
    assert_eq!(posted.status, 201);

    let nora_line = cookie_line(&nora);
    for query in ["?room=vault", "?room=vault&after=0"] {
        assert_eq!(handshake_status(&server, query, &nora_line).await, 403);
    }
    let header = format!("chinwag_session={nora}");
    let url = server.ws_url("?room=lobby");
    let (mut socket, _) = Client::join_with(&url, &[("cookie", &header)]).await;
    socket
        .send_json(json!({"type": "join", "room": "vault", "after": 0}))
        .await;
    let until_error = socket.recv_through("error").await;
    assert_eq!(chat_ids(&until_error), Vec::<u64>::new(), "{until_error:?}");
    assert_eq!(until_error.last().unwrap()["code"], "forbidden");
    for path in [
        "/api/rooms/vault/messages?after=0",
        "/api/rooms/vault/messages?after=0&wait=1",
    ] {
        let reply = server.call_as(&nora, "GET", path, None).await;
        assert_eq!((reply.status, reply.code()), (403, "forbidden"), "{path}");
        assert!(!reply.body.to_string().contains("combination"), "{reply:?}");
    }
}

#[tokio::test]
async fn a_jwt_reaching_exp_closes_with_4001_and_a_fresh_token_resumes_without_loss_or_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--jwt-hs256-secret", HS256_SECRET]).await;
    let (mut other, _) = Client::join(&server.ws_url("?room=lobby&username=pat")).await;
    let before = other.post("lobby", "pat", "before").await;

    let short = jwt::sign_hs256(HS256_SECRET.as_bytes(), &jwt::claims("ada", 3));
    let url = server.ws_url(&format!("?room=lobby&after=0&access_token={short}"));
    let (mut ada, replay) = Client::join(&url).await;
    assert_eq!(chat_ids(&replay), [before["id"].as_u64().unwrap()]);
    let own = ada.post("lobby", "ada", "mine, before expiry").await;
    assert_eq!(
        (&own["username"], &own["guest"]),
        (&json!("ada"), &json!(false))
    );
    let last_seen = own["id"].as_u64().unwrap();

    // Await the close itself: the server ends the connection when `exp` arrives.
    let close = ada.recv_close().await.expect("a close frame with a code");
    assert_eq!(u16::from(close.code), 4001, "{close:?}");
    let missed = [
        other.post("lobby", "pat", "while ada was away 1").await,
        other.post("lobby", "pat", "while ada was away 2").await,
    ];
    let fresh = jwt::sign_hs256(HS256_SECRET.as_bytes(), &jwt::claims("ada", 300));
    let url = server.ws_url(&format!(
        "?room=lobby&after={last_seen}&access_token={fresh}"
    ));
    let (mut again, replay) = Client::join(&url).await;
    let expected: Vec<u64> = missed
        .iter()
        .map(|record| record["id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        chat_ids(&replay),
        expected,
        "every missed record, once, in order"
    );
    let live = other.post("lobby", "pat", "after the return").await;
    assert_eq!(
        again.recv_type("chat").await,
        live,
        "and live from there on"
    );
}

#[tokio::test]
async fn no_password_or_token_text_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (server, tap) = Server::start_logging(
        dir.path(),
        "127.0.0.1:0",
        &["--jwt-hs256-secret", HS256_SECRET],
        Some("debug"),
    )
    .await;
    let cookie = server.sign_up("ada", PASSWORD).await;
    let wrong = "a wrong guess at it";
    let refused = server
        .call(
            "POST",
            "/api/session",
            &[],
            Some(json!({"username": "ada", "password": wrong})),
        )
        .await;
    assert_eq!(refused.status, 401);
    let new_password = "the replacement phrase";
    let changed = server
        .call_as(
            &cookie,
            "PUT",
            "/api/password",
            Some(json!({"current": PASSWORD, "new": new_password})),
        )
        .await;
    assert_eq!(changed.status, 204);
    let created = server
        .call_as(&cookie, "POST", "/api/tokens", Some(json!({"name": "bot"})))
        .await;
    let token = created.body["token"].as_str().unwrap().to_owned();
    let jwt = jwt::sign_hs256(HS256_SECRET.as_bytes(), &jwt::claims("ada", 300));
    let bad_jwt = jwt::flip_signature_byte(&jwt);
    let made_up = format!("cwp_{}", "y".repeat(43));
    for credential in [&token, &jwt, &bad_jwt, &made_up] {
        let query = format!("?room=lobby&access_token={credential}");
        handshake_status(&server, &query, "").await;
        handshake_status(&server, "?room=lobby", &bearer_line(credential)).await;
    }
    handshake_status(&server, "?room=lobby", &cookie_line(&cookie)).await;
    let captured = {
        let status = server.terminate().await;
        assert!(status.success(), "{status:?}");
        tap.finish().await
    };
    assert!(captured.bytes > 0, "the log was captured at all");
    let secrets = [
        PASSWORD,
        wrong,
        new_password,
        HS256_SECRET,
        &cookie[4..],
        &token[4..],
        &made_up[4..],
    ];
    for secret in secrets {
        assert!(
            !captured.text.contains(secret),
            "{secret} is in the log:\n{}",
            captured.text
        );
    }
    for token in [&jwt, &bad_jwt] {
        let signature = token.rsplit('.').next().unwrap();
        assert!(
            !captured.text.contains(signature),
            "a JWT is in the log:\n{}",
            captured.text
        );
    }
}
