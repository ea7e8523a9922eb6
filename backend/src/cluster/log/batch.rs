//! Group commit on Redis: the appends that wait together go to Redis in one round trip.
//!
//! One task per store, the appender, owns the appends' round trips, as SQLite's writer thread
//! owns its transactions (`store/sqlite/writer.rs`). It waits for the first queued append,
//! takes every other one already waiting (up to [`MAX_BATCH`]) and sends them at once. No
//! timer: the first append of an idle period goes at once, and those that queue while a round
//! trip is in flight make the next batch, so a busy node batches by itself and an idle one
//! adds no latency. Before taking the batch, the appender yields its thread's core once
//! (`sched_yield`): when the sessions that are about to queue more appends share that core,
//! they run first and join this batch (on one shared core, twice as many appends per script
//! call: `docs/benchmarks.md`); with nothing else ready to run it returns at once.
//!
//! A batch goes as one script call per room ([`super::append`]), because running a script is
//! most of what an append costs Redis, and a script may only touch one slot. On one Redis the
//! calls go in one pipeline; on a cluster each room's call goes to its own master, and the
//! rooms' calls run side by side. With `--redis-wait-replicas N`, `WAIT N` follows in the same
//! pipeline (per room on a cluster), so one `WAIT` on the connection that wrote them covers
//! the batch.
//!
//! What stays as without batching: ids strictly increasing and gapless per room (the script
//! takes them from `seq` one by one); a retry stored once, even beside its original in the same
//! call (the script sees the copy it just wrote); a record confirmed only once its call, and
//! the `WAIT` if asked, answered. A failure is answered `unavailable` to exactly the appends
//! it touched: a lost connection or too few replicas, every append of that round trip; a
//! script refused by Redis, that room's; a stored record that does not parse, its own.
//!
//! Each call publishes what it stored as one payload once every node reads those
//! ([`BatchReaders`]), and one payload per record until then.
//!
//! The queue is bounded ([`APPEND_QUEUE`]): when it is full, appends wait for room in it,
//! as SQLite's writes do.

use super::{append, list_room};
use crate::{
    cluster::{
        keyspace::Keyspace,
        link::{Link, slot_moving},
        wire::BatchReaders,
    },
    store::{Appended, NewMessage, RedisError, StoreError},
};
use chinwag_shared::RoomName;
use futures_util::future::join_all;
use redis::{ErrorKind, RedisResult, ScriptInvocation, ServerErrorKind, Value};
use std::{collections::HashMap, sync::Arc, time::Duration};
use tokio::sync::{mpsc, oneshot};

/// Most appends sent in one round trip.
pub const MAX_BATCH: usize = 512;

/// Appends waiting for the appender; senders wait (backpressure) when it is full.
const APPEND_QUEUE: usize = 4_096;

/// One append waiting for its round trip, and where to answer it.
struct Job {
    message: NewMessage,
    reply: oneshot::Sender<Result<Appended, StoreError>>,
}

impl Job {
    fn answer(self, appended: Result<Appended, StoreError>) {
        let _caller_gone = self.reply.send(appended);
    }
}

/// Where a store queues its appends; the appender task runs while one of these lives.
pub(super) struct Appender {
    queue: mpsc::Sender<Job>,
}

impl Appender {
    /// Starts the appender on `runtime`, writing through `link` to logs of about
    /// `max_len` records, waiting for `wait_replicas` replicas after each round trip, and
    /// publishing each call's records as one payload while `batch_readers` allows.
    pub(super) fn start(
        runtime: &tokio::runtime::Handle,
        link: Link,
        max_len: u64,
        wait_replicas: u32,
        batch_readers: Arc<BatchReaders>,
    ) -> Self {
        let (queue, jobs) = mpsc::channel(APPEND_QUEUE);
        let round_trips = RoundTrips {
            link,
            max_len,
            wait_replicas,
            batch_readers,
        };
        runtime.spawn(round_trips.run(jobs));
        Self { queue }
    }

