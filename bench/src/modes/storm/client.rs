//! One storm client, and what every client shares with the controller.
//!
//! A client joins, reads live traffic, resets its connection when the phase says `Drop`,
//! waits for `Reconnect(target)`, reconnects (retrying a failed attempt a few times, each
//! counted), and reads until `Stop`. Every message it sees goes through [`Seen`], which counts
//! gaps and repeats; it marks itself back (caught up) once it holds `target` on the new
//! connection.
//!
//! How it joins follows [`Resume`]: with `On` (Chinwag) it joins with `after=0` and reconnects
//! with `after=<highest id held>`, so every id is due to it; with `Off` (any target) both
//! connections are live-only, so what was posted before a connection's first message is not
//! due to it ([`Seen::skipped`]) and `target` is the first id posted after the storm began.
//! A baseline has no ids: the number of a message is its stamp's sequence number plus one,
//! which counts the poster's messages from 1 as Chinwag's ids do in a fresh room.

use crate::{
    cli::Resume,
    client::{Connector, FrameReader, FrameWriter, JoinSpec, chat_id, is_error_frame},
    modes::tally::Errors,
    payload::{Epoch, Stamp},
    signin::Credential,
};
use anyhow::{Context, Result};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};

/// How long after the WebSocket opens the replay and `joined` may take (connect and
/// handshake have their own bounds).
const JOINED_TIMEOUT: Duration = Duration::from_secs(20);
/// Reconnect attempts per client before it gives up.
const RECONNECT_ATTEMPTS: u32 = 5;

/// Where the run is; every client task follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connected, reading live traffic.
    Live,
    /// Reset the connection now.
    Drop,
    /// Reconnect now; caught up at this id.
    Reconnect(u64),
    /// Stop reading.
    Stop,
}

/// What one client has seen, read by the controller.
#[derive(Debug, Default)]
pub struct Seen {
    /// Highest id held; every id below it arrived or was counted in `gaps`.
    pub last: AtomicU64,
    /// Ids skipped over: lost.
    pub gaps: AtomicU64,
    /// Ids received again.
    pub duplicates: AtomicU64,
    /// Ids a live-only connection started past (posted while the client was away, or before
    /// it first joined): never due to it, so neither received nor lost.
    pub skipped: AtomicU64,
    /// Epoch nanoseconds when it caught up after the reconnect; 0 until then.
    pub caught_up_ns: AtomicU64,
    /// Bytes of the frames replayed on the reconnect, up to `joined` (frame text).
    pub resume_bytes: AtomicU64,
    /// Chat frames (messages and change records) replayed on the reconnect.
    pub resume_records: AtomicU64,
}

impl Seen {
    /// Accounts for chat `id`.
    pub fn on_chat(&self, id: u64) {
        let last = self.last.load(Relaxed);
        if id <= last {
            self.duplicates.fetch_add(1, Relaxed);
            return;
        }
        if id > last + 1 {
            self.gaps.fetch_add(id - last - 1, Relaxed);
        }
        self.last.store(id, Relaxed);
    }

    /// Accounts for `id`, the first message on a live-only connection: the ids before it that
    /// the client does not hold were posted while it was not connected.
    pub fn on_first_live(&self, id: u64) {
        let last = self.last.load(Relaxed);
        if id > last + 1 {
            self.skipped.fetch_add(id - last - 1, Relaxed);
            self.last.store(id - 1, Relaxed);
        }
        self.on_chat(id);
    }
}

/// One connection's view of its messages: a live-only connection's first message may jump
/// over ids it was never due.
struct Heard<'a> {
    seen: &'a Seen,
    /// Live-only and no message yet.
    awaiting_first: bool,
}

impl<'a> Heard<'a> {
    fn new(seen: &'a Seen, resume: Resume) -> Self {
        Self {
            seen,
            awaiting_first: resume == Resume::Off,
        }
    }

    fn on_message(&mut self, id: u64) {
        if std::mem::take(&mut self.awaiting_first) {
            self.seen.on_first_live(id);
        } else {
            self.seen.on_chat(id);
        }
    }
}

