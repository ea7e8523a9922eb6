//! The writer thread: the only connection that writes the log, and group commit.
//!
//! It waits for the first queued write, takes every other write already waiting (up to
//! [`MAX_BATCH`]), and commits them in one transaction: group commit with no timer, so an
//! idle server commits at once and a busy one batches naturally. Appends and changes share
//! the batch and the room's id sequence. Only after the commit does it publish the new
//! records (messages and change records) to local delivery ([`ChatPublisher`]), in id order,
//! and answer the callers; a failed batch is answered as a whole, and nothing of it is
//! published. After a batch that deleted something it owes a WAL truncation
//! ([`super::scrub`]), which it tries waiting on readers only briefly, again after later
//! batches or on a short timer. The store's `append`, `change` and `close` only queue
//! [`WriteJob`]s.

use super::{
    SqliteError,
    append::append_one,
    change::change_one,
    scrub::{Scrub, ScrubProgress},
};
use crate::{
    delivery::frame::ChatFrame,
    fanout::ChatPublisher,
    store::{Appended, Changed, Epoch, NewChange, NewMessage, StoreError},
};
use chinwag_shared::{Change, ChatRecord};
use rusqlite::{Connection, TransactionBehavior};
use std::{
    sync::Arc,
    thread,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::{
    runtime,
    sync::{mpsc, oneshot, watch},
};

/// Most writes committed in one transaction.
pub const MAX_BATCH: usize = 512;

/// Writes waiting for the writer; senders wait (backpressure) when it is full.
const WRITE_QUEUE: usize = 4_096;

/// What the store asks of the writer.
pub(super) enum WriteJob {
    /// Store one message and answer on the sender.
    Append(NewMessage, Reply<Appended>),
    /// Store one change and answer on the sender.
    Change(NewChange, Reply<Changed>),
    /// Commit what is queued ahead, refuse what comes after, and say when done.
    Close(oneshot::Sender<()>),
}

/// Where the writer answers one write.
pub(super) type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// A write taken into the batch being built.
enum Queued {
    Append(NewMessage, Reply<Appended>),
    Change(NewChange, Reply<Changed>),
}

/// What one queued write did, inside the transaction; it becomes true only at the commit.
enum Outcome {
    Appended(Appended),
    Changed(Changed),
}

impl Outcome {
    /// The new record, if the write stored one.
    fn stored(&self) -> Option<&ChatRecord> {
        match self {
            Outcome::Appended(Appended::Stored(record))
            | Outcome::Changed(Changed::Stored(record)) => Some(record),
            _ => None,
        }
    }

    /// Whether it deleted a message (so the batch owes a WAL truncation once committed).
    fn deletes(&self) -> bool {
        self.stored()
            .is_some_and(|record| matches!(record.change, Some(Change::Delete { .. })))
    }
}

impl Queued {
    /// Answers with `outcome`, which `write_one` made from this very write.
    fn answer(self, outcome: Outcome) {
        match (self, outcome) {
            (Queued::Append(_, reply), Outcome::Appended(appended)) => {
                let _caller_gone = reply.send(Ok(appended));
            }
            (Queued::Change(_, reply), Outcome::Changed(changed)) => {
                let _caller_gone = reply.send(Ok(changed));
            }
            // `write_one` answers each write with its own kind; were that ever broken, the
            // caller hears a failure rather than nothing.
            (queued, _) => queued.fail(StoreError::Closed),
        }
    }

    fn fail(self, err: StoreError) {
        match self {
            Queued::Append(_, reply) => {
                let _caller_gone = reply.send(Err(err));
            }
            Queued::Change(_, reply) => {
                let _caller_gone = reply.send(Err(err));
            }
        }
    }
}

/// Starts the writer thread on `conn` (whose busy timeout is `busy_timeout`), publishing
/// each committed record of history `epoch` to `publisher`; returns where to queue its jobs
/// and how far deletions are scrubbed. The thread ends after a [`WriteJob::Close`], or when
/// every sender is gone.
pub(super) fn start(
    conn: Connection,
    busy_timeout: Duration,
    publisher: Arc<dyn ChatPublisher>,
    epoch: Epoch,
) -> Result<(mpsc::Sender<WriteJob>, watch::Receiver<ScrubProgress>), StoreError> {
    let (writes, queue) = mpsc::channel(WRITE_QUEUE);
    // The thread's own clock, for waiting on the queue with a deadline while a WAL
    // truncation is owed; it runs nothing else.
    let clock = runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(SqliteError::SpawnWriter)?;
    let (scrub, progress) = Scrub::new(busy_timeout);
    thread::Builder::new()
        .name("chinwag-sqlite-writer".into())
        .spawn(move || {
            Writer {
                conn,
                publisher,
                epoch,
                scrub,
            }
            .run(queue, &clock)
        })
        .map_err(SqliteError::SpawnWriter)?;
    Ok((writes, progress))
}

/// The writer thread's state: the only connection that writes the log.
struct Writer {
    conn: Connection,
    publisher: Arc<dyn ChatPublisher>,
    epoch: Epoch,
    scrub: Scrub,
}

impl Writer {
    fn run(mut self, mut queue: mpsc::Receiver<WriteJob>, clock: &runtime::Runtime) {
        let mut batch: Vec<Queued> = Vec::with_capacity(MAX_BATCH);
        self.scrub.attempt(&self.conn);
        loop {
            let Some(first) = self.next_job(&mut queue, clock) else {
                break;
            };
            let closing = self.gather(first, &mut queue, &mut batch);
            self.commit_batch(&mut batch);
            self.scrub.attempt(&self.conn);
            if let Some(done) = closing {
                queue.close();
                // Writes that raced in behind the close are refused, not dropped silently.
                while let Ok(job) = queue.try_recv() {
                    match job {
                        WriteJob::Append(_, reply) => {
                            let _caller_gone = reply.send(Err(StoreError::Closed));
                        }
                        WriteJob::Change(_, reply) => {
                            let _caller_gone = reply.send(Err(StoreError::Closed));
                        }
                        WriteJob::Close(_) => {}
                    }
                }
                let _caller_gone = done.send(());
                break;
            }
        }
        tracing::debug!("sqlite writer stopped");
    }

    /// The next job, waiting as long as it takes, or, while a WAL truncation is owed, trying
    /// it whenever the wait for work runs out. `None` once every sender is gone.
    fn next_job(
        &mut self,
        queue: &mut mpsc::Receiver<WriteJob>,
        clock: &runtime::Runtime,
    ) -> Option<WriteJob> {
        loop {
            let Some(wait) = self.scrub.retry_after() else {
                return clock.block_on(queue.recv());
            };
            match clock.block_on(async { tokio::time::timeout(wait, queue.recv()).await }) {
                Ok(job) => return job,
                Err(_quiet) => self.scrub.attempt(&self.conn),
            }
        }
    }

    /// Moves `first` and every write already queued behind it (up to [`MAX_BATCH`]) into
    /// `batch`; stops at a close, which it returns.
    fn gather(
        &mut self,
        first: WriteJob,
        queue: &mut mpsc::Receiver<WriteJob>,
        batch: &mut Vec<Queued>,
    ) -> Option<oneshot::Sender<()>> {
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                WriteJob::Append(message, reply) => batch.push(Queued::Append(message, reply)),
                WriteJob::Change(change, reply) => batch.push(Queued::Change(change, reply)),
                WriteJob::Close(done) => return Some(done),
            }
            if batch.len() < MAX_BATCH {
                next = queue.try_recv().ok();
            }
        }
        None
    }

    /// Commits `batch` in one transaction, then publishes and answers in order. One commit is
    /// one WAL sync under [`SyncMode::Full`](super::SyncMode::Full), however many writes the
    /// batch holds, so callers who arrive while a sync runs share the next one.
    fn commit_batch(&mut self, batch: &mut Vec<Queued>) {
        if batch.is_empty() {
            return;
        }
        match self.write_all(batch) {
            Ok(outcomes) => {
                // Counted before anyone is answered, so a caller that waits for the scrub
                // after its deletion waits for this batch's.
                if outcomes.iter().any(Outcome::deletes) {
                    self.scrub.deleted();
                }
                for (queued, outcome) in batch.drain(..).zip(outcomes) {
                    if let Some(record) = outcome.stored() {
                        self.publisher
                            .publish_chat(ChatFrame::new(record, &self.epoch));
                    }
                    queued.answer(outcome);
                }
            }
            Err(err) => {
                let size = batch.len();
                tracing::error!(error = %err, batch = size, "write batch failed");
                let cause = Arc::new(err);
                for queued in batch.drain(..) {
                    let failed = SqliteError::BatchFailed {
                        batch: size,
                        cause: Arc::clone(&cause),
                    };
                    queued.fail(failed.into());
                }
            }
        }
    }

    fn write_all(&mut self, batch: &[Queued]) -> Result<Vec<Outcome>, StoreError> {
        // IMMEDIATE: the directories write the same file through connections of their own.
        // A deferred transaction that read first could find its snapshot stale when it
        // comes to write, which SQLite refuses at once (no busy wait); taking the write lock
        // up front waits its turn instead.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ts = now_ms();
        let mut outcomes = Vec::with_capacity(batch.len());
        for queued in batch {
            outcomes.push(match queued {
                Queued::Append(message, _) => Outcome::Appended(append_one(&tx, message, ts)?),
                Queued::Change(change, _) => Outcome::Changed(change_one(&tx, change, ts)?),
            });
        }
        tx.commit()?;
        Ok(outcomes)
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}
