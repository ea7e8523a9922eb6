//! What ends a session from outside its two streams: the server shutting down, the outbox
//! overflowing, the credential running out. [`Signals`] watches all three as one branch of
//! the session's loop, at almost no cost on the wakes it is not the reason for, and
//! [`Doorbells`] is how the server reaches every session at shutdown.
//!
//! The loop's `select!` polls its branches each time the task wakes, and nearly every wake
//! is a frame to send, so what a branch costs when it is not the reason is paid per frame.
//! And a future awaited in the loop lives as long as the connection, so what it holds is paid
//! by every idle connection. Waiting on a tokio `Notify` for each signal (as this did) costs on
//! both counts: each waiter is a node of the `Notify`'s list inside the session's future
//! (72–80 B each), and polling a waiter still waiting takes its `Notify`'s lock, which for the
//! server-wide shutdown token was one lock for every wake of every session.
//!
//! So both signals ring one [`Doorbell`], which lives in the outbox's allocation: a flag word
//! and the task's waker. The first poll stores the waker ([`Doorbell::listen`]); from then on
//! a poll reads the flags, an atomic load. A ring sets its flag before it wakes the task, so
//! the wake it causes finds the flag set. That relies on the task's waker staying the same
//! from poll to poll, which it does for a spawned task: the session is one
//! (`routes::socket`), and nothing polls it through a waker of its own. The outbox rings on
//! overflow; the server rings every listed session's bell as it shuts down.
//!
//! The credential's timer (guests and passwords have none) is polled every time: a timer's
//! poll only re-arms its waker, lock-free.

use super::{Ending, access::Expiry};
use crate::delivery::{
    outbox::{Doorbell, Ring},
    rooms::SessionId,
};
use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::{Mutex, MutexGuard, PoisonError},
    task::{Context, Poll},
};

/// The doorbells of every session open on this node, rung all at once at shutdown.
#[derive(Default)]
pub struct Doorbells(Mutex<Listed>);

#[derive(Default)]
struct Listed {
    bells: HashMap<SessionId, Doorbell>,
    /// Set by [`Doorbells::shut_down`]: a bell listed after it is rung at once.
    shut_down: bool,
}

impl Doorbells {
    fn lock(&self) -> MutexGuard<'_, Listed> {
        // Bells and a flag, each update one step: a panic elsewhere leaves them whole.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lists session `id`'s bell until [`Self::remove`]; rings it at once if the server is
    /// shutting down already.
    pub(super) fn add(&self, id: SessionId, bell: Doorbell) {
        let mut listed = self.lock();
        if listed.shut_down {
            bell.ring(Ring::Shutdown);
        }
        listed.bells.insert(id, bell);
    }

    /// Takes session `id`'s bell off the list.
    pub(super) fn remove(&self, id: SessionId) {
        self.lock().bells.remove(&id);
    }

    /// Rings every listed bell, and every one listed from now on, for shutdown.
    pub fn shut_down(&self) {
        let mut listed = self.lock();
        listed.shut_down = true;
        for bell in listed.bells.values() {
            bell.ring(Ring::Shutdown);
        }
    }

    /// Sessions listed now.
    pub fn len(&self) -> usize {
        self.lock().bells.len()
    }

    /// Whether no session is listed.
    pub fn is_empty(&self) -> bool {
        self.lock().bells.is_empty()
    }
}

/// Resolves with the [`Ending`] that came first: shutdown, overflow or expiry.
pub(super) struct Signals<'a> {
    bell: &'a Doorbell,
    expiry: Expiry,
    /// Whether the bell holds the task's waker, so only its flags need reading.
    listening: bool,
}

/// Watches `bell` and `expiry` (see the module docs).
pub(super) fn signals(bell: &Doorbell, expiry: Expiry) -> Signals<'_> {
    Signals {
        bell,
        expiry,
        listening: false,
    }
}

/// The ending a ring stands for.
pub(super) fn ending(ring: Ring) -> Ending {
    match ring {
        Ring::Shutdown => Ending::Shutdown,
        Ring::Overflow => Ending::SlowConsumer,
    }
}

