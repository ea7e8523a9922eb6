//! What the Redis engine's Lua scripts really store and publish, read straight from a real
//! Redis and decoded as the protocol's `ServerMsg`: the append script's fan-out payload (`C`,
//! or `B` with one record: `batch_payloads` covers when), its stream entry and its dedupe
//! copy; the arrival, sweep and departure scripts' presence events. The node builds every
//! byte of that text in `cluster/wire.rs` and the scripts only fill in ids, timestamps and
//! epochs; this checks that what comes out is what clients parse.

use crate::{
    node,
    redis::Redis,
    support::{Client, WAIT},
};
use ::redis::{AsyncCommands, Msg, aio::MultiplexedConnection};
use chinwag_backend::cluster::wire::{self, CHANNEL, Payload};
use chinwag_shared::{ChatRecord, RoomName, ServerMsg, Username};
use futures_util::{Stream, StreamExt};
use serde_json::json;
use std::time::Duration;

/// The next payload published on the fan-out channel, as the raw text.
async fn next_payload(tap: &mut (impl Stream<Item = Msg> + Unpin), within: Duration) -> String {
    let message = tokio::time::timeout(within, tap.next())
        .await
        .expect("a payload in time")
        .expect("the subscription stays open");
    message.get_payload::<String>().unwrap()
}

/// The next payload, which must be an event of `room`, decoded.
async fn next_event(
    tap: &mut (impl Stream<Item = Msg> + Unpin),
    room: &RoomName,
    within: Duration,
) -> ServerMsg {
    let payload = next_payload(tap, within).await;
    match wire::parse(&payload).unwrap() {
        Payload::Event { room: to, json } if &to == room => serde_json::from_str(json).unwrap(),
        other => panic!("an event of {room} expected: {other:?}"),
    }
}

fn left(room: &RoomName, name: &str) -> ServerMsg {
    ServerMsg::UserLeft {
        room: room.clone(),
        username: Username::parse(name).unwrap(),
    }
}

/// A subscription to `redis`'s fan-out channel (what every node hears), and a connection
/// for looking at keys.
pub(crate) async fn tap_fanout(
    redis: &Redis,
) -> (
    std::pin::Pin<Box<impl Stream<Item = Msg>>>,
    MultiplexedConnection,
) {
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub.subscribe(CHANNEL).await.unwrap();
    let tap = Box::pin(pubsub.into_on_message());
    let conn = client.get_multiplexed_async_connection().await.unwrap();
    (tap, conn)
}

#[tokio::test]
async fn what_the_scripts_store_and_publish_decodes_as_server_messages() {
    let redis = Redis::start().await;
    let (mut tap, mut conn) = tap_fanout(&redis).await;
    let room = RoomName::parse("wire").unwrap();
    let a = node(&redis, "a", &[]).await;

    // The arrival script publishes the payload it was given.
    let (mut ada, _) = Client::join(&a.ws_url("?room=wire&username=ada")).await;
    assert_eq!(
        next_event(&mut tap, &room, WAIT).await,
        ServerMsg::UserJoined {
            room: room.clone(),
            username: Username::parse("ada").unwrap(),
            guest: true,
        }
    );

    // The append script fills the template: one text, published, stored and remembered.
    let text = "quote \" backslash \\ slash / 💬\nid 0 ts 0";
    ada.send_json(json!({"type":"send","room":"wire","message":text,"client_id":"c-1"}))
        .await;
    let confirmed = ada.recv_type("chat").await;
    let payload = next_payload(&mut tap, WAIT).await;
    let (to, id, epoch, published) = match wire::parse(&payload).unwrap() {
        Payload::Chat {
            room,
            id,
            epoch,
            json,
        } => (room, id, epoch, json),
        // Once the node has read the registry, a call's records go in one payload: here one.
        Payload::Chats {
            room,
            first,
            epoch,
            lines,
        } => (room, first, epoch, lines),
        other => panic!("a chat payload: {other:?}"),
    };
    let stored_epoch: String = conn.hget("chinwag:room:wire", "epoch").await.unwrap();
    assert_eq!((&to, id, epoch), (&room, 1, stored_epoch.as_str()));
    let expected = ServerMsg::Chat(ChatRecord {
        id: 1,
        room: room.clone(),
        username: Username::parse("ada").unwrap(),
        message: text.to_owned(),
        ts: confirmed["ts"].as_u64().unwrap(),
        guest: true,
        bot: false,
        client_id: None,
        change: None,
        deleted: None,
        edited: None,
    });
    assert_eq!(
        serde_json::from_str::<ServerMsg>(published).unwrap(),
        expected
    );
    let entries: Vec<(String, Vec<String>)> = ::redis::cmd("XRANGE")
        .arg("chinwag:log:wire")
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        entries,
        [("1-0".to_owned(), vec!["r".to_owned(), published.to_owned()])],
        "the stream holds the very text published"
    );
    let remembered: String = conn.get("chinwag:cid:wire:name:ada:c-1").await.unwrap();
    assert_eq!(remembered, published, "the dedupe copy is the same text");

    // The sweep script: a name whose every lease lapsed (a dead node's) is removed and
    // announced; a name lapsed in the room's set but still held by a node is kept.
    let ghost = "Gëist 2";
    let held_until = 4_000_000_000_000_u64;
    let _: () = ::redis::pipe()
        .zadd("chinwag:presence:wire", ghost, 1)
        .zadd(format!("chinwag:presence:wire:{ghost}"), "dead-node", 1)
        .zadd("chinwag:presence:wire", "bob", 1)
        .zadd("chinwag:presence:wire:bob", "live-node", held_until)
        .query_async(&mut conn)
        .await
        .unwrap();
    // A sweep runs every 3 s; the first may find nothing planted yet.
    assert_eq!(
        next_event(&mut tap, &room, Duration::from_secs(10)).await,
        left(&room, ghost)
    );
    let ghost_lease: Option<u64> = conn.zscore("chinwag:presence:wire", ghost).await.unwrap();
    let bob_lease: Option<u64> = conn.zscore("chinwag:presence:wire", "bob").await.unwrap();
    assert_eq!((ghost_lease, bob_lease), (None, Some(held_until)));

    // The departure script; nothing was published for bob in between.
    ada.close().await;
    assert_eq!(next_event(&mut tap, &room, WAIT).await, left(&room, "ada"));
}
