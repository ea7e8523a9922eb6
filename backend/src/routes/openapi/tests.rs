//! The description against the route table, and the description against itself.

use super::ApiDoc;
use crate::routes::{
    route_table,
    router::{Method, RouteEntry},
};
use serde_json::Value;
use std::collections::BTreeSet;
use utoipa::OpenApi;

fn document() -> Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|err| panic!("serialize: {err}"))
}

/// Every (method, path) the description has an operation for, as `GET /path` strings.
fn described(doc: &Value) -> BTreeSet<String> {
    let methods = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ];
    let mut operations = BTreeSet::new();
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        let item = item.as_object().cloned().unwrap_or_default();
        for key in item.keys() {
            let method = methods.iter().find(|method| method.as_str() == key);
            match method {
                Some(method) => operations.insert(format!("{method} {path}")),
                // A method the route table cannot register is a description of nothing.
                None if ["head", "options", "trace"].contains(&key.as_str()) => {
                    operations.insert(format!("{} {path}", key.to_ascii_uppercase()))
                }
                None => false,
            };
        }
    }
    operations
}

/// Every (method, path) of `doc`'s operations, with the operation.
fn operations(doc: &Value) -> Vec<(String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().cloned().unwrap_or_default() {
        for (method, operation) in item.as_object().cloned().unwrap_or_default() {
            all.push((format!("{method} {path}"), operation));
        }
    }
    all
}

#[test]
fn the_description_lists_every_registered_route_and_no_other() {
    let table = route_table();
    let registered: BTreeSet<String> = table.iter().map(RouteEntry::to_string).collect();
    let described = described(&document());
    let undescribed: Vec<&String> = registered.difference(&described).collect();
    let unregistered: Vec<&String> = described.difference(&registered).collect();
    assert!(
        undescribed.is_empty(),
        "routes registered in routes::register without a #[utoipa::path] listed in \
         openapi::ApiDoc: {undescribed:#?}"
    );
    assert!(
        unregistered.is_empty(),
        "operations described in openapi::ApiDoc that routes::register does not register: \
         {unregistered:#?}"
    );
    assert!(registered.contains("GET /api/openapi.json"));
    assert!(registered.contains("GET /socket"));
}

#[test]
fn the_route_table_registers_each_route_once() {
    let table = route_table();
    let unique: BTreeSet<&RouteEntry> = table.iter().collect();
    assert_eq!(
        unique.len(),
        table.len(),
        "a route registered twice: {table:#?}"
    );
    assert!(table.len() >= 45, "the table lost routes: {}", table.len());
}

#[test]
fn the_document_is_chinwag_openapi_3_at_this_version() {
    let doc = document();
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3."), "openapi: {version}");
    assert_eq!(doc["info"]["title"], "Chinwag");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn every_operation_has_a_unique_id_a_summary_a_known_tag_and_answers() {
    let doc = document();
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .map(|tags| tags.iter().filter_map(|tag| tag["name"].as_str()).collect())
        .unwrap_or_default();
    let mut ids = BTreeSet::new();
    for (name, operation) in operations(&doc) {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            ids.insert(id.clone()),
            "{name}: operationId {id:?} is taken"
        );
        let summary = operation["summary"].as_str().unwrap_or_default();
        assert!(
            !summary.is_empty() && !summary.starts_with('`'),
            "{name}: the summary (the handler's first doc paragraph) should say what it \
             does, not its path: {summary:?}"
        );
        let tagged = operation["tags"].as_array().cloned().unwrap_or_default();
        assert!(
            tagged.len() == 1
                && tagged
                    .iter()
                    .all(|t| tags.contains(t.as_str().unwrap_or(""))),
            "{name}: tags {tagged:?} are not one of {tags:?}"
        );
        let answers = operation["responses"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(
            answers
                .keys()
                .any(|status| status.starts_with('1') || status.starts_with('2')),
            "{name}: no success answer"
        );
    }
}

#[test]
fn every_error_answer_is_an_api_error() {
    for (name, operation) in operations(&document()) {
        let answers = operation["responses"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (status, answer) in answers {
            let text_probe = name.starts_with("get /readyz") || name.contains("openapi.json");
            if !(status.starts_with('4') || status.starts_with('5')) || text_probe {
                continue;
            }
            let schema = &answer["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(
                schema, "#/components/schemas/ApiError",
                "{name} {status}: {answer}"
            );
        }
    }
}

/// Every `$ref` string anywhere under `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => references(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[test]
fn every_reference_names_a_schema_of_the_document() {
    let doc = document();
    let mut found = Vec::new();
    references(&doc, &mut found);
    assert!(found.len() > 50, "too few references: {}", found.len());
    let missing: BTreeSet<&String> = found
        .iter()
        .filter(|target| {
            let name = target.strip_prefix("#/components/schemas/").unwrap_or("");
            doc["components"]["schemas"][name].is_null()
        })
        .collect();
    assert!(missing.is_empty(), "dangling references: {missing:?}");
}

#[test]
fn operations_name_only_declared_security_schemes() {
    let doc = document();
    let schemes = doc["components"]["securitySchemes"].clone();
    for name in ["session", "bearer", "access_token"] {
        assert!(!schemes[name].is_null(), "no scheme {name}");
    }
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "chinwag_session");
    for (name, operation) in operations(&doc) {
        let requirements = operation["security"]
            .as_array()
            .or_else(|| doc["security"].as_array())
            .cloned()
            .unwrap_or_default();
        assert!(!requirements.is_empty(), "{name}: no security said");
        for requirement in requirements {
            for scheme in requirement.as_object().cloned().unwrap_or_default().keys() {
                assert!(
                    !schemes[scheme].is_null(),
                    "{name}: unknown scheme {scheme}"
                );
            }
        }
    }
    // Who may call what, spot-checked: anyone, guests too, signed in only.
    let security = |path: &str, method: &str| doc["paths"][path][method]["security"].clone();
    assert_eq!(security("/livez", "get"), serde_json::json!([{}]));
    let guests = security("/api/rooms/{room}/messages", "post");
    assert!(
        guests
            .as_array()
            .is_some_and(|r| r.contains(&serde_json::json!({})))
    );
    assert!(
        security("/api/me", "get").is_null(),
        "the default: signed in"
    );
}

#[test]
fn validated_parameters_and_bodies_carry_their_limits() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["RoomName"]["maxLength"],
        chinwag_shared::MAX_ROOM_CHARS
    );
    assert_eq!(
        schemas["Username"]["maxLength"],
        chinwag_shared::MAX_USERNAME_CHARS
    );
    assert_eq!(
        schemas["PostBody"]["properties"]["message"]["$ref"],
        "#/components/schemas/MessageText"
    );
    let params = doc["paths"]["/api/rooms/{room}/messages"]["get"]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let named = |name: &str| params.iter().find(|p| p["name"] == name).cloned();
    let room = named("room").unwrap_or_else(|| panic!("no room parameter: {params:?}"));
    assert_eq!(room["in"], "path");
    assert_eq!(room["required"], true);
    assert_eq!(room["schema"]["$ref"], "#/components/schemas/RoomName");
    for query in ["after", "before", "limit", "wait", "epoch"] {
        let param = named(query).unwrap_or_else(|| panic!("no {query} parameter: {params:?}"));
        assert_eq!(param["in"], "query", "{query}");
        assert_ne!(param["required"], true, "{query}");
    }
    // The error codes a client branches on are listed, all of them.
    let codes = schemas["ErrorCode"]["enum"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(codes.contains(&Value::from("history_reset")), "{codes:?}");
    assert!(codes.len() >= 30, "{codes:?}");
}
