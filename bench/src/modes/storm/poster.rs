//! The storm's one poster: a burst of messages on request, or a steady live rate.
//!
//! It is a named member of the room, so each message it posts comes back as its confirmation
//! with the stored id; [`Poster::confirmed`] is the newest such id, which is how the
//! controller knows the id every client must reach.

use super::client::Crowd;
use crate::{
    client::{Connector, FrameWriter, JoinSpec, chat_id, is_error_frame},
    payload::Stamp,
};
use anyhow::{Context, Result};
use std::sync::{
    Arc,
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
/// How long a burst's messages may take to be confirmed.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);

/// The one client that posts: a burst on request, or live at a fixed rate when switched on.
pub struct Poster {
    bursts: mpsc::Sender<(u64, oneshot::Sender<u64>)>,
    live: watch::Sender<bool>,
    confirmed: Arc<AtomicU64>,
    tasks: JoinSet<()>,
}

impl Poster {
    /// Connects the poster to `crowd`'s room through `connector`; it posts at `rate` once
    /// switched live.
    pub async fn start(crowd: &Arc<Crowd>, connector: Connector, rate: f64) -> Result<Self> {
        let spec = JoinSpec {
            room: crowd.room.clone(),
            username: Some("poster".into()),
            ..JoinSpec::default()
        };
        let (mut writer, mut reader) = connector.connect(&spec).await?;
        reader.wait_ready(|_| {}).await?;
        let confirmed = Arc::new(AtomicU64::new(0));
        let mut tasks = JoinSet::new();
        let (seen, read_crowd) = (Arc::clone(&confirmed), Arc::clone(crowd));
        tasks.spawn(async move {
            loop {
                match reader.next().await {
                    Ok(Some(text)) => {
                        if let Some(id) = chat_id(text) {
                            seen.fetch_max(id, Relaxed);
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
        tasks.spawn(async move {
            let mut seq = 0u64;
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                let count = tokio::select! {
                    request = requests.recv() => match request {
                        Some((n, done)) => {
                            for _ in 0..n {
                                if post(&mut writer, &post_crowd, &mut seq).await.is_err() { return; }
                            }
                            let _ = done.send(seq);
                            continue;
                        }
                        None => return,
                    },
                    changed = is_live.changed() => { if changed.is_err() { return; } continue; }
                    _ = tick.tick(), if *is_live.borrow() => 1,
                };
                for _ in 0..count {
                    if post(&mut writer, &post_crowd, &mut seq).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Self {
            bursts,
            live,
            confirmed,
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

    /// Stops both tasks.
    pub fn stop(mut self) {
        self.tasks.abort_all();
    }
}

/// Posts one stamped message.
async fn post(writer: &mut FrameWriter, crowd: &Crowd, seq: &mut u64) -> Result<()> {
    let stamp = Stamp {
        sender: 0,
        seq: *seq,
        sent_ns: crowd.epoch.nanos(),
    };
    *seq += 1;
    writer
        .send(stamp.send_frame(&crowd.room, MESSAGE_CHARS))
        .await
        .inspect_err(|err| {
            crowd.errors.record(format!("poster: {err:#}"));
        })
}
