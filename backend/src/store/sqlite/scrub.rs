//! Secure deletion: getting a deleted text out of the database files, not merely out of its
//! row.
//!
//! Two things keep a deleted text on disk after its row no longer holds it: the free space
//! of the page it lived on (and freed overflow pages), and the WAL's older frames of those
//! pages. [`secure_delete`] turns on SQLite's `secure_delete` on the write connection, which
//! zeroes freed bytes as it frees them; [`Scrub`], driven by the writer thread, then
//! checkpoints the WAL with `TRUNCATE` within [`COALESCE`] of a batch that deleted something
//! (deletions close together share one), so the old
//! frames leave the `-wal` file and the database file holds only the zeroed pages. Readers
//! in the middle of a read block a truncation; the writer waits for them only briefly
//! ([`CHECKPOINT_PATIENCE`]), then tries again after its next batch or on a short timer,
//! backing off to [`RETRY_MAX`]. Invariant: while any deletion is not yet scrubbed, a retry
//! is scheduled; [`ScrubProgress`] says how far it got.

use super::SqliteError;
use crate::store::StoreError;
use rusqlite::{Connection, ErrorCode};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long one try waits for the reads in flight to finish. Once the WAL is all copied
/// into the database file, reads that begin ignore it, so only the reads already running
/// stand in the way, and they take milliseconds; any longer and the writer's queue would
/// wait on readers, which it never does for long.
pub(super) const CHECKPOINT_PATIENCE: Duration = Duration::from_millis(50);

/// The first wait before trying a blocked truncation again.
pub(super) const RETRY_FIRST: Duration = Duration::from_millis(10);

/// The longest wait between two tries of a blocked truncation.
pub(super) const RETRY_MAX: Duration = Duration::from_secs(1);

/// How long after a deletion its truncation waits, so deletions close together share one.
/// A truncation copies the WAL into the file and syncs it on the writer thread, and the
/// appends queued behind it wait (measured: ~1 ms per deletion for the next message, in
/// `docs/benchmarks.md`); a moderator clearing spam deletes many at once. The price is that
/// a deleted text stays in the `-wal` file this much longer.
pub(super) const COALESCE: Duration = Duration::from_millis(500);

/// How many WAL truncations the writer has owed, and how many of those it has done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScrubProgress {
    /// Truncations owed: one when the file opens (a WAL that a crash left behind may hold
    /// deleted text), then one per committed batch that deleted a message.
    pub owed: u64,
    /// Of those, how many are done: the WAL checkpointed and truncated since.
    pub done: u64,
}

impl ScrubProgress {
    /// Whether every deletion committed so far is gone from the files.
    pub fn is_clean(&self) -> bool {
        self.done >= self.owed
    }
}

/// Turns on `secure_delete` on `conn` and reads it back, as SQLite ignores what it does not
/// know without an error.
pub(super) fn secure_delete(conn: &Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "secure_delete", "ON")?;
    let level: i64 = conn.pragma_query_value(None, "secure_delete", |row| row.get(0))?;
    if level == 1 {
        Ok(())
    } else {
        Err(SqliteError::SecureDeleteNotApplied { level }.into())
    }
}

/// The writer's record of deletions still waiting for their WAL truncation.
pub(super) struct Scrub {
    /// When to try the owed truncation; `None` when none is owed.
    due: Option<Instant>,
    /// The wait that put off the last failed try (the back-off grows from it).
    waited: Duration,
    progress: watch::Sender<ScrubProgress>,
    /// The connection's busy timeout, put back after each try.
    busy_timeout: Duration,
}

impl Scrub {
    /// A scrub that owes a truncation at once, so a WAL left by a crash between a deletion
    /// and its checkpoint is truncated when the file opens again; and the progress it
    /// reports.
    pub(super) fn new(busy_timeout: Duration) -> (Self, watch::Receiver<ScrubProgress>) {
        let (progress, watching) = watch::channel(ScrubProgress { owed: 1, done: 0 });
        let scrub = Self {
            due: Some(Instant::now()),
            waited: Duration::ZERO,
            progress,
            busy_timeout,
        };
        (scrub, watching)
    }

    /// A batch that deleted something committed: a truncation is owed, within [`COALESCE`]
    /// (or sooner, if one was already due).
    pub(super) fn deleted(&mut self) {
        self.progress.send_modify(|progress| progress.owed += 1);
        let soon = Instant::now() + COALESCE;
        self.due = Some(self.due.map_or(soon, |due| due.min(soon)));
    }

    /// How long the writer may wait for work before trying; `None` if nothing is owed.
    pub(super) fn retry_after(&self) -> Option<Duration> {
        self.due
            .map(|due| due.saturating_duration_since(Instant::now()))
    }

    /// Tries the owed truncation if it is due, waiting for readers only briefly; on failure
    /// schedules the next try.
    pub(super) fn attempt(&mut self, conn: &Connection) {
        match self.due {
            Some(due) if due <= Instant::now() => {}
            _ => return,
        }
        let through = self.progress.borrow().owed;
        match truncate_wal(conn, self.busy_timeout) {
            Ok(true) => {
                self.due = None;
                self.waited = Duration::ZERO;
                self.progress
                    .send_modify(|progress| progress.done = through);
                return;
            }
            Ok(false) => tracing::debug!("a reader holds the WAL; truncating it later"),
            Err(err) => {
                tracing::warn!(error = %err, "checkpointing the WAL after a deletion failed");
            }
        }
        self.waited = next_wait(self.waited);
        self.due = Some(Instant::now() + self.waited);
    }
}

fn next_wait(waited: Duration) -> Duration {
    (waited * 2).clamp(RETRY_FIRST, RETRY_MAX)
}

/// Checkpoints the whole WAL into the database file and truncates it to nothing, waiting at
/// most [`CHECKPOINT_PATIENCE`]; whether it did (false: a reader or another writer was in
/// the way).
fn truncate_wal(conn: &Connection, busy_timeout: Duration) -> Result<bool, StoreError> {
    conn.busy_timeout(CHECKPOINT_PATIENCE)?;
    let checkpoint = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
        row.get::<_, i64>(0)
    });
    conn.busy_timeout(busy_timeout)?;
    match checkpoint {
        Ok(busy) => Ok(busy == 0),
        Err(rusqlite::Error::SqliteFailure(failure, _))
            if matches!(
                failure.code,
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked
            ) =>
        {
            Ok(false)
        }
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_the_first_wait_to_the_longest() {
        assert_eq!(next_wait(Duration::ZERO), RETRY_FIRST);
        assert_eq!(next_wait(RETRY_FIRST), RETRY_FIRST * 2);
        assert_eq!(next_wait(RETRY_MAX), RETRY_MAX);
        assert_eq!(next_wait(RETRY_MAX / 2 + RETRY_FIRST), RETRY_MAX);
    }
}
