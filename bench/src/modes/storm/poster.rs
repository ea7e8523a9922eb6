//! The storm's one poster: a burst of messages on request, or a steady live rate.
//!
//! It is a named member of the room, so each message it posts comes back as its confirmation
//! with the stored id; [`Poster::confirmed`] is the newest such id, which is how the
//! controller knows the id every client must reach. A baseline relays its frames back to it as
//! they are, numbered by their stamps (see [`message_number`]). Given [`PosterChanges`] (issue 15), it is
//! signed in and turns a share of its posts into edits and deletions of its own recent
//! messages (see [`crate::changes`]); each is one record of the log, so ids still count posts.

use super::client::{Crowd, message_number};
use crate::{
    changes::{ChangeClient, ChangeMix, OwnIds, Post, is_change},
    client::{Connector, FrameWriter, JoinSpec, is_error_frame},
    payload::Stamp,
    signin::Credential,
};
use anyhow::{Context, Result};
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering::Relaxed},
};
use std::time::Duration;
use tokio::{
    sync::{mpsc, oneshot, watch},
    task::JoinSet,
    time::MissedTickBehavior,
};

/// Characters of each posted message, as in the broadcast mode.
const MESSAGE_CHARS: usize = 140;
/// How long a change waits for a message of the poster's to change.
const TARGET_WAIT: Duration = Duration::from_secs(1);
/// How long a burst's messages may take to be confirmed.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);

/// A signed-in poster's edits and deletions.
pub struct PosterChanges {
    /// Its session, presented on its WebSocket.
    pub credential: Credential,
    /// Its HTTP connection for the changes.
    pub client: ChangeClient,
    /// Which of its posts are changes.
    pub mix: ChangeMix,
}

/// What the poster's posting task holds.
struct Posting {
    writer: FrameWriter,
    changes: Option<PosterChanges>,
    own: Arc<Mutex<OwnIds>>,
    seq: u64,
    made: Arc<AtomicU64>,
}

/// The one client that posts: a burst on request, or live at a fixed rate when switched on.
pub struct Poster {
    bursts: mpsc::Sender<(u64, oneshot::Sender<u64>)>,
    live: watch::Sender<bool>,
    confirmed: Arc<AtomicU64>,
    changes_made: Arc<AtomicU64>,
    tasks: JoinSet<()>,
}

impl Poster {
    /// Connects the poster to `crowd`'s room through `connector`; it posts at `rate` once
    /// switched live, and makes changes when given `changes`.
    pub async fn start(
        crowd: &Arc<Crowd>,
        connector: Connector,
        rate: f64,
        changes: Option<PosterChanges>,
    ) -> Result<Self> {
        let spec = JoinSpec {
            room: crowd.room.clone(),
            username: changes.is_none().then(|| "poster".into()),
            credential: changes.as_ref().map(|c| c.credential.clone()),
            ..JoinSpec::default()
        };
        let (writer, mut reader) = connector.connect(&spec).await?;
        reader.wait_ready(|_| {}).await?;
        let confirmed = Arc::new(AtomicU64::new(0));
        let own = Arc::new(Mutex::new(OwnIds::default()));
        let mut tasks = JoinSet::new();
        let (seen, read_crowd) = (Arc::clone(&confirmed), Arc::clone(crowd));
        let read_own = Arc::clone(&own);
        tasks.spawn(async move {
            loop {
                match reader.next().await {
                    Ok(Some(text)) => {
                        if let Some(id) = message_number(text) {
                            seen.fetch_max(id, Relaxed);
                            // Only the poster posts in its room: every message is its own.
                            if !is_change(text)
                                && let Ok(mut own) = read_own.lock()
                            {
                                own.push(id);
                            }
                        } else if is_error_frame(text) {
                            read_crowd.errors.record(format!("poster: {text}"));
                        }
                    }
                    Ok(None) => return read_crowd.errors.record("poster: connection closed"),
                    Err(err) => return read_crowd.errors.record(format!("poster: {err:#}")),
                }
            }
        });
        let (bursts, mut requests) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(4);
        let (live, mut is_live) = watch::channel(false);
        let post_crowd = Arc::clone(crowd);
        let changes_made = Arc::new(AtomicU64::new(0));
        let mut posting = Posting {
            writer,
            changes,
            own,
            seq: 0,
            made: Arc::clone(&changes_made),
        };
        tasks.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                let count = tokio::select! {
                    request = requests.recv() => match request {
                        Some((n, done)) => {
                            for _ in 0..n {
                                if post(&mut posting, &post_crowd).await.is_err() { return; }
                            }
                            let _ = done.send(posting.seq);
                            continue;
                        }
                        None => return,
                    },
                    changed = is_live.changed() => { if changed.is_err() { return; } continue; }
                    _ = tick.tick(), if *is_live.borrow() => 1,
                };
                for _ in 0..count {
                    if post(&mut posting, &post_crowd).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Self {
            bursts,
            live,
            confirmed,
            changes_made,
            tasks,
        })
    }

