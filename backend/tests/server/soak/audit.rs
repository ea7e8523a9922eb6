//! The soak's audit: what each member saw ([`Audit`]), and the checks run once the traffic
//! is over: the stored log against every confirmation, the never-reader's buffered frames,
//! and the resource adversaries held to their bounds.

use super::{
    HISTORY_PAGE, LONG_POLLS_PER_IP, NEW_ROOMS_BURST, NEW_ROOMS_PER_MINUTE, ROOM,
    adversaries::RoomFlood, members::text_for,
};
use crate::{
    raw::{RawClient, Received},
    support::Server,
};
use serde_json::Value;
use std::{
    collections::{BTreeMap, HashMap},
    time::Duration,
};

/// What one well-behaved client saw.
#[derive(Debug, Default)]
pub(super) struct Audit {
    pub(super) name: String,
    /// Highest id delivered in sequence; every id up to it was delivered exactly once.
    pub(super) last: u64,
    pub(super) delivered: u64,
    /// Answers to re-sent `client_id`s that repeat a record: the protocol allows one per
    /// re-send.
    pub(super) retry_echoes: u64,
    /// Messages re-sent after a reconnect.
    pub(super) resent: usize,
    pub(super) drops: u32,
    /// Server closes by code (`"eof"`: the connection ended without a close frame).
    pub(super) closes: BTreeMap<String, u32>,
    pub(super) never_reader_left_after: Option<Duration>,
    pub(super) violations: Vec<String>,
}

impl Audit {
    pub(super) fn violation(&mut self, what: String) {
        if self.violations.len() < 20 {
            self.violations.push(what);
        }
    }
}

/// Reads what the server buffered for a client that never read: the close frame must be last.
pub(super) async fn drain(raw: &mut RawClient) -> (u64, Received) {
    let mut buffered = 0;
    for _ in 0..1_000_000 {
        match raw.receive().await {
            Received::Text(_) => buffered += 1,
            end => return (buffered, end),
        }
    }
    panic!("a never-ending stream for a client that never read");
}

pub(super) async fn room_last_id(server: &Server, room: &str) -> u64 {
    let (status, rooms) = server.get_json("/api/rooms").await;
    assert_eq!(status, 200, "{rooms}");
    rooms
        .as_array()
        .expect("a list of rooms")
        .iter()
        .find(|listed| listed["room"] == room)
        .and_then(|listed| listed["last_id"].as_u64())
        .unwrap_or_else(|| panic!("{room} is listed"))
}

/// Every stored record of the room, paged forward with `after=`.
pub(super) async fn history(server: &Server, last_id: u64) -> Vec<Value> {
    let mut records = Vec::new();
    let mut after = 0;
    // Pages of at least 64 records (the byte budget over the longest soak message).
    let pages = last_id / 64 + 2;
    for _ in 0..pages {
        let path = format!("/api/rooms/{ROOM}/messages?after={after}&limit={HISTORY_PAGE}");
        let (status, page) = server.get_json(&path).await;
        assert_eq!(status, 200, "{page}");
        let page = page.as_array().expect("a page of records").clone();
        // A page may stop short of `limit` at the server's byte budget, so the end is the
        // last id, not a short page.
        let Some(last) = page.last() else {
            return records;
        };
        after = last["id"].as_u64().expect("record id is a u64");
        records.extend(page);
        if after >= last_id {
            return records;
        }
    }
    panic!("history did not end within {pages} pages");
}

/// The `client_id` a stored text was sent with. History shows nobody's `client_id` (only a
/// sender's own confirmation does), so every text here names its own: `text_for` starts
/// with it, and the flooder's `flood {n}` went as `flood-{n}`.
pub(super) fn client_id_of(text: &str) -> String {
    match text.strip_prefix("flood ") {
        Some(n) => format!("flood-{n}"),
        None => text.split_once(':').map_or(text, |(id, _)| id).to_owned(),
    }
}

/// Checks the stored log against what was confirmed: ids 1..=N, each `client_id` once, and
/// exactly the confirmed sends, each at the id its sender was told.
pub(super) fn audit_history(records: &[Value], last_id: u64, confirmed: &HashMap<String, u64>) {
    let ids: Vec<u64> = records.iter().filter_map(|r| r["id"].as_u64()).collect();
    assert!(
        ids.iter().copied().eq(1..=last_id),
        "history holds ids 1..={last_id} in order ({} records)",
        ids.len()
    );
    let mut stored = HashMap::new();
    for record in records {
        assert!(
            record.get("client_id").is_none(),
            "history shows no ids: {record}"
        );
        let text = record["message"].as_str().expect("a record has text");
        let client_id = &client_id_of(text);
        let id = record["id"].as_u64().expect("record id is a u64");
        let previous = stored.insert(client_id.to_owned(), id);
        assert_eq!(
            previous, None,
            "{client_id} is stored twice: {previous:?} and {id}"
        );
        if !client_id.starts_with("flood-") {
            assert_eq!(
                record["message"],
                text_for(client_id),
                "text of {client_id}"
            );
        }
    }
    let unconfirmed: Vec<_> = stored
        .keys()
        .filter(|id| !confirmed.contains_key(*id))
        .collect();
    assert!(
        unconfirmed.is_empty(),
        "stored, never confirmed: {unconfirmed:?}"
    );
    for (client_id, id) in confirmed {
        assert_eq!(
            stored.get(client_id),
            Some(id),
            "{client_id} stored where confirmed"
        );
    }
}

/// Rooms one address may have created by `elapsed` into its budget, rounding the refill up.
pub(super) fn new_room_budget(elapsed: Duration) -> u64 {
    NEW_ROOMS_BURST + NEW_ROOMS_PER_MINUTE * elapsed.as_secs() / 60 + 1
}

/// The room flooder was refused past its budget and the hoarder's long-polls were capped.
pub(super) fn assert_resource_adversaries_held(
    room_flood: &RoomFlood,
    rooms_listed: usize,
    elapsed: Duration,
    long_polls_held: f64,
) {
    let budget = new_room_budget(elapsed);
    assert!(
        room_flood.refused > 0,
        "the room flooder was refused too_many_new_rooms: {room_flood:?}"
    );
    assert!(
        room_flood.created <= budget,
        "the room flooder created at most its budget of {budget} rooms: {room_flood:?}"
    );
    assert!(
        room_flood.other.is_empty(),
        "every answer to the room flooder is about rooms: {room_flood:?}"
    );
    // The soak's room and the heavy room are the only others made.
    assert_eq!(
        u64::try_from(rooms_listed).unwrap(),
        room_flood.created + 2,
        "the room list holds the flooder's rooms and the test's two"
    );
    #[allow(
        clippy::cast_precision_loss,
        reason = "a small count is exact in an f64"
    )]
    let cap = LONG_POLLS_PER_IP as f64;
    assert!(
        (long_polls_held - cap).abs() < f64::EPSILON,
        "the hoarder's address held its cap of {LONG_POLLS_PER_IP} long-polls: {long_polls_held}"
    );
}

/// How many rooms `/api/rooms` lists, in one page of 200: far more than any budget allows.
pub(super) async fn rooms_listed(server: &Server) -> usize {
    let (status, rooms) = server.get_json("/api/rooms?limit=200").await;
    assert_eq!(status, 200, "{rooms}");
    let rooms = rooms.as_array().expect("a list of rooms").len();
    assert!(rooms < 200, "one page holds every room: {rooms}");
    rooms
}
