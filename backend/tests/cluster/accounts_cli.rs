//! `chinwag accounts … --redis`: an account created from the command line signs in through a
//! node, is listed, and once disabled its token stops working on every node within the
//! nodes' cache lifetime.

use crate::{
    node,
    redis::Redis,
    support::{Server, run_chinwag},
};
use serde_json::json;
use std::time::Duration;

const PASSWORD: &str = "correct horse battery";

async fn accounts(url: &str, args: &[&str], stdin: &str) -> String {
    let mut all = vec!["accounts"];
    all.extend_from_slice(args);
    all.extend(["--redis", url]);
    let output = run_chinwag(&all, stdin.as_bytes()).await;
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn token_works(server: &Server, bearer: &str) -> bool {
    let header = [("authorization", bearer)];
    server.call("GET", "/api/me", &header, None).await.status == 200
}

#[tokio::test]
async fn an_account_made_on_the_command_line_signs_in_on_a_node_and_is_disabled_on_all() {
    let redis = Redis::start().await;
    let url = redis.url();
    let (one, two) = (node(&redis, "n1", &[]).await, node(&redis, "n2", &[]).await);
    let made = accounts(
        &url,
        &["create", "ops", "--admin"],
        &format!("{PASSWORD}\n"),
    )
    .await;
    assert!(made.starts_with("created ops with id "), "{made}");

    let signed_in = one
        .call(
            "POST",
            "/api/session",
            &[],
            Some(json!({"username": "ops", "password": PASSWORD})),
        )
        .await;
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    let created = one
        .call_as(
            &signed_in.session_cookie(),
            "POST",
            "/api/tokens",
            Some(json!({"name": "ci"})),
        )
        .await;
    let bearer = format!("Bearer {}", created.body["token"].as_str().unwrap());
    assert!(token_works(&one, &bearer).await && token_works(&two, &bearer).await);

    let listed = accounts(&url, &["list", "--query", "OP"], "").await;
    let fields: Vec<&str> = listed.trim().split('\t').collect();
    assert_eq!(
        (fields[0], fields[3], fields[4]),
        ("ops", "admin", "-"),
        "{listed}"
    );

    let said = accounts(&url, &["disable", "ops"], "").await;
    assert!(
        said.contains("is disabled now; 1 sessions and 1 tokens revoked"),
        "{said}"
    );
    let mut refused = false;
    for _ in 0..150 {
        if !token_works(&one, &bearer).await && !token_works(&two, &bearer).await {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "both nodes refused the token within 15 s");
    let listed = accounts(&url, &["list"], "").await;
    assert!(listed.trim().ends_with("\tadmin\tdisabled"), "{listed}");
}