impl Future for Signals<'_> {
    type Output = Ending;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Ending> {
        let this = &mut *self;
        if !this.listening {
            // Before the look below: a ring in between still wakes the task.
            this.bell.listen(cx.waker());
            this.listening = true;
        }
        if let Some(ring) = this.bell.rung() {
            return Poll::Ready(ending(ring));
        }
        Pin::new(&mut this.expiry)
            .poll(cx)
            .map(|()| Ending::CredentialExpired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::{
        frame::{EventFrame, Frame},
        outbox::Outbox,
    };
    use chinwag_shared::RoomName;
    use futures_util::task::{ArcWake, waker};
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    /// A waker that counts its wakes.
    #[derive(Default)]
    struct Wakes(AtomicUsize);

    impl Wakes {
        /// Wakes so far.
        fn count(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    impl ArcWake for Wakes {
        fn wake_by_ref(arc_self: &Arc<Self>) {
            arc_self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn frame() -> Arc<Frame> {
        Arc::new(Frame::Event(EventFrame {
            room: RoomName::default_room(),
            text: "x".into(),
            removes: None,
        }))
    }

    /// Polls `signals` once with `wakes`'s waker.
    fn poll(signals: Pin<&mut Signals<'_>>, wakes: &Arc<Wakes>) -> Poll<Ending> {
        let waker = waker(Arc::clone(wakes));
        signals.poll(&mut Context::from_waker(&waker))
    }

    #[tokio::test]
    async fn a_shutdown_after_the_first_poll_wakes_the_task_and_ends_it() {
        let (doorbells, outbox) = (Doorbells::default(), Outbox::new(4, 1_000));
        let bell = outbox.doorbell();
        doorbells.add(7, bell.clone());
        let signals = signals(&bell, Expiry::at(None));
        tokio::pin!(signals);
        let wakes = Arc::new(Wakes::default());
        assert!(poll(signals.as_mut(), &wakes).is_pending());
        // Polled again with nothing given: still pending, no wake.
        assert!(poll(signals.as_mut(), &wakes).is_pending());
        assert_eq!(wakes.count(), 0);
        doorbells.shut_down();
        assert_eq!(wakes.count(), 1, "the bell kept the waker");
        assert!(matches!(
            poll(signals.as_mut(), &wakes),
            Poll::Ready(Ending::Shutdown)
        ));
    }

    #[tokio::test]
    async fn an_overflow_after_the_first_poll_wakes_the_task_and_ends_it() {
        let outbox = Outbox::new(1, 1_000);
        let bell = outbox.doorbell();
        let signals = signals(&bell, Expiry::at(None));
        tokio::pin!(signals);
        let wakes = Arc::new(Wakes::default());
        assert!(poll(signals.as_mut(), &wakes).is_pending());
        let sender = outbox.sender();
        sender.offer(&frame());
        assert_eq!(wakes.count(), 0, "one frame fits");
        sender.offer(&frame());
        assert_eq!(wakes.count(), 1, "the bell kept the waker");
        assert!(matches!(
            poll(signals.as_mut(), &wakes),
            Poll::Ready(Ending::SlowConsumer)
        ));
    }

    #[tokio::test]
    async fn a_signal_given_before_the_first_poll_ends_it_at_once() {
        let outbox = Outbox::new(1, 1_000);
        let bell = outbox.doorbell();
        let sender = outbox.sender();
        sender.offer(&frame());
        sender.offer(&frame());
        let signals = signals(&bell, Expiry::at(None));
        tokio::pin!(signals);
        let wakes = Arc::new(Wakes::default());
        assert!(matches!(
            poll(signals.as_mut(), &wakes),
            Poll::Ready(Ending::SlowConsumer)
        ));
        bell.ring(Ring::Shutdown);
        let signals = super::signals(&bell, Expiry::at(None));
        tokio::pin!(signals);
        assert!(matches!(
            poll(signals.as_mut(), &wakes),
            Poll::Ready(Ending::Shutdown)
        ));
    }

    #[tokio::test]
    async fn a_session_listed_after_the_shutdown_is_rung_at_once_and_removed_ones_are_not() {
        let doorbells = Doorbells::default();
        let (gone, late) = (Outbox::new(1, 1_000), Outbox::new(1, 1_000));
        doorbells.add(1, gone.doorbell());
        doorbells.remove(1);
        assert!(doorbells.is_empty());
        doorbells.shut_down();
        assert_eq!(gone.doorbell().rung(), None, "no longer listed");
        doorbells.add(2, late.doorbell());
        assert_eq!(late.doorbell().rung(), Some(Ring::Shutdown));
        assert_eq!(doorbells.len(), 1);
    }

    #[tokio::test]
    async fn an_expired_credential_ends_it() {
        let outbox = Outbox::new(1, 1_000);
        let bell = outbox.doorbell();
        let at = std::time::SystemTime::now() - std::time::Duration::from_secs(1);
        let ending = signals(&bell, Expiry::at(Some(at))).await;
        assert!(matches!(ending, Ending::CredentialExpired));
    }
}
