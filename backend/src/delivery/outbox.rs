//! A session's outbound queue: bounded in frames and in bytes, filled by fan-out, drained by
//! the session.
//!
//! Fan-out never waits on a client. [`OutboxSender::offer`] is a `try_send`; when either bound
//! would be exceeded the session is flagged as a slow consumer and closes itself (1013), and
//! the client resumes from the store with `after=` when it reconnects. Nothing is dropped
//! silently, and the memory one client can pin is at most the byte bound (the frames
//! themselves are shared with every other receiver, so usually far less).

use super::frame::Frame;
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;

/// The fan-out side of an outbox; one clone per room the session is in.
#[derive(Clone)]
pub struct OutboxSender {
    frames: mpsc::Sender<Arc<Frame>>,
    queued_bytes: Arc<AtomicUsize>,
    max_bytes: usize,
    overflowed: CancellationToken,
}

impl OutboxSender {
    /// Queues `frame` if both bounds allow; otherwise marks the session as too slow.
    pub fn offer(&self, frame: &Arc<Frame>) {
        let len = frame.text().len();
        let before = self.queued_bytes.fetch_add(len, Ordering::Relaxed);
        if before + len > self.max_bytes {
            self.queued_bytes.fetch_sub(len, Ordering::Relaxed);
            self.overflowed.cancel();
            return;
        }
        match self.frames.try_send(Arc::clone(frame)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.queued_bytes.fetch_sub(len, Ordering::Relaxed);
                self.overflowed.cancel();
            }
            // The session is already gone; its memberships are being removed.
            Err(TrySendError::Closed(_)) => {
                self.queued_bytes.fetch_sub(len, Ordering::Relaxed);
            }
        }
    }
}

/// The session side of an outbox.
pub struct Outbox {
    frames: mpsc::Receiver<Arc<Frame>>,
    sender: OutboxSender,
}

impl Outbox {
    /// An outbox that holds at most `max_frames` frames and `max_bytes` bytes of text.
    pub fn new(max_frames: usize, max_bytes: usize) -> Self {
        let (tx, frames) = mpsc::channel(max_frames.max(1));
        Self {
            frames,
            sender: OutboxSender {
                frames: tx,
                queued_bytes: Arc::default(),
                max_bytes: max_bytes.max(1),
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
        let frame = self.frames.recv().await?;
        self.sender
            .queued_bytes
            .fetch_sub(frame.text().len(), Ordering::Relaxed);
        Some(frame)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::frame::EventFrame;
    use chinwag_shared::RoomName;

    fn frame(len: usize) -> Arc<Frame> {
        Arc::new(Frame::Event(EventFrame {
            room: RoomName::default_room(),
            text: "x".repeat(len).into(),
            removes: None,
        }))
    }

    #[tokio::test]
    async fn the_frame_bound_flags_overflow_instead_of_waiting() {
        let mut outbox = Outbox::new(2, 1_000);
        let sender = outbox.sender();
        sender.offer(&frame(1));
        sender.offer(&frame(1));
        assert!(!outbox.overflow_signal().is_cancelled());
        sender.offer(&frame(1));
        assert!(outbox.overflow_signal().is_cancelled());
        assert_eq!(outbox.len(), 2, "the third frame was refused, not queued");
        assert!(outbox.next().await.is_some());
    }

    #[tokio::test]
    async fn the_byte_bound_counts_what_is_queued_and_frees_what_is_taken() {
        let mut outbox = Outbox::new(100, 10);
        let sender = outbox.sender();
        sender.offer(&frame(6));
        outbox.next().await;
        sender.offer(&frame(6)); // fits again once the first was taken
        assert!(!outbox.overflow_signal().is_cancelled());
        sender.offer(&frame(6)); // 12 > 10
        assert!(outbox.overflow_signal().is_cancelled());
        assert_eq!(outbox.len(), 1);
    }
}