/// The number of a message from the poster: Chinwag's chat id, or for a baseline (which
/// relays the `send` frame as it is) the stamp's sequence number plus one. `None` for any other
/// frame.
pub fn message_number(frame: &str) -> Option<u64> {
    chat_id(frame).or_else(|| {
        Stamp::find(frame)
            .filter(|stamp| stamp.sender == 0)
            .map(|stamp| stamp.seq + 1)
    })
}

/// What every client task and the controller share.
pub struct Crowd {
    /// The run's clock.
    pub epoch: Epoch,
    /// The room.
    pub room: String,
    /// Clients joined the first time.
    pub joined: AtomicU64,
    /// Clients whose first connection is gone.
    pub dropped: AtomicU64,
    /// Reconnect attempts that failed and were retried, with the first few reasons.
    pub retries: Errors,
    /// Connection failures and error frames.
    pub errors: Errors,
}

/// How one client connects: where, as whom, and whether it resumes.
#[derive(Clone)]
pub struct Joining {
    /// Its node.
    pub connector: Connector,
    /// A signed-in client's credential, presented on both connections.
    pub credential: Option<Credential>,
    /// Whether it resumes with `after=` or reconnects live-only.
    pub resume: Resume,
}

/// One storm client: join, read, drop on cue, reconnect (to the same node, with `after=` when
/// resuming), read until told to stop.
pub async fn client(
    crowd: &Crowd,
    joining: Joining,
    seen: &Seen,
    mut phases: watch::Receiver<Phase>,
    setup: &Semaphore,
) {
    let first = {
        let _slot = setup.acquire().await;
        let mut heard = Heard::new(seen, joining.resume);
        connect(crowd, &joining, &mut heard, 0, None)
            .await
            .map(|conn| (conn, heard))
    };
    let Ok((mut conn, mut heard)) = first.map_err(|err| crowd.errors.record(format!("{err:#}")))
    else {
        return;
    };
    crowd.joined.fetch_add(1, Relaxed);
    if read_until(&mut conn.1, crowd, &mut heard, &mut phases, |p| {
        p != Phase::Live
    })
    .await
    .is_none()
    {
        return;
    }
    drop(conn);
    crowd.dropped.fetch_add(1, Relaxed);
    let target = loop {
        match *phases.borrow_and_update() {
            Phase::Reconnect(target) => break target,
            Phase::Stop => return,
            Phase::Live | Phase::Drop => {}
        }
        if phases.changed().await.is_err() {
            return;
        }
    };
    let mut attempt = 0;
    let (mut conn, mut heard) = loop {
        let after = seen.last.load(Relaxed);
        let mut heard = Heard::new(seen, joining.resume);
        match connect(crowd, &joining, &mut heard, after, Some(target)).await {
            Ok(conn) => break (conn, heard),
            Err(err) if attempt + 1 < RECONNECT_ATTEMPTS => {
                attempt += 1;
                crowd.retries.record(format!("{err:#}"));
                tokio::time::sleep(Duration::from_millis(100) * attempt).await;
            }
            Err(err) => return crowd.errors.record(format!("reconnect: {err:#}")),
        }
    };
    let _ = read_until(&mut conn.1, crowd, &mut heard, &mut phases, |p| {
        p == Phase::Stop
    })
    .await;
}

