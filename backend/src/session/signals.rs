//! What ends a session from outside its two streams: the server shutting down, the outbox
//! overflowing, the credential running out. [`Signals`] watches all three as one branch of
//! the session's loop, at almost no cost on the wakes it is not the reason for.
//!
//! The loop's `select!` polls its branches each time the task wakes, and nearly every wake
//! is a frame to send. Shutdown and overflow are each a waiter on a tokio `Notify`
//! (`CancellationToken::cancelled`, [`OverflowSignal::wait`]), and polling a waiter that is
//! still waiting takes its `Notify`'s lock, to compare the task's waker with the one it holds.
//! The shutdown token is one for the whole server, so every wake of every session took that
//! one lock, from every worker thread, once per frame delivered.
//!
//! So each waiter is polled until it is listening, which its first poll does (it stores the
//! task's waker in its `Notify`), and from then on its signal's flag is read instead, an atomic
//! load. The waiter keeps the waker until it is notified, and each flag is set before its
//! notification goes out, so the wake a signal causes finds the flag set. That relies on the
//! task's waker staying the same from poll to poll, which it does for a spawned task: the
//! session is one (`routes::socket`), and nothing polls it through a waker of its own.
//!
//! The credential's timer (guests and passwords have none) is polled every time, as before:
//! a timer's poll only re-arms its waker, lock-free.

use super::{Ending, access::Expiry};
use crate::delivery::outbox::OverflowSignal;
use pin_project_lite::pin_project;
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};
use tokio_util::sync::CancellationToken;

pin_project! {
    /// Resolves with the [`Ending`] that came first: shutdown, overflow or expiry.
    pub(super) struct Signals<'a, S, O> {
        shutdown: &'a CancellationToken,
        overflow: &'a OverflowSignal,
        #[pin]
        shutdown_waiter: S,
        #[pin]
        overflow_waiter: O,
        expiry: Expiry,
        // Whether both waiters hold the task's waker, so only the flags need reading.
        listening: bool,
    }
}

/// Watches `shutdown`, `overflow` and `expiry` (see the module docs).
pub(super) fn signals<'a>(
    shutdown: &'a CancellationToken,
    overflow: &'a OverflowSignal,
    expiry: Expiry,
) -> Signals<'a, impl Future<Output = ()> + 'a, impl Future<Output = ()> + 'a> {
    Signals {
        shutdown,
        overflow,
        shutdown_waiter: shutdown.cancelled(),
        overflow_waiter: overflow.wait(),
        expiry,
        listening: false,
    }
}

impl<S, O> Future for Signals<'_, S, O>
where
    S: Future<Output = ()>,
    O: Future<Output = ()>,
{
    type Output = Ending;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Ending> {
        let this = self.project();
        if *this.listening {
            if this.shutdown.is_cancelled() {
                return Poll::Ready(Ending::Shutdown);
            }
            if this.overflow.is_set() {
                return Poll::Ready(Ending::SlowConsumer);
            }
        } else {
            // The first poll: each waiter stores the task's waker, or finds its signal given.
            if this.shutdown_waiter.poll(cx).is_ready() {
                return Poll::Ready(Ending::Shutdown);
            }
            if this.overflow_waiter.poll(cx).is_ready() {
                return Poll::Ready(Ending::SlowConsumer);
            }
            *this.listening = true;
        }
        Pin::new(this.expiry)
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
    fn poll<S, O>(signals: Pin<&mut Signals<'_, S, O>>, wakes: &Arc<Wakes>) -> Poll<Ending>
    where
        S: Future<Output = ()>,
        O: Future<Output = ()>,
    {
        let waker = waker(Arc::clone(wakes));
        signals.poll(&mut Context::from_waker(&waker))
    }

    #[tokio::test]
    async fn a_shutdown_after_the_first_poll_wakes_the_task_and_ends_it() {
        let (token, outbox) = (CancellationToken::new(), Outbox::new(4, 1_000));
        let overflow = outbox.overflow_signal();
        let signals = signals(&token, &overflow, Expiry::at(None));
        tokio::pin!(signals);
        let wakes = Arc::new(Wakes::default());
        assert!(poll(signals.as_mut(), &wakes).is_pending());
        // Polled again with nothing given: still pending, no wake.
        assert!(poll(signals.as_mut(), &wakes).is_pending());
        assert_eq!(wakes.count(), 0);
        token.cancel();
        assert_eq!(wakes.count(), 1, "the waiter kept the waker");
        assert!(matches!(
            poll(signals.as_mut(), &wakes),
            Poll::Ready(Ending::Shutdown)
        ));
    }

    #[tokio::test]
    async fn an_overflow_after_the_first_poll_wakes_the_task_and_ends_it() {
        let (token, outbox) = (CancellationToken::new(), Outbox::new(1, 1_000));
        let overflow = outbox.overflow_signal();
        let signals = signals(&token, &overflow, Expiry::at(None));
        tokio::pin!(signals);
        let wakes = Arc::new(Wakes::default());
        assert!(poll(signals.as_mut(), &wakes).is_pending());
        let sender = outbox.sender();
        sender.offer(&frame());
        assert_eq!(wakes.count(), 0, "one frame fits");
        sender.offer(&frame());
        assert_eq!(wakes.count(), 1, "the waiter kept the waker");
        assert!(matches!(
            poll(signals.as_mut(), &wakes),
            Poll::Ready(Ending::SlowConsumer)
        ));
    }

    #[tokio::test]
    async fn a_signal_given_before_the_first_poll_ends_it_at_once() {
        let (token, outbox) = (CancellationToken::new(), Outbox::new(1, 1_000));
        let overflow = outbox.overflow_signal();
        let sender = outbox.sender();
        sender.offer(&frame());
        sender.offer(&frame());
        let signals = signals(&token, &overflow, Expiry::at(None));
        tokio::pin!(signals);
        let wakes = Arc::new(Wakes::default());
        assert!(matches!(
            poll(signals.as_mut(), &wakes),
            Poll::Ready(Ending::SlowConsumer)
        ));
        token.cancel();
        let signals = super::signals(&token, &overflow, Expiry::at(None));
        tokio::pin!(signals);
        assert!(matches!(
            poll(signals.as_mut(), &wakes),
            Poll::Ready(Ending::Shutdown)
        ));
    }

    #[tokio::test]
    async fn an_expired_credential_ends_it() {
        let (token, outbox) = (CancellationToken::new(), Outbox::new(1, 1_000));
        let overflow = outbox.overflow_signal();
        let at = std::time::SystemTime::now() - std::time::Duration::from_secs(1);
        let ending = signals(&token, &overflow, Expiry::at(Some(at))).await;
        assert!(matches!(ending, Ending::CredentialExpired));
    }
}
