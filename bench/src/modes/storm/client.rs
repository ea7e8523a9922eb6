//! One storm client, and what every client shares with the controller.
//!
//! A client joins with `after=0`, reads live traffic, resets its connection when the phase
//! says `Drop`, waits for `Reconnect(target)`, reconnects with `after=<highest id held>`
//! (retrying a failed attempt a few times, each counted), and reads until `Stop`. Every chat
//! id it sees goes through [`Seen::on_chat`], which counts gaps and repeats; it marks itself
//! caught up once it holds `target` on the new connection.

use crate::{
    client::{Connector, FrameReader, FrameWriter, JoinSpec, chat_id, is_error_frame},
    modes::tally::Errors,
    payload::Epoch,
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

/// One storm client: join, read, drop on cue, reconnect with `after=` (to the same node),
/// read until told to stop. A signed-in client presents `credential` on both connections.
pub async fn client(
    crowd: &Crowd,
    connector: Connector,
    credential: Option<Credential>,
    seen: &Seen,
    mut phases: watch::Receiver<Phase>,
    setup: &Semaphore,
) {
    let first = {
        let _slot = setup.acquire().await;
        connect(crowd, connector, credential.as_ref(), seen, 0, None).await
    };
    let Ok(mut conn) = first.map_err(|err| crowd.errors.record(format!("{err:#}"))) else {
        return;
    };
    crowd.joined.fetch_add(1, Relaxed);
    if read_until(&mut conn.1, crowd, seen, &mut phases, |p| p != Phase::Live)
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
    let mut conn = loop {
        match connect(
            crowd,
            connector,
            credential.as_ref(),
            seen,
            seen.last.load(Relaxed),
            Some(target),
        )
        .await
        {
            Ok(conn) => break conn,
            Err(err) if attempt + 1 < RECONNECT_ATTEMPTS => {
                attempt += 1;
                crowd.retries.record(format!("{err:#}"));
                tokio::time::sleep(Duration::from_millis(100) * attempt).await;
            }
            Err(err) => return crowd.errors.record(format!("reconnect: {err:#}")),
        }
    };
    let _ = read_until(&mut conn.1, crowd, seen, &mut phases, |p| p == Phase::Stop).await;
}

/// Connects with `after=`, reads the replay and `joined`; marks the client caught up when it
/// then holds `catch_up_to`.
async fn connect(
    crowd: &Crowd,
    connector: Connector,
    credential: Option<&Credential>,
    seen: &Seen,
    after: u64,
    catch_up_to: Option<u64>,
) -> Result<(FrameWriter, FrameReader)> {
    let spec = JoinSpec {
        room: crowd.room.clone(),
        after: Some(after),
        username: None,
        abortive: true,
        credential: credential.cloned(),
    };
    let (writer, mut reader) = connector.connect(&spec).await?;
    let resuming = catch_up_to.is_some();
    let replay = reader.wait_ready(|frame| {
        if resuming {
            seen.resume_bytes.fetch_add(frame.len() as u64, Relaxed);
        }
        if let Some(id) = chat_id(frame) {
            seen.on_chat(id);
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
    seen: &Seen,
    phases: &mut watch::Receiver<Phase>,
    until: impl Fn(Phase) -> bool,
) -> Option<Phase> {
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
                    if let Some(id) = chat_id(text) {
                        seen.on_chat(id);
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
}
