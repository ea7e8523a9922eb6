//! Fan-out between nodes over Redis pub/sub.
//!
//! Every node subscribes to one channel ([`CHANNEL`]) and delivers what arrives to its own
//! sessions through the local registry. Chat records are published by the append script
//! itself, inside the same atomic step that assigned their ids, so the channel carries each
//! room's records in id order. Presence events are published by the presence scripts
//! ([`super::presence`]). Other ephemeral events (typing, and removals from a private room)
//! go through [`RedisFanout`]'s [`Fanout::publish_event`], which queues them for a publisher
//! task; they are never stored. Typing may be dropped under pressure; removals have their own
//! queue, served first, and a lost one is logged at `warn` (the removed account's later
//! requests are refused on every node regardless: the hub reads members at each check).
//! Every payload is built and read by [`super::wire`].
//!
//! Pub/sub is at-most-once: while a node is not subscribed (Redis restarting, the connection
//! lost) it misses messages. After every (re)subscribe the [`Subscriber`] therefore hands each
//! room with local members its newest stored record; sessions see the jump in ids and fill the
//! gap from the log, as they would for any gap. Nothing confirmed is lost.

use super::{
    link::Link,
    wire::{self, CHANNEL, Channels},
};
use crate::{
    delivery::{
        frame::{EventFrame, Frame},
        rooms::Rooms,
    },
    fanout::Fanout,
    store::{Epoch, Page, RedisError, Store},
};
use chinwag_shared::RoomName;
use futures_util::StreamExt;
use std::{
    borrow::Cow,
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Ephemeral events waiting to be published; more are dropped.
const EVENT_QUEUE: usize = 4_096;

/// Removals from private rooms waiting to be published. They have a queue of their own, served
/// first, so a flood of typing events never crowds out the notice that evicts someone.
const REMOVAL_QUEUE: usize = 1_024;

/// The longest pause between attempts to resubscribe.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(2);

/// A payload on its way, with the channel it goes to.
type Publication = (Cow<'static, str>, String);

/// Publishes ephemeral events (and removals) to every node.
pub struct RedisFanout {
    events: mpsc::Sender<Publication>,
    removals: mpsc::Sender<Publication>,
    channels: Channels,
}

impl RedisFanout {
    /// Fan-out whose events a task publishes on `link` until `stop`.
    pub fn start(link: Link, stop: CancellationToken) -> Self {
        let (events, event_queue) = mpsc::channel(EVENT_QUEUE);
        let (removals, removal_queue) = mpsc::channel(REMOVAL_QUEUE);
        let queues = Queues {
            removals: removal_queue,
            events: event_queue,
        };
        let channels = Channels::of(link.keyspace());
        tokio::spawn(publish_events(link, queues, stop));
        Self {
            events,
            removals,
            channels,
        }
    }
}

impl Fanout for RedisFanout {
    fn publish_event(&self, event: EventFrame) {
        let payload = (
            self.channels.channel(&event.room),
            wire::event_frame_payload(&event),
        );
        if event.removes.is_some() {
            // Rare, and the removed member's other connections keep receiving the room
            // until it arrives: a loss is worth a warning, unlike a typing notice's.
            if self.removals.try_send(payload).is_err() {
                tracing::warn!(room = %event.room, "removal queue full; removal not published");
            }
        } else if self.events.try_send(payload).is_err() {
            tracing::debug!(room = %event.room, "event queue full; event dropped");
        }
    }
}

/// The publisher task's two inputs.
struct Queues {
    removals: mpsc::Receiver<Publication>,
    events: mpsc::Receiver<Publication>,
}

impl Queues {
    /// The next payload to publish, removals first; `None` once `stop` is cancelled or the
    /// fan-out is dropped.
    async fn next(&mut self, stop: &CancellationToken) -> Option<(Publication, bool)> {
        tokio::select! {
            biased;
            () = stop.cancelled() => None,
            removal = self.removals.recv() => removal.map(|payload| (payload, true)),
            event = self.events.recv() => event.map(|payload| (payload, false)),
        }
    }
}

async fn publish_events(link: Link, mut queues: Queues, stop: CancellationToken) {
    let command = Channels::of(link.keyspace()).publish_command();
    while let Some(((channel, payload), removal)) = queues.next(&stop).await {
        let published = link
            .call(|mut conn| async move {
                redis::cmd(command)
                    .arg(channel.as_ref())
                    .arg(payload)
                    .query_async::<i64>(&mut conn)
                    .await
            })
            .await;
        match published {
            Ok(_) => {}
            Err(err) if removal => tracing::warn!(error = %err, "removal not published"),
            Err(err) => tracing::debug!(error = %err, "event not published"),
        }
    }
}

/// What arrives from Redis, handed to this node's sessions: each room's records once and in id
/// order, and after a lost subscription each room's newest record, so its sessions fill the
/// gap. Shared by both subscribers ([`Subscriber`] on one Redis, [`super::ShardedSubscriber`]
/// on a cluster).
pub(super) struct Inbox {
    rooms: Arc<Rooms>,
    store: Arc<dyn Store>,
    /// Per room, the epoch and id of the newest record delivered here.
    delivered: HashMap<RoomName, (Epoch, u64)>,
}

impl Inbox {
    pub(super) fn new(rooms: Arc<Rooms>, store: Arc<dyn Store>) -> Self {
        Self {
            rooms,
            store,
            delivered: HashMap::new(),
        }
    }

    /// The rooms with members on this node.
    pub(super) fn rooms(&self) -> &Rooms {
        &self.rooms
    }

    /// Decodes one payload and delivers what it carries.
    pub(super) fn on_payload(&mut self, payload: &[u8]) {
        let Ok(payload) = std::str::from_utf8(payload) else {
            tracing::warn!("fan-out payload is not UTF-8; skipped");
            return;
        };
        let delivered = &self.delivered;
        let decoded = wire::decode(payload, |room, epoch| {
            // Share one allocation per room's epoch across all its frames.
            match delivered.get(room) {
                Some((known, _)) if &**known == epoch => Epoch::clone(known),
                _ => Epoch::from(epoch),
            }
        });
        match decoded {
            Ok(frames) => {
                for frame in &frames {
                    self.deliver(frame);
                }
            }
            Err(err) => tracing::warn!(error = %err, "fan-out payload skipped"),
        }
    }

    fn deliver(&mut self, frame: &Arc<Frame>) {
        if let Frame::Chat(chat) = &**frame {
            if let Some((known, last)) = self.delivered.get(&chat.room)
                && *known == chat.epoch
                && *last >= chat.id
            {
                return; // already handed over by a catch-up
            }
            self.delivered
                .insert(chat.room.clone(), (Epoch::clone(&chat.epoch), chat.id));
        }
        self.rooms.deliver(frame);
    }

    /// Hands each room with members here its newest record, so sessions notice and fill
    /// whatever was published while this node was not listening.
    pub(super) async fn catch_up_rooms(&mut self) {
        let local = self.rooms.room_names();
        self.delivered.retain(|room, _| local.contains(room));
        for room in local {
            let _logged_when_not = self.catch_up(&room).await;
        }
    }

    /// Hands `room` its newest record (see [`Inbox::catch_up_rooms`]); whether it could read
    /// it (a room that could not be caught up must be tried again).
    pub(super) async fn catch_up(&mut self, room: &RoomName) -> bool {
        let newest = Page::Before {
            before: u64::MAX,
            limit: 1,
        };
        let (head, page) = match (
            self.store.head(room).await,
            self.store.page(room, newest).await,
        ) {
            (Ok(head), Ok(page)) => (head, page),
            (Err(err), _) | (_, Err(err)) => {
                tracing::warn!(%room, error = %err, "could not catch up a room");
                return false;
            }
        };
        if let Some(record) = page.last() {
            self.deliver(&Frame::chat(record, &head.epoch));
        }
        true
    }

    /// Forgets what was delivered in `room`, which has no members here any more.
    pub(super) fn forget(&mut self, room: &RoomName) {
        self.delivered.remove(room);
    }
}

/// Receives every node's frames on one Redis and delivers them to this node's sessions.
pub struct Subscriber {
    link: Link,
    inbox: Inbox,
    /// Whether the subscription is up; the node is not ready without it, since its clients
    /// would miss what other nodes publish.
    subscribed: Arc<AtomicBool>,
}

impl Subscriber {
    /// A subscriber delivering into `rooms`, reading missed records from `store`, and
    /// keeping `subscribed` true while its subscription is up.
    pub fn new(
        link: Link,
        rooms: Arc<Rooms>,
        store: Arc<dyn Store>,
        subscribed: Arc<AtomicBool>,
    ) -> Self {
        Self {
            link,
            inbox: Inbox::new(rooms, store),
            subscribed,
        }
    }

    /// Subscribes, delivers, and resubscribes with backoff after every failure, until `stop`.
    pub async fn run(mut self, stop: CancellationToken) {
        let mut delay = Duration::from_millis(50);
        loop {
            let ended = self.listen(&stop, &mut delay).await;
            self.subscribed.store(false, Ordering::Relaxed);
            match ended {
                Ok(()) => return,
                Err(err) => tracing::warn!(error = %err, "fan-out subscription lost; retrying"),
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(MAX_RETRY_DELAY);
        }
    }

    /// One subscription, from connect to loss (an error) or `stop` (`Ok`).
    async fn listen(
        &mut self,
        stop: &CancellationToken,
        delay: &mut Duration,
    ) -> Result<(), RedisError> {
        let timeout = self.link.timeout();
        let timed_out = |_elapsed| RedisError::TimedOut { after: timeout };
        let Some(client) = self.link.client() else {
            return Err(RedisError::NotOneRedis);
        };
        let mut pubsub = tokio::time::timeout(timeout, client.get_async_pubsub())
            .await
            .map_err(timed_out)??;
        tokio::time::timeout(timeout, pubsub.subscribe(CHANNEL))
            .await
            .map_err(timed_out)??;
        tracing::info!("subscribed to fan-out");
        *delay = Duration::from_millis(50);
        self.inbox.catch_up_rooms().await;
        self.subscribed.store(true, Ordering::Relaxed);
        let mut messages = pubsub.into_on_message();
        loop {
            tokio::select! {
                () = stop.cancelled() => return Ok(()),
                message = messages.next() => match message {
                    Some(message) => self.inbox.on_payload(message.get_payload_bytes()),
                    None => return Err(RedisError::SubscriptionClosed),
                },
            }
        }
    }
}
