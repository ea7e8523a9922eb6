//! `chinwag accounts …` against a running server's database: an account created from the
//! command line signs in through the server, a weak password or a taken name is refused, a
//! disabled account's token stops working within the server's cache lifetime, and `list`
//! prints one tab-separated line per account, filtered by `--query`.

use crate::support::{NO_RATE_LIMIT, Server, run_chinwag};
use serde_json::json;
use std::{path::Path, time::Duration};

const PASSWORD: &str = "correct horse battery";

/// `chinwag accounts ARGS… --db DIR/chinwag.db` with `stdin`; (success, stdout, stderr).
async fn accounts(dir: &Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let db = dir.join("chinwag.db");
    let mut all = vec!["accounts"];
    all.extend_from_slice(args);
    all.extend(["--db", db.to_str().unwrap()]);
    let output = run_chinwag(&all, stdin.as_bytes()).await;
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn an_account_created_from_the_command_line_signs_in_through_the_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    let (ok, out, err) = accounts(
        dir.path(),
        &["create", "Ada", "--admin"],
        &format!("{PASSWORD}\nignored second line\n"),
    )
    .await;
    assert!(ok, "{err}");
    assert!(out.starts_with("created Ada with id "), "{out}");
    assert!(
        !out.contains(PASSWORD) && !err.contains(PASSWORD),
        "never echoed"
    );

    let signed_in = server
        .call(
            "POST",
            "/api/session",
            &[],
            Some(json!({"username": "ada", "password": PASSWORD})),
        )
        .await;
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    let me = server
        .call_as(&signed_in.session_cookie(), "GET", "/api/me", None)
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["username"], "Ada", "{:?}", me.body);
    let wrong = server
        .call(
            "POST",
            "/api/session",
            &[],
            Some(json!({"username": "ada", "password": "second line"})),
        )
        .await;
    assert_eq!(wrong.status, 401, "only the first line is the password");

    // The sign-up rules hold here too, and a name (or its look-alike) is owned once.
    let (ok, _, err) = accounts(dir.path(), &["create", "bob"], "short\n").await;
    assert!(!ok && err.contains("at least 8 characters"), "{err}");
    let (ok, _, err) = accounts(dir.path(), &["create", "bob"], "").await;
    assert!(!ok && err.contains("no password"), "{err}");
    let (ok, _, err) = accounts(dir.path(), &["create", "ADA"], &format!("{PASSWORD}\n")).await;
    assert!(!ok && err.contains("already owns"), "{err}");
    let too_long = "x".repeat(200);
    let (ok, _, err) = accounts(dir.path(), &["create", &too_long], &format!("{PASSWORD}\n")).await;
    assert!(!ok && err.contains("not a valid account name"), "{err}");
    let signed_up = server
        .call(
            "POST",
            "/api/accounts",
            &[],
            Some(json!({"username": "bob", "password": "short"})),
        )
        .await;
    assert_eq!(
        (signed_up.status, signed_up.code()),
        (400, "weak_password"),
        "the same rule as sign-up"
    );
}

#[tokio::test]
async fn a_disabled_accounts_token_stops_working_and_list_shows_who_is_what() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    let cookie = server.sign_up("mallory", PASSWORD).await;
    server.sign_up("maria", PASSWORD).await;
    server.sign_up("zoe", PASSWORD).await;
    let created = server
        .call_as(&cookie, "POST", "/api/tokens", Some(json!({"name": "bot"})))
        .await;
    let bearer = format!("Bearer {}", created.body["token"].as_str().unwrap());
    let header = [("authorization", bearer.as_str())];
    let by_token = || server.call("GET", "/api/me", &header, None);
    assert_eq!(by_token().await.status, 200, "cached as valid now");

    let (ok, out, err) = accounts(dir.path(), &["disable", "MALLORY"], "").await;
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        "mallory is disabled now; 1 sessions and 1 tokens revoked"
    );
    // The server forgets its cached credential within SESSION_CACHE_TTL (10 s).
    let mut refused = false;
    for _ in 0..150 {
        if by_token().await.status == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "the token was refused within 15 s");
    assert_eq!(
        server.call_as(&cookie, "GET", "/api/me", None).await.status,
        401,
        "the session too"
    );

    let (ok, out, _) = accounts(dir.path(), &["disable", "mallory"], "").await;
    assert!(ok && out.contains("was disabled already"), "{out}");
    let (ok, out, _) = accounts(dir.path(), &["grant-admin", "zoe"], "").await;
    assert!(ok && out.contains("is a site admin now"), "{out}");

    let (ok, out, err) = accounts(dir.path(), &["list", "--query", "MA"], "").await;
    assert!(ok, "{err}");
    let lines: Vec<Vec<&str>> = out.lines().map(|line| line.split('\t').collect()).collect();
    assert_eq!(lines.len(), 2, "{out}");
    // In name key order, where `m` folds to `rn`'s skeleton: `rnal…` before `rnar…`.
    let [mallory, maria] = [&lines[0], &lines[1]];
    assert_eq!((maria[0], maria[3], maria[4]), ("maria", "-", "-"), "{out}");
    assert_eq!(
        (mallory[0], mallory[3], mallory[4]),
        ("mallory", "-", "disabled"),
        "{out}"
    );
    assert!(
        mallory[2].ends_with('Z') && mallory[2].contains('T'),
        "{out}"
    );
    assert!(mallory[1].parse::<u64>().is_ok(), "{out}");
    let (ok, out, _) = accounts(dir.path(), &["list"], "").await;
    assert!(ok);
    let every: Vec<&str> = out.lines().collect();
    assert_eq!(every.len(), 3, "{out}");
    assert!(
        every[2].starts_with("zoe\t") && every[2].contains("\tadmin\t"),
        "{out}"
    );

    let (ok, out, _) = accounts(dir.path(), &["enable", "mallory"], "").await;
    assert!(ok && out.contains("is enabled again"), "{out}");
    let (ok, _, err) = accounts(dir.path(), &["disable", "nobody"], "").await;
    assert!(!ok && err.contains("no account is named nobody"), "{err}");
}
