//! A session's outbound queue: bounded in frames and in bytes, filled by fan-out, drained by
//! the session.
//!
//! Fan-out never waits on a client. [`OutboxSender::offer`] is a `try_send`; when either bound
//! would be exceeded the session is flagged as a slow consumer and closes itself (1013), and
//! the client resumes from the store with `after=` when it reconnects. Nothing is dropped
//! silently, and the memory one client can pin is at most the byte bound (the frames
//! themselves are shared with every other receiver, so usually far less).
//!
//! Beside the queue, in the same allocation, is the session's [`Doorbell`]: how anything
//! outside the session gets its attention (the outbox overflowing, the server shutting down,
//! the server's heartbeat). It holds the session task's waker once, not a waiter or a timer
//! per signal in the session's future, so it costs each open connection a few words of heap
//! and nothing per frame.

use super::frame::Frame;
use futures_util::task::AtomicWaker;
use std::{
    sync::{
        Arc,
        atomic::{AtomicU8, AtomicUsize, Ordering},
    },
    task::Waker,
};
use tokio::sync::mpsc::{self, error::TrySendError};

/// What both sides of an outbox share beside the channel, in one allocation: every open
/// connection has one, and every room it is in holds a sender pointing at it, so its size is
/// paid once per connection and its pointer once per membership.
struct Shared {
    /// Bytes of text queued now.
    queued_bytes: AtomicUsize,
    /// The byte bound.
    max_bytes: usize,
    /// The reasons the doorbell was rung for ([`Ring`] bits). Overflow and shutdown are never
    /// cleared (the session closes); a heartbeat is, once answered.
    rung: AtomicU8,
    /// The session's task, woken once `rung` is set.
    waker: AtomicWaker,
}

/// Why a session's doorbell rang.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Ring {
    /// A frame could not be queued: the client reads too slowly.
    Overflow = 1,
    /// The server is shutting down.
    Shutdown = 2,
    /// Time for the session's heartbeat (`session::Doorbells::beat`).
    Heartbeat = 4,
}

