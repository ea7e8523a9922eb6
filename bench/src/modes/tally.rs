//! Delivery accounting shared by the broadcast and throughput modes.
//!
//! Every receiver task reads its connection with [`receive`], which finds the stamp in each
//! frame, times it into the run's shared [`Tally`], and checks the sender's sequence numbers
//! ([`SeqCheck`]) so a repeated message counts as a duplicate, not a delivery. Loss is what is
//! left: deliveries due minus deliveries counted. Error frames and dropped connections are
//! counted with a few samples kept verbatim for the report. With edits and deletions in the
//! run, a deletion's record carries no stamp: its stamp is looked up by target in the run's
//! [`DeleteClock`], so it is timed and counted like any other post.

use crate::{
    changes::{DeleteClock, deleted_target, is_change},
    client::{FrameReader, is_error_frame},
    payload::{Epoch, Stamp},
    stats::Histogram,
};
use indicatif::ProgressBar;
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering},
};
use std::time::Duration;
use tokio::{sync::watch, task::JoinSet, time::Instant};

/// Error samples kept per step.
const MAX_ERROR_SAMPLES: usize = 5;
/// How long receiver tasks get to stop once told.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Errors of one step: a count, and the first few verbatim for the report.
#[derive(Debug, Default)]
pub struct Errors {
    count: AtomicU64,
    samples: Mutex<Vec<String>>,
}

