//! `GET /api/openapi.json` on the real server: a valid OpenAPI 3 document that lists the
//! routes, and every operation it describes is one the server answers (not actix's "no such
//! route"). That every registered route is described is the unit test beside the table
//! (`routes::openapi::tests`); this checks what a client fetching the document gets.

use crate::support::Server;

#[tokio::test]
async fn the_description_is_served_as_openapi_3_json_with_the_routes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let reply = server.call("GET", "/api/openapi.json", &[], None).await;
    assert_eq!(reply.status, 200);
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let doc = reply.body;

    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3."), "not OpenAPI 3: {version:?}");
    assert_eq!(doc["info"]["title"], "Chinwag");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let paths = doc["paths"].as_object().expect("paths");
    let messages = &paths["/api/rooms/{room}/messages"];
    assert!(
        messages["get"].is_object() && messages["post"].is_object(),
        "{messages}"
    );
    assert_eq!(
        messages["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/PostBody"
    );
    assert_eq!(
        messages["get"]["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"],
        "#/components/schemas/ChatRecord"
    );
    assert!(paths["/socket"]["get"]["responses"]["101"].is_object());
    assert!(paths["/api/openapi.json"]["get"].is_object());
    assert!(doc["components"]["schemas"]["ApiError"].is_object());
    assert!(paths.len() >= 30, "too few paths: {}", paths.len());

    // A reader that is not the generator takes it as OpenAPI 3.1, with the same operations.
    let (status, text) = server.get_text("/api/openapi.json").await;
    assert_eq!(status, 200);
    let spec = oas3::from_json(&text).unwrap_or_else(|err| panic!("not OpenAPI 3.1: {err}"));
    let read: Vec<String> = spec
        .operations()
        .map(|(path, method, _)| format!("{method} {path}"))
        .collect();
    for operation in [
        "GET /api/rooms/{room}/messages",
        "POST /api/rooms/{room}/messages",
        "GET /socket",
        "GET /api/openapi.json",
    ] {
        assert!(
            read.iter().any(|r| r == operation),
            "{operation} not in {read:?}"
        );
    }
    // Asking twice gives the same document: it is built once and served from memory.
    let again: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(again, doc);
}

/// `path` with each `{param}` filled in with something well formed.
fn concrete(path: &str) -> String {
    path.replace("{room}", "general")
        .replace("{username}", "nobody")
        .replace("{id}", "1")
}

#[tokio::test]
async fn every_described_operation_is_one_the_server_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (status, doc) = server.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    let mut asked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            let method = method.to_ascii_uppercase();
            let reply = server.call(&method, &concrete(path), &[], None).await;
            asked += 1;
            // A route the server does not have answers 404 (or 405 for a method it lacks)
            // with an empty body; every refusal of a real route is an `ApiError` (or, for
            // the probes, text).
            let unrouted = matches!(reply.status, 404 | 405) && reply.body["code"].is_null();
            assert!(
                !unrouted,
                "{method} {path} is described but not served: {}",
                reply.status
            );
        }
    }
    assert!(asked >= 45, "asked only {asked} operations");
}