/// Why a session must stop, as its doorbell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The server is shutting down.
    Shutdown,
    /// Its outbox overflowed: the client reads too slowly.
    Overflow,
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
        self.ring(Ring::Overflow);
    }

    fn ring(&self, why: Ring) {
        // Set before waking: a task that wakes, or one that listens after this, sees it.
        let before = self.rung.fetch_or(why as u8, Ordering::AcqRel);
        if before & why as u8 == 0 {
            self.waker.wake();
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
                    rung: AtomicU8::new(0),
                    waker: AtomicWaker::new(),
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

    /// The session's doorbell, rung when a frame could not be queued (and by whoever else
    /// holds a clone of it).
    pub fn doorbell(&self) -> Doorbell {
        Doorbell(Arc::clone(&self.sender.shared))
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

/// How a session is reached from outside: rung by its outbox when a frame does not fit, and
/// by the server's [`crate::session::Doorbells`] when it shuts down and for each heartbeat. A
/// flag word and one waker in the outbox's own allocation, rather than a `Notify` waiter or a
/// timer per signal, which would live in every session's future.
///
/// One task listens: the session's. Its waker is stored by [`Self::listen`] and taken by a
/// ring that sets a new bit, which wakes it; every ring sets its bit before waking, so the
/// woken task finds it in [`Self::stop`] or [`Self::heartbeat_due`]. A task woken this way
/// listens again before it next waits.
#[derive(Clone)]
pub struct Doorbell(Arc<Shared>);

impl Doorbell {
    /// Rings for `why`: sets its bit, and wakes the listening task the first time.
    pub fn ring(&self, why: Ring) {
        self.0.ring(why);
    }

    /// Why the session must stop, if it was rung for that; a shutdown comes first.
    pub fn stop(&self) -> Option<Stop> {
        let rung = self.0.rung.load(Ordering::Acquire);
        if rung & Ring::Shutdown as u8 != 0 {
            Some(Stop::Shutdown)
        } else if rung & Ring::Overflow as u8 != 0 {
            Some(Stop::Overflow)
        } else {
            None
        }
    }

    /// Whether a heartbeat rang and is not answered yet.
    pub fn heartbeat_due(&self) -> bool {
        self.0.rung.load(Ordering::Acquire) & Ring::Heartbeat as u8 != 0
    }

    /// Marks the heartbeat answered, so the next one rings anew.
    pub fn answer_heartbeat(&self) {
        self.0
            .rung
            .fetch_and(!(Ring::Heartbeat as u8), Ordering::AcqRel);
    }

    /// Has `waker` woken by the next ring. Listen before looking at [`Self::stop`] or
    /// [`Self::heartbeat_due`]: a ring between the two still wakes it.
    pub fn listen(&self, waker: &Waker) {
        self.0.waker.register(waker);
    }

    /// Resolves once it rang for a reason to stop, shutdown or overflow (at once, if it
    /// had), with that reason; heartbeats are left for the session's loop.
    pub async fn stopped(&self) -> Stop {
        std::future::poll_fn(|cx| {
            self.listen(cx.waker());
            self.stop()
                .map_or(std::task::Poll::Pending, std::task::Poll::Ready)
        })
        .await
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
        assert_eq!(outbox.doorbell().stop(), None);
        sender.offer(&frame(1));
        assert_eq!(outbox.doorbell().stop(), Some(Stop::Overflow));
        assert_eq!(outbox.len(), 2, "the third frame was refused, not queued");
        assert!(outbox.next().await.is_some());
    }

    #[tokio::test]
    async fn an_overflow_wakes_a_waiter_and_a_later_wait_ends_at_once() {
        let outbox = Outbox::new(1, 1_000);
        let sender = outbox.sender();
        let bell = outbox.doorbell();
        let waiting = tokio::spawn({
            let bell = bell.clone();
            async move { bell.stopped().await }
        });
        // Let the waiter start waiting before the overflow, so it must be woken.
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        sender.offer(&frame(1));
        sender.offer(&frame(1)); // over the one-frame bound
        let heard = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("the waiter was woken")
            .expect("the waiter did not panic");
        assert_eq!(heard, Stop::Overflow);
        let again = tokio::time::timeout(std::time::Duration::from_secs(5), bell.stopped())
            .await
            .expect("a wait after the overflow ends at once");
        assert_eq!(again, Stop::Overflow);
    }

    #[test]
    fn a_shutdown_outranks_an_overflow_and_each_reason_wakes_once() {
        let outbox = Outbox::new(1, 1_000);
        let bell = outbox.doorbell();
        let wakes = Arc::new(Wakes::default());
        bell.listen(&futures_util::task::waker(Arc::clone(&wakes)));
        bell.ring(Ring::Overflow);
        assert_eq!(wakes.count(), 1);
        assert_eq!(bell.stop(), Some(Stop::Overflow));
        // The first ring took the waker; the listener, woken, listens again.
        bell.listen(&futures_util::task::waker(Arc::clone(&wakes)));
        bell.ring(Ring::Overflow);
        assert_eq!(wakes.count(), 1, "a reason already given rings no more");
        bell.ring(Ring::Shutdown);
        assert_eq!(wakes.count(), 2);
        assert_eq!(bell.stop(), Some(Stop::Shutdown));
    }

    /// A waker that counts its wakes.
    #[derive(Default)]
    struct Wakes(AtomicUsize);

    impl Wakes {
        fn count(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    impl futures_util::task::ArcWake for Wakes {
        fn wake_by_ref(arc_self: &Arc<Self>) {
            arc_self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn the_byte_bound_counts_what_is_queued_and_frees_what_is_taken() {
        let mut outbox = Outbox::new(100, 10);
        let sender = outbox.sender();
        sender.offer(&frame(6));
        outbox.next().await;
        sender.offer(&frame(6)); // fits again once the first was taken
        assert_eq!(outbox.doorbell().stop(), None);
        sender.offer(&frame(6)); // 12 > 10
        assert_eq!(outbox.doorbell().stop(), Some(Stop::Overflow));
        assert_eq!(outbox.len(), 1);
    }
}
