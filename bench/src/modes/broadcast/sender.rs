//! A broadcast sender: its schedule ([`Pace`]) and its posts, messages over its WebSocket or,
//! with a [`Changer`] (issue 15), edits and deletions of its own recent messages over HTTP.
//!
//! Called by the broadcast mode's `send_all`, one task per sender. Invariant: a sender's posts
//! reach the room in its own order (stamps' sequence numbers only rise), so a change waits
//! for the sender's previous message to come back before it is made.

use super::Plan;
use crate::{
    changes::{ChangeClient, ChangeMix, DeleteClock, OwnIds, Post, is_change},
    client::{FrameWriter, chat_id},
    modes::tally,
    payload::Stamp,
    server::Target,
    signin,
};
use anyhow::{Context, Result, bail};
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::time::Instant;

/// Signs up one account per sender (untimed, before anything else), through the first node;
/// returns one session each.
pub async fn sign_in_senders(target: &Target, plan: &Plan) -> Result<Vec<Arc<str>>> {
    // Unique per step, as the room is, for a server reused across steps (`--target`).
    let prefix = plan.room.replacen("bench-", "b", 1);
    let made = signin::sign_in_all(target.addrs[0], &prefix, plan.senders, plan.senders)
        .await
        .context("signing in the senders")?;
    Ok(made.sessions)
}

/// A sender's own message (not a change record) comes back: remember its id as a target.
pub fn remember_own(own: &Mutex<OwnIds>, me: u32, stamp: Stamp, frame: &str) {
    if stamp.sender != me || is_change(frame) {
        return;
    }
    if let (Some(id), Ok(mut own)) = (chat_id(frame), own.lock()) {
        own.push(id);
        own.confirmed_seq(stamp.seq);
    }
}

/// When one sender sends.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// The sender's index.
    pub sender: u32,
    /// Messages to send.
    pub count: u64,
    /// When the first is due.
    pub first: Instant,
    /// Time between two of its messages.
    pub period: Duration,
}

/// Where a sender's posts go and are counted.
#[derive(Clone, Copy)]
pub struct Outlet<'a> {
    /// The room.
    pub room: &'a str,
    /// Characters per message.
    pub chars: usize,
    /// What the step counts into.
    pub tally: &'a tally::Tally,
}

/// A signed-in sender's way to edit and delete its own messages.
pub struct Changer {
    /// Its HTTP connection.
    pub client: ChangeClient,
    /// Its own recent message ids, filled by its receiver.
    pub own: Arc<Mutex<OwnIds>>,
    /// Which of its posts are changes.
    pub mix: ChangeMix,
    /// Where its deletions' stamps are noted for the receivers.
    pub deletes: Arc<DeleteClock>,
}

/// Sends `pace.count` stamped posts on schedule; returns the writer (the connection stays
/// open until the step ends) and how late the latest send was. Each stamp is the actual send
/// time, so a late sender shows up as lag, not as server latency. With a `changer`, the posts
/// its mix marks become an edit (new text: the stamp) or a deletion of the sender's newest
/// message, when it has one; otherwise, and without one, a message.
pub async fn send_paced(
    mut writer: FrameWriter,
    mut changer: Option<Changer>,
    pace: Pace,
    out: Outlet<'_>,
) -> (FrameWriter, Duration) {
    let tally = out.tally;
    let mut lag = Duration::ZERO;
    for seq in 0..pace.count {
        let due = pace.first + pace.period.mul_f64(seq as f64);
        tokio::time::sleep_until(due).await;
        lag = lag.max(Instant::now().saturating_duration_since(due));
        let stamp = Stamp {
            sender: pace.sender,
            seq,
            sent_ns: tally.epoch.nanos(),
        };
        let posted = match changer.as_mut() {
            Some(changer) => post_or_change(&mut writer, changer, stamp, out)
                .await
                .map(|waited| {
                    lag = lag.max(waited + Instant::now().saturating_duration_since(due))
                }),
            None => writer.send(stamp.send_frame(out.room, out.chars)).await,
        };
        if let Err(err) = posted {
            tally.error(format!("sender {}: {err:#}", pace.sender));
            break;
        }
        tally
            .sent
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    (writer, lag)
}

/// Post `stamp` as its sender's mix says: a message, or a change of its newest message,
/// made once its previous message came back (see [`OwnIds::has_seen`]) and stamped then;
/// returns how long that wait was, to count as send lag.
async fn post_or_change(
    writer: &mut FrameWriter,
    changer: &mut Changer,
    mut stamp: Stamp,
    out: Outlet<'_>,
) -> Result<Duration> {
    let post = changer.mix.post(stamp.seq);
    let waited = match (post, stamp.seq.checked_sub(1)) {
        (Post::Edit | Post::Delete, Some(previous)) => {
            let started = Instant::now();
            wait_seen(&changer.own, previous).await?;
            stamp.sent_ns = out.tally.epoch.nanos();
            started.elapsed()
        }
        _ => Duration::ZERO,
    };
    let target = {
        let mut own = changer
            .own
            .lock()
            .map_err(|_| anyhow::anyhow!("own ids poisoned"))?;
        match post {
            Post::Message => None,
            Post::Edit => own.newest(),
            Post::Delete => own.take_newest(),
        }
    };
    let counted = || {
        out.tally
            .changes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    };
    match (post, target) {
        (Post::Edit, Some(target)) => {
            changer.client.edit(target, &stamp.text(out.chars)).await?;
            counted();
        }
        (Post::Delete, Some(target)) => {
            changer.deletes.asked(target, stamp);
            changer.client.delete(target).await?;
            counted();
        }
        _ => writer.send(stamp.send_frame(out.room, out.chars)).await?,
    }
    Ok(waited)
}

/// Longest a change waits for its sender's previous message to come back.
const SEEN_WAIT: Duration = Duration::from_secs(10);

/// Waits until the sender's own message `seq` came back (bounded by [`SEEN_WAIT`]).
async fn wait_seen(own: &Mutex<OwnIds>, seq: u64) -> Result<()> {
    let deadline = Instant::now() + SEEN_WAIT;
    loop {
        let seen = own.lock().map(|own| own.has_seen(seq)).unwrap_or(false);
        if seen {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("own message {seq} did not come back within {SEEN_WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