    /// Queues `message` and waits for its batch's answer.
    pub(super) async fn append(&self, message: NewMessage) -> Result<Appended, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { message, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

/// The appender task's state.
struct RoundTrips {
    link: Link,
    max_len: u64,
    wait_replicas: u32,
    batch_readers: Arc<BatchReaders>,
}

impl RoundTrips {
    async fn run(self, mut jobs: mpsc::Receiver<Job>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while let Some(first) = jobs.recv().await {
            batch.push(first);
            // Let whatever else is ready on this core run first (the sessions that are about
            // to queue appends, when they share it): on an idle machine this returns at once.
            std::thread::yield_now();
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_empty_or_closed) => break,
                }
            }
            let rooms = by_room(batch.drain(..));
            match self.link.keyspace() {
                Keyspace::Single => {
                    let _never_handed_back = self.round_trip(rooms, false).await;
                }
                Keyspace::Cluster => {
                    join_all(rooms.into_iter().map(|room| self.room_round_trip(room))).await;
                }
            }
        }
        tracing::debug!("redis appender stopped");
    }

    /// On a cluster, one room's round trip, tried again while the room's slot is on the move
    /// (`ASK`, `TRYAGAIN`: the script did not run), within the deadline, rather than refusing
    /// the senders of a routine resharding.
    async fn room_round_trip(&self, room: Vec<Job>) {
        let deadline = tokio::time::Instant::now() + self.link.timeout();
        let mut pause = Duration::from_millis(10);
        let mut rooms = vec![room];
        loop {
            let may_retry = tokio::time::Instant::now() + pause < deadline;
            match self.round_trip(rooms, may_retry).await {
                None => return,
                Some(back) => rooms = back,
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    /// Sends one script call per room in `rooms`, then `WAIT` if asked, in one pipeline, and
    /// answers every job; or, when `may_retry` and a slot was on the move, answers nothing
    /// and hands the jobs back.
    async fn round_trip(&self, rooms: Vec<Vec<Job>>, may_retry: bool) -> Option<Vec<Vec<Job>>> {
        let batched = self.batch_readers.all_read_batches();
        let calls: Vec<ScriptInvocation<'static>> = rooms
            .iter()
            .map(|jobs| {
                let messages: Vec<&NewMessage> = jobs.iter().map(|job| &job.message).collect();
                append::invocation(
                    &jobs[0].message.room,
                    &messages,
                    self.max_len,
                    self.link.keyspace(),
                    batched,
                )
            })
            .collect();
        let replies = match self.pipeline(&calls).await {
            Err(err) if may_retry && slot_moving(&err) => return Some(rooms),
            Ok(replies)
                if may_retry
                    && replies.iter().any(|reply| {
                        matches!(reply, Err(err) if slot_moving(&RedisError::from(err.clone())))
                    }) =>
            {
                return Some(rooms);
            }
            Ok(replies) => replies,
            Err(err) => {
                let size: usize = rooms.iter().map(Vec::len).sum();
                tracing::warn!(error = %err, batch = size, "append batch failed");
                for job in rooms.into_iter().flatten() {
                    job.answer(Err(err.clone().into()));
                }
                return None;
            }
        };
        for (jobs, reply) in rooms.into_iter().zip(replies) {
            self.answer_room(jobs, reply).await;
        }
        None
    }

    /// Answers one room's jobs from its script call's `reply`.
    async fn answer_room(&self, jobs: Vec<Job>, reply: RedisResult<Value>) {
        let messages: Vec<&NewMessage> = jobs.iter().map(|job| &job.message).collect();
        let answer = match reply.and_then(|reply| append::answer(&messages, reply)) {
            Ok(answer) => answer,
            Err(err) => {
                let room = &jobs[0].message.room;
                tracing::warn!(%room, error = %err, batch = jobs.len(), "append script failed");
                for job in jobs {
                    job.answer(Err(RedisError::from(err.clone()).into()));
                }
                return;
            }
        };
        if let (Some(newest), Keyspace::Cluster) = (answer.newest, self.link.keyspace()) {
            list_room(&self.link, &jobs[0].message.room, newest, answer.private).await;
        }
        for (job, appended) in jobs.into_iter().zip(answer.appended) {
            job.answer(appended);
        }
    }

    /// Runs `calls`, followed by `WAIT` with `--redis-wait-replicas`, in one pipeline on one
    /// connection, which is what `WAIT` counts the writes of. Returns each call's reply, or
    /// an error for them all: the round trip failed, or fewer replicas than asked
    /// acknowledged within half the deadline ([`RedisError::NotReplicated`]: the records are
    /// on the master, not confirmed; the clients' retries find them by `client_id` and wait
    /// again).
    async fn pipeline(
        &self,
        calls: &[ScriptInvocation<'static>],
    ) -> Result<Vec<RedisResult<Value>>, RedisError> {
        let wanted = self.wait_replicas;
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for call in calls {
            pipe.invoke_script(call);
        }
        if wanted > 0 {
            let wait_ms = u64::try_from((self.link.timeout() / 2).as_millis()).unwrap_or(u64::MAX);
            pipe.cmd("WAIT").arg(wanted).arg(wait_ms.max(1));
        }
        let pipe = &pipe;
        let mut replies: Vec<RedisResult<Value>> = self
            .link
            .call(|mut conn| async move {
                let replies: Vec<RedisResult<Value>> = pipe.query_async(&mut conn).await?;
                let not_loaded = |reply: &RedisResult<Value>| {
                    matches!(reply, Err(err) if err.kind() == ErrorKind::Server(ServerErrorKind::NoScript))
                };
                if replies.iter().take(calls.len()).all(not_loaded) {
                    // No call ran: load the script (on every master) and send them all again.
                    calls[0].load_async(&mut conn).await?;
                    return pipe.query_async(&mut conn).await;
                }
                Ok(replies)
            })
            .await?;
        if wanted > 0 {
            let acked = match replies.pop() {
                Some(Ok(Value::Int(acked))) => u32::try_from(acked).unwrap_or(0),
                _ => 0,
            };
            if acked < wanted {
                return Err(RedisError::NotReplicated { wanted, acked });
            }
        }
        Ok(replies)
    }
}

/// `jobs` grouped by room, rooms in the order they first came, each room's jobs in the order
/// they came (which is the order the script gives them ids).
fn by_room(jobs: impl Iterator<Item = Job>) -> Vec<Vec<Job>> {
    let mut rooms: Vec<Vec<Job>> = Vec::new();
    let mut index: HashMap<RoomName, usize> = HashMap::new();
    for job in jobs {
        match index.get(&job.message.room) {
            Some(&at) => rooms[at].push(job),
            None => {
                index.insert(job.message.room.clone(), rooms.len());
                rooms.push(vec![job]);
            }
        }
    }
    rooms
}
