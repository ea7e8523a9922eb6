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
    atomic::{AtomicBool, AtomicUsize, Ordering},
};
use tokio::sync::{
    Notify,
    mpsc::{self, error::TrySendError},
};

/// What both sides of an outbox share beside the channel, in one allocation: every open
/// connection has one, and every room it is in holds a sender pointing at it, so its size is
/// paid once per connection and its pointer once per membership.
struct Shared {
    /// Bytes of text queued now.
    queued_bytes: AtomicUsize,
    /// The byte bound.
    max_bytes: usize,
    /// Set once a frame could not be queued; never cleared (the session closes).
    overflowed: AtomicBool,
    /// Wakes whoever waits in [`OverflowSignal::wait`] once `overflowed` is set.
    wake: Notify,
}

/// The fan-out side of an outbox; one clone per room the session is in.
#[derive(Clone)]
pub struct OutboxSender {
    frames: mpsc::Sender<Arc<Frame>>,
    shared: Arc<Shared>,
}

impl OutboxSender {
    /// Queues `frame` if both bounds allow; otherwise marks the session as too slow.
    pub fn offer(&self, frame: &Arc<Frame>) {
        let len = frame.text().len();
        let shared = &*self.shared;
        let before = shared.queued_bytes.fetch_add(len, Ordering::Relaxed);
        if before + len > shared.max_bytes {
            shared.queued_bytes.fetch_sub(len, Ordering::Relaxed);
            shared.overflow();
            return;
        }
        match self.frames.try_send(Arc::clone(frame)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                shared.queued_bytes.fetch_sub(len, Ordering::Relaxed);
                shared.overflow();
            }
            // The session is already gone; its memberships are being removed.
            Err(TrySendError::Closed(_)) => {
                shared.queued_bytes.fetch_sub(len, Ordering::Relaxed);
            }
        }
    }
}

impl Shared {
    fn overflow(&self) {
        // Set before waking: a waiter that wakes, or one that starts waiting after this, sees it.
        if !self.overflowed.swap(true, Ordering::AcqRel) {
            self.wake.notify_waiters();
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
                shared: Arc::new(Shared {
                    queued_bytes: AtomicUsize::new(0),
                    max_bytes: max_bytes.max(1),
                    overflowed: AtomicBool::new(false),
                    wake: Notify::new(),
                }),
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
            .shared
            .queued_bytes
            .fetch_sub(frame.text().len(), Ordering::Relaxed);
        Some(frame)
    }

    /// What tells that a frame could not be queued because the outbox was full.
    pub fn overflow_signal(&self) -> OverflowSignal {
        OverflowSignal(Arc::clone(&self.sender.shared))
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

/// Whether an outbox overflowed, and a way to wait until it does. A flag and a [`Notify`] in
/// the outbox's own allocation rather than a `CancellationToken`, which would be one more
/// allocation (and a tree node) per connection.
#[derive(Clone)]
pub struct OverflowSignal(Arc<Shared>);

impl OverflowSignal {
    /// Whether a frame was refused for lack of room.
    pub fn is_set(&self) -> bool {
        self.0.overflowed.load(Ordering::Acquire)
    }

    /// Resolves once a frame was refused (at once, if one was already).
    pub async fn wait(&self) {
        // Listen before looking: an overflow after the look still wakes this listener.
        let woken = self.0.wake.notified();
        if self.is_set() {
            return;
        }
        woken.await;
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
        assert!(!outbox.overflow_signal().is_set());
        sender.offer(&frame(1));
        assert!(outbox.overflow_signal().is_set());
        assert_eq!(outbox.len(), 2, "the third frame was refused, not queued");
        assert!(outbox.next().await.is_some());
    }

    #[tokio::test]
    async fn an_overflow_wakes_a_waiter_and_a_later_wait_ends_at_once() {
        let outbox = Outbox::new(1, 1_000);
        let sender = outbox.sender();
        let signal = outbox.overflow_signal();
        let waiting = tokio::spawn({
            let signal = signal.clone();
            async move { signal.wait().await }
        });
        // Let the waiter start waiting before the overflow, so it must be woken.
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        sender.offer(&frame(1));
        sender.offer(&frame(1)); // over the one-frame bound
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("the waiter was woken")
            .expect("the waiter did not panic");
        tokio::time::timeout(std::time::Duration::from_secs(5), signal.wait())
            .await
            .expect("a wait after the overflow ends at once");
    }

    #[tokio::test]
    async fn the_byte_bound_counts_what_is_queued_and_frees_what_is_taken() {
        let mut outbox = Outbox::new(100, 10);
        let sender = outbox.sender();
        sender.offer(&frame(6));
        outbox.next().await;
        sender.offer(&frame(6)); // fits again once the first was taken
        assert!(!outbox.overflow_signal().is_set());
        sender.offer(&frame(6)); // 12 > 10
        assert!(outbox.overflow_signal().is_set());
        assert_eq!(outbox.len(), 1);
    }
}