impl Errors {
    /// Counts an error, keeping the first few verbatim.
    pub fn record(&self, what: impl std::fmt::Display) {
        self.count.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut samples) = self.samples.lock()
            && samples.len() < MAX_ERROR_SAMPLES
        {
            samples.push(what.to_string());
        }
    }

    /// Errors so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The kept samples.
    pub fn samples(&self) -> Vec<String> {
        self.samples.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// What every receiver of one step adds to.
pub struct Tally {
    /// The clock stamps are read against.
    pub epoch: Epoch,
    /// Send-to-receipt latency of every first delivery.
    pub latency: Histogram,
    /// In a run with changes: the same, of messages only.
    pub message_latency: Histogram,
    /// In a run with changes: the same, of edits and deletions only.
    pub change_latency: Histogram,
    /// In a run with changes: the same, of deletions only (each also rewrites the stored
    /// message and is followed by a WAL truncation on the SQLite engine).
    pub delete_latency: Histogram,
    /// Posts made by the senders (messages, edits and deletions).
    pub sent: AtomicU64,
    /// Of those, edits and deletions.
    pub changes: AtomicU64,
    /// First deliveries.
    pub delivered: AtomicU64,
    /// Repeated deliveries.
    pub duplicates: AtomicU64,
    /// When the latest delivery arrived, in epoch nanoseconds.
    pub last_delivery_ns: AtomicU64,
    errors: Errors,
}

impl Tally {
    /// An empty tally on `epoch`.
    pub fn new(epoch: Epoch) -> Self {
        Self {
            epoch,
            latency: Histogram::default(),
            message_latency: Histogram::default(),
            change_latency: Histogram::default(),
            delete_latency: Histogram::default(),
            sent: AtomicU64::new(0),
            changes: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            last_delivery_ns: AtomicU64::new(0),
            errors: Errors::default(),
        }
    }

    /// Counts an error, keeping the first few verbatim.
    pub fn error(&self, what: impl std::fmt::Display) {
        self.errors.record(what);
    }

    /// Errors so far.
    pub fn errors(&self) -> u64 {
        self.errors.count()
    }

    /// The kept error samples.
    pub fn error_samples(&self) -> Vec<String> {
        self.errors.samples()
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Records a first delivery of `stamp` received now; `kind` says which of the split
    /// histograms it also goes into, if any.
    fn delivered(&self, stamp: Stamp, kind: Option<Kind>) {
        let now = self.epoch.nanos();
        let took = Duration::from_nanos(now.saturating_sub(stamp.sent_ns));
        self.latency.record(took);
        match kind {
            Some(Kind::Message) => self.message_latency.record(took),
            Some(Kind::Edit) => self.change_latency.record(took),
            Some(Kind::Delete) => {
                self.change_latency.record(took);
                self.delete_latency.record(took);
            }
            None => {}
        }
        self.delivered.fetch_add(1, Ordering::Relaxed);
        self.last_delivery_ns.fetch_max(now, Ordering::Relaxed);
    }
}

/// Whether a delivered frame was a message, an edit or a deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Message,
    Edit,
    Delete,
}

/// Every receiver task of a step, and the signal that stops them all.
pub struct Receivers {
    /// What they count into.
    pub tally: Arc<Tally>,
    /// Where deletions' stamps are found, in a run with changes.
    deletes: Option<Arc<DeleteClock>>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Receivers {
    /// No receivers yet; stamps are read against `epoch`.
    pub fn new(epoch: Epoch) -> Self {
        Self {
            tally: Arc::new(Tally::new(epoch)),
            deletes: None,
            stop: watch::channel(false).0,
            tasks: JoinSet::new(),
        }
    }

    /// Receivers started from now on time deletions by the stamps noted in `clock`.
    pub fn with_deletes(mut self, clock: Arc<DeleteClock>) -> Self {
        self.deletes = Some(clock);
        self
    }

    /// Starts a task that reads `reader` into the tally (see [`receive`]).
    pub fn spawn(
        &mut self,
        reader: FrameReader,
        senders: usize,
        on_new: impl FnMut(Stamp, &str) + Send + 'static,
    ) {
        let tally = Arc::clone(&self.tally);
        let stopped = self.stop.subscribe();
        let deletes = self.deletes.clone();
        self.tasks.spawn(async move {
            let seq = SeqCheck::new(senders);
            receive(reader, &tally, deletes.as_deref(), seq, stopped, on_new).await;
        });
    }

    /// Waits until `due` first deliveries were counted or `limit` passed, moving `bar`.
    pub async fn wait_delivered(&self, due: u64, limit: Duration, bar: &ProgressBar) {
        let end = Instant::now() + limit;
        while Tally::get(&self.tally.delivered) < due && Instant::now() < end {
            bar.set_position(Tally::get(&self.tally.delivered));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops every receiver (their connections' reading halves close) and returns the tally.
    pub async fn stop(self) -> Arc<Tally> {
        let _ = self.stop.send(true);
        if tokio::time::timeout(STOP_TIMEOUT, self.tasks.join_all())
            .await
            .is_err()
        {
            self.tally.error("receivers did not stop");
        }
        self.tally
    }
}

/// One receiver's view of every sender's sequence numbers.
#[derive(Debug, Clone)]
pub struct SeqCheck {
    next: Vec<u64>,
}

impl SeqCheck {
    /// For a run with `senders` senders, numbered from 0.
    pub fn new(senders: usize) -> Self {
        Self {
            next: vec![0; senders],
        }
    }

    /// Whether `stamp` is new to this receiver (true) or a repeat (false). A jump forward is
    /// new: the skipped messages are simply never counted as delivered, i.e. lost.
    pub fn is_new(&mut self, stamp: Stamp) -> bool {
        let Some(next) = usize::try_from(stamp.sender)
            .ok()
            .and_then(|i| self.next.get_mut(i))
        else {
            return false;
        };
        if stamp.seq < *next {
            return false;
        }
        *next = stamp.seq + 1;
        true
    }
}

/// Reads `reader` until `stop` turns true or the connection ends, adding every bench message
/// (and, with `deletes`, every deletion of one) to `tally`; `on_new` sees each first delivery
/// and its frame (the throughput mode's window and the senders' own ids use it).
pub async fn receive(
    mut reader: FrameReader,
    tally: &Tally,
    deletes: Option<&DeleteClock>,
    mut seq: SeqCheck,
    mut stop: watch::Receiver<bool>,
    mut on_new: impl FnMut(Stamp, &str),
) {
    loop {
        tokio::select! {
            biased;
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
            frame = reader.next() => match frame {
                Ok(Some(text)) => {
                    let deleted = deletes.and_then(|_| deleted_target(text));
                    let stamp = Stamp::find(text)
                        .or_else(|| deletes.and_then(|clock| clock.stamp(deleted?)));
                    if let Some(stamp) = stamp {
                        if seq.is_new(stamp) {
                            // Split only in runs with changes, so plain runs pay no search.
                            let kind = deletes.map(|_| match (deleted, is_change(text)) {
                                (Some(_), _) => Kind::Delete,
                                (None, true) => Kind::Edit,
                                (None, false) => Kind::Message,
                            });
                            tally.delivered(stamp, kind);
                            on_new(stamp, text);
                        } else {
                            tally.duplicates.fetch_add(1, Ordering::Relaxed);
                        }
                    } else if is_error_frame(text) {
                        tally.error(text);
                    }
                }
                Ok(None) => {
                    tally.error("the server closed the connection");
                    return;
                }
                Err(err) => {
                    tally.error(format!("{err:#}"));
                    return;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(sender: u32, seq: u64) -> Stamp {
        Stamp {
            sender,
            seq,
            sent_ns: 0,
        }
    }

    #[test]
    fn repeats_are_not_new_and_gaps_are_skipped_over() {
        let mut check = SeqCheck::new(2);
        assert!(check.is_new(stamp(0, 0)));
        assert!(check.is_new(stamp(1, 0)));
        assert!(!check.is_new(stamp(0, 0)));
        assert!(check.is_new(stamp(0, 3)));
        assert!(!check.is_new(stamp(0, 2)));
        assert!(
            !check.is_new(stamp(7, 0)),
            "an unknown sender is not a delivery"
        );
    }
}
