//! A session's outbound queue: bounded, filled by fan-out, drained by the session.
//!
//! Fan-out never waits on a client. [`OutboxSender::offer`] is a `try_send`; when the queue is
//! full the session is flagged as a slow consumer and closes itself (1013), and the client
//! resumes from the store with `after=` when it reconnects. Nothing is dropped silently and
//! server memory per client stays bounded by the queue's capacity.

use crate::fanout::Frame;
use std::sync::Arc;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;

/// The fan-out side of an outbox; one clone per room the session is in.
#[derive(Clone)]
pub struct OutboxSender {
    frames: mpsc::Sender<Arc<Frame>>,
    overflowed: CancellationToken,
}

impl OutboxSender {
    /// Queues `frame` if there is room; otherwise marks the session as too slow.
    pub fn offer(&self, frame: &Arc<Frame>) {
        match self.frames.try_send(Arc::clone(frame)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => self.overflowed.cancel(),
            // The session is already gone; its memberships are being removed.
            Err(TrySendError::Closed(_)) => {}
        }
    }
}

/// The session side of an outbox.
pub struct Outbox {
    frames: mpsc::Receiver<Arc<Frame>>,
    sender: OutboxSender,
}

impl Outbox {
    /// An outbox that holds at most `capacity` frames.
    pub fn new(capacity: usize) -> Self {
        let (tx, frames) = mpsc::channel(capacity.max(1));
        Self {
            frames,
            sender: OutboxSender {
                frames: tx,
                overflowed: CancellationToken::new(),
            },
        }
    }

    /// A sender to register with a room.
    pub fn sender(&self) -> OutboxSender {
        self.sender.clone()
    }

    /// The next queued frame. Never `None`: the outbox holds a sender of its own.
    pub async fn next(&mut self) -> Option<Arc<Frame>> {
        self.frames.recv().await
    }

    /// A token cancelled once a frame could not be queued because the outbox was full.
    pub fn overflow_signal(&self) -> CancellationToken {
        self.sender.overflowed.clone()
    }

    /// Frames waiting right now.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether no frame is waiting.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}