/// Connects (with `after=` when resuming), reads the replay and the greeting (`joined`);
/// marks the client caught up when it then holds `catch_up_to`.
async fn connect(
    crowd: &Crowd,
    joining: &Joining,
    heard: &mut Heard<'_>,
    after: u64,
    catch_up_to: Option<u64>,
) -> Result<(FrameWriter, FrameReader)> {
    let spec = JoinSpec {
        room: crowd.room.clone(),
        after: (joining.resume == Resume::On).then_some(after),
        username: None,
        abortive: true,
        credential: joining.credential.clone(),
    };
    let (writer, mut reader) = joining.connector.connect(&spec).await?;
    let resuming = catch_up_to.is_some();
    let seen = heard.seen;
    let replay = reader.wait_ready(|frame| {
        if resuming {
            seen.resume_bytes.fetch_add(frame.len() as u64, Relaxed);
        }
        // A live-only join may still get what was stored while it was under way.
        if let Some(id) = message_number(frame) {
            heard.on_message(id);
            if resuming {
                seen.resume_records.fetch_add(1, Relaxed);
            }
        }
    });
    tokio::time::timeout(JOINED_TIMEOUT, replay)
        .await
        .context("no joined frame in time (WebSocket open)")??;
    let conn = (writer, reader);
    if let Some(target) = catch_up_to
        && seen.last.load(Relaxed) >= target
    {
        seen.caught_up_ns.store(crowd.epoch.nanos(), Relaxed);
    }
    Ok(conn)
}

/// Reads chat frames until the phase satisfies `until` (returns `Some`) or the connection
/// fails (returns `None`, error counted).
async fn read_until(
    reader: &mut FrameReader,
    crowd: &Crowd,
    heard: &mut Heard<'_>,
    phases: &mut watch::Receiver<Phase>,
    until: impl Fn(Phase) -> bool,
) -> Option<Phase> {
    let seen = heard.seen;
    loop {
        let now = *phases.borrow_and_update();
        if until(now) {
            return Some(now);
        }
        tokio::select! {
            biased;
            changed = phases.changed() => {
                if changed.is_err() {
                    return None;
                }
            }
            frame = reader.next() => match frame {
                Ok(Some(text)) => {
                    if let Some(id) = message_number(text) {
                        heard.on_message(id);
                        if seen.caught_up_ns.load(Relaxed) == 0
                            && let Phase::Reconnect(target) = now
                            && id >= target
                        {
                            seen.caught_up_ns.store(crowd.epoch.nanos(), Relaxed);
                        }
                    } else if is_error_frame(text) {
                        crowd.errors.record(text);
                    }
                }
                Ok(None) => {
                    crowd.errors.record("the server closed the connection");
                    return None;
                }
                Err(err) => {
                    crowd.errors.record(format!("{err:#}"));
                    return None;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_order_are_clean_and_jumps_and_repeats_are_counted() {
        let seen = Seen::default();
        for id in [1, 2, 3, 3, 5, 6, 2] {
            seen.on_chat(id);
        }
        assert_eq!(seen.last.load(Relaxed), 6);
        assert_eq!(seen.gaps.load(Relaxed), 1);
        assert_eq!(seen.duplicates.load(Relaxed), 2);
    }

    #[test]
    fn a_live_only_connection_is_not_due_what_came_before_its_first_message() {
        let seen = Seen::default();
        let mut first = Heard::new(&seen, Resume::Off);
        for id in [4, 5, 7] {
            first.on_message(id);
        }
        let mut again = Heard::new(&seen, Resume::Off);
        for id in [12, 13, 13] {
            again.on_message(id);
        }
        assert_eq!(seen.skipped.load(Relaxed), 3 + 4);
        assert_eq!(seen.gaps.load(Relaxed), 1);
        assert_eq!(seen.duplicates.load(Relaxed), 1);
        assert_eq!(seen.last.load(Relaxed), 13);
    }

    #[test]
    fn a_resumed_connection_owes_every_id() {
        let seen = Seen::default();
        let mut heard = Heard::new(&seen, Resume::On);
        for id in [3, 4] {
            heard.on_message(id);
        }
        assert_eq!(seen.skipped.load(Relaxed), 0);
        assert_eq!(seen.gaps.load(Relaxed), 2);
    }

    #[test]
    fn a_baselines_message_is_numbered_by_the_posters_stamp() {
        let stamp = |sender| Stamp {
            sender,
            seq: 6,
            sent_ns: 1,
        };
        assert_eq!(message_number(&stamp(0).send_frame("r", 140)), Some(7));
        assert_eq!(message_number(&stamp(3).send_frame("r", 140)), None);
        assert_eq!(message_number(r#"{"type":"joined"}"#), None);
    }
}