    /// Posts `n` messages now and waits until every message posted so far is confirmed.
    pub async fn burst(&self, n: u64) -> Result<()> {
        let (done, posted) = oneshot::channel();
        self.bursts
            .send((n, done))
            .await
            .context("the poster stopped")?;
        let posted = posted.await.context("the poster stopped")?;
        super::wait_for(CONFIRM_TIMEOUT, || self.confirmed.load(Relaxed) >= posted)
            .await
            .context("the poster's messages were not confirmed")
    }

    /// Switches live posting on or off.
    pub fn set_live(&self, on: bool) {
        self.live.send_replace(on);
    }

    /// The newest id confirmed to the poster.
    pub fn confirmed(&self) -> u64 {
        self.confirmed.load(Relaxed)
    }

    /// Edits and deletions made so far.
    pub fn changes_made(&self) -> u64 {
        self.changes_made.load(Relaxed)
    }

    /// Stops both tasks.
    pub fn stop(mut self) {
        self.tasks.abort_all();
    }
}

/// The message to change: the newest the poster holds (taken, for a deletion). A burst
/// writes faster than its confirmations return, so it waits up to [`TARGET_WAIT`] for one.
async fn target(own: &Mutex<OwnIds>, change: Post) -> Option<u64> {
    let deadline = tokio::time::Instant::now() + TARGET_WAIT;
    loop {
        let found = match (change, own.lock()) {
            (Post::Edit, Ok(own)) => own.newest(),
            (Post::Delete, Ok(mut own)) => own.take_newest(),
            _ => return None,
        };
        if found.is_some() || tokio::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Posts one stamped message, or the change its mix asks for when it has a message to change.
async fn post(posting: &mut Posting, crowd: &Crowd) -> Result<()> {
    let stamp = Stamp {
        sender: 0,
        seq: posting.seq,
        sent_ns: crowd.epoch.nanos(),
    };
    posting.seq += 1;
    let change = posting
        .changes
        .as_ref()
        .map_or(Post::Message, |c| c.mix.post(stamp.seq));
    let target = match change {
        Post::Message => None,
        Post::Edit | Post::Delete => target(&posting.own, change).await,
    };
    let outcome = match (posting.changes.as_mut(), change, target) {
        (Some(changes), Post::Edit, Some(target)) => {
            changes
                .client
                .edit(target, &stamp.text(MESSAGE_CHARS))
                .await
        }
        (Some(changes), Post::Delete, Some(target)) => changes.client.delete(target).await,
        _ => {
            return posting
                .writer
                .send(stamp.send_frame(&crowd.room, MESSAGE_CHARS))
                .await
                .inspect_err(|err| crowd.errors.record(format!("poster: {err:#}")));
        }
    };
    posting.made.fetch_add(1, Relaxed);
    outcome.inspect_err(|err| crowd.errors.record(format!("poster: {err:#}")))
}
