//! What reaches a session from outside its two streams: the server shutting down, the
//! outbox overflowing, the credential running out, and the heartbeat. [`Signals`] hears all
//! four as one branch of the session's loop, at almost no cost on the wakes it is not the
//! reason for, and [`Doorbells`] is how the server reaches every session: at shutdown, and
//! with each heartbeat.
//!
//! The loop's `select!` polls its branches each time the task wakes, and nearly every wake
//! is a frame to send, so what a branch costs when it is not the reason is paid per frame.
//! And a future awaited in the loop lives as long as the connection, so what it holds is paid
//! by every idle connection. A tokio `Notify` waiter per signal and a timer per session (as
//! this had) cost on both counts: each waiter is a node of its `Notify`'s list inside the
//! session's future (72–80 B each) and the heartbeat's `Sleep` is 96 B more, and polling a
//! waiter still waiting takes its `Notify`'s lock, which for the server-wide shutdown token
//! was one lock for every wake of every session.
//!
//! So every one of them rings the session's [`Doorbell`], which lives in the outbox's
//! allocation: a flag word and the task's waker. The outbox rings it on overflow; the server
//! rings every listed session's at shutdown, and a slice of them at each tick of its
//! heartbeat ([`Doorbells::beat`]). The branch stores the waker when it starts listening
//! ([`Doorbell::listen`]); from then on a poll reads the flags, an atomic load. A ring sets
//! its flag before it wakes the task, so the wake it causes finds the flag set, and a ring
//! takes the waker it wakes, so the branch listens again after each heartbeat. That relies on
//! the task's waker staying the same from poll to poll, which it does for a spawned task: the
//! session is one (`routes::socket`), and nothing polls it through a waker of its own.
//!
//! The credential's timer (guests and passwords have none) is polled every time: a timer's
//! poll only re-arms its waker, lock-free.

use super::{Ending, access::Expiry};
use crate::delivery::{
    outbox::{Doorbell, Ring, Stop},
    rooms::SessionId,
};
use futures_util::Stream;
use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::{
        Mutex, MutexGuard, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

/// The slices a heartbeat interval is cut into: each tick rings one slice's sessions, so the
/// pings of many connections spread over the interval instead of leaving at once.
const SLICES: usize = 16;

/// The doorbells of every session open on this node, in [`SLICES`] slices by session id.
pub struct Doorbells {
    slices: [Mutex<HashMap<SessionId, Doorbell>>; SLICES],
    /// Set by [`Doorbells::shut_down`]: a bell listed after it is rung at once.
    shut_down: AtomicBool,
}

impl Default for Doorbells {
    fn default() -> Self {
        Self {
            slices: std::array::from_fn(|_| Mutex::default()),
            shut_down: AtomicBool::new(false),
        }
    }
}

impl Doorbells {
    fn slice(&self, index: usize) -> MutexGuard<'_, HashMap<SessionId, Doorbell>> {
        // A map whose every update is one step: a panic elsewhere leaves it whole.
        self.slices[index % SLICES]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn slice_of(id: SessionId) -> usize {
        // Session ids count up, so consecutive sessions land in consecutive slices.
        (id % SLICES as u64) as usize
    }

    /// Lists session `id`'s bell until [`Self::remove`]; rings it at once if the server is
    /// shutting down already.
    pub(super) fn add(&self, id: SessionId, bell: Doorbell) {
        self.slice(Self::slice_of(id)).insert(id, bell.clone());
        // After the insert: a shutdown that walked this slice before it set the flag first,
        // so one of the two rings the bell.
        if self.shut_down.load(Ordering::SeqCst) {
            bell.ring(Ring::Shutdown);
        }
    }

    /// Takes session `id`'s bell off the list.
    pub(super) fn remove(&self, id: SessionId) {
        self.slice(Self::slice_of(id)).remove(&id);
    }

    /// Rings every listed bell, and every one listed from now on, for shutdown.
    pub fn shut_down(&self) {
        self.shut_down.store(true, Ordering::SeqCst);
        for index in 0..SLICES {
            self.ring_slice(index, Ring::Shutdown);
        }
    }

    fn ring_slice(&self, index: usize, why: Ring) {
        for bell in self.slice(index).values() {
            bell.ring(why);
        }
    }

    /// Rings every listed session's heartbeat once per `interval`, one slice per tick, until
    /// the server shuts down. A session listed mid-interval has its first beat within one
    /// interval.
    pub async fn beat(&self, interval: Duration) {
        let tick = (interval / SLICES as u32).max(Duration::from_millis(1));
        let mut ticks = tokio::time::interval(tick);
        // A late tick rings its slice late rather than ringing the slices it missed at once.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for index in (0..SLICES).cycle() {
            ticks.tick().await;
            if self.shut_down.load(Ordering::SeqCst) {
                return;
            }
            self.ring_slice(index, Ring::Heartbeat);
        }
    }

    /// Sessions listed now.
    #[cfg(test)]
    fn len(&self) -> usize {
        (0..SLICES).map(|index| self.slice(index).len()).sum()
    }

    /// Whether no session is listed.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the session hears from outside.
#[derive(Debug)]
pub(super) enum Heard {
    /// It must end.
    End(Ending),
    /// Time for its heartbeat.
    Heartbeat,
}

/// Yields what the session hears from outside: its endings (shutdown, overflow, expiry) and
/// its heartbeats. Polled again after a heartbeat, it listens for what comes next.
pub(super) struct Signals<'a> {
    bell: &'a Doorbell,
    expiry: Expiry,
    /// Whether the bell holds the task's waker, so only its flags need reading.
    listening: bool,
}

/// Hears `bell` and `expiry` (see the module docs).
pub(super) fn signals(bell: &Doorbell, expiry: Expiry) -> Signals<'_> {
    Signals {
        bell,
        expiry,
        listening: false,
    }
}

/// The ending a stop stands for.
pub(super) fn ending(stop: Stop) -> Ending {
    match stop {
        Stop::Shutdown => Ending::Shutdown,
        Stop::Overflow => Ending::SlowConsumer,
    }
}

impl Stream for Signals<'_> {
    type Item = Heard;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Heard>> {
        let this = &mut *self;
        if !this.listening {
            // Before the look below: a ring in between still wakes the task.
            this.bell.listen(cx.waker());
            this.listening = true;
        }
        if let Some(stop) = this.bell.stop() {
            return Poll::Ready(Some(Heard::End(ending(stop))));
        }
        if this.bell.heartbeat_due() {
            this.bell.answer_heartbeat();
            // The ring took the waker it woke: listen again at the next poll.
            this.listening = false;
            return Poll::Ready(Some(Heard::Heartbeat));
        }
        Pin::new(&mut this.expiry)
            .poll(cx)
            .map(|()| Some(Heard::End(Ending::CredentialExpired)))
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
    use futures_util::{
        StreamExt,
        task::{ArcWake, waker},
    };
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

    /// Polls `signals` once with `wakes`'s waker: what it heard, if anything.
    fn poll(signals: &mut Signals<'_>, wakes: &Arc<Wakes>) -> Option<Heard> {
        let waker = waker(Arc::clone(wakes));
        match Pin::new(signals).poll_next(&mut Context::from_waker(&waker)) {
            Poll::Ready(heard) => Some(heard.expect("signals never end")),
            Poll::Pending => None,
        }
    }

    /// Polls `signals` once and says which ending it heard, if it heard one.
    fn ended(signals: &mut Signals<'_>, wakes: &Arc<Wakes>) -> Option<Ending> {
        match poll(signals, wakes) {
            Some(Heard::End(ending)) => Some(ending),
            other => panic!("expected an ending, heard {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_shutdown_after_the_first_poll_wakes_the_task_and_ends_it() {
        let (doorbells, outbox) = (Doorbells::default(), Outbox::new(4, 1_000));
        let bell = outbox.doorbell();
        doorbells.add(7, bell.clone());
        let mut signals = signals(&bell, Expiry::at(None));
        let wakes = Arc::new(Wakes::default());
        assert!(poll(&mut signals, &wakes).is_none());
        // Polled again with nothing given: still pending, no wake.
        assert!(poll(&mut signals, &wakes).is_none());
        assert_eq!(wakes.count(), 0);
        doorbells.shut_down();
        assert_eq!(wakes.count(), 1, "the bell kept the waker");
        assert!(matches!(
            ended(&mut signals, &wakes),
            Some(Ending::Shutdown)
        ));
    }

    #[tokio::test]
    async fn an_overflow_after_the_first_poll_wakes_the_task_and_ends_it() {
        let outbox = Outbox::new(1, 1_000);
        let bell = outbox.doorbell();
        let mut signals = signals(&bell, Expiry::at(None));
        let wakes = Arc::new(Wakes::default());
        assert!(poll(&mut signals, &wakes).is_none());
        let sender = outbox.sender();
        sender.offer(&frame());
        assert_eq!(wakes.count(), 0, "one frame fits");
        sender.offer(&frame());
        assert_eq!(wakes.count(), 1, "the bell kept the waker");
        assert!(matches!(
            ended(&mut signals, &wakes),
            Some(Ending::SlowConsumer)
        ));
    }

    #[tokio::test]
    async fn a_signal_given_before_the_first_poll_ends_it_at_once() {
        let outbox = Outbox::new(1, 1_000);
        let bell = outbox.doorbell();
        let sender = outbox.sender();
        sender.offer(&frame());
        sender.offer(&frame());
        let wakes = Arc::new(Wakes::default());
        let mut first = signals(&bell, Expiry::at(None));
        assert!(matches!(
            ended(&mut first, &wakes),
            Some(Ending::SlowConsumer)
        ));
        bell.ring(Ring::Shutdown);
        let mut second = signals(&bell, Expiry::at(None));
        assert!(matches!(ended(&mut second, &wakes), Some(Ending::Shutdown)));
    }

    #[tokio::test]
    async fn each_heartbeat_is_heard_once_and_the_next_one_wakes_the_task_again() {
        let (doorbells, outbox) = (Doorbells::default(), Outbox::new(4, 1_000));
        let bell = outbox.doorbell();
        doorbells.add(3, bell.clone());
        let mut signals = signals(&bell, Expiry::at(None));
        let wakes = Arc::new(Wakes::default());
        assert!(poll(&mut signals, &wakes).is_none());
        for beat in 1..=3 {
            doorbells.ring_slice(Doorbells::slice_of(3), Ring::Heartbeat);
            assert_eq!(wakes.count(), beat, "beat {beat} woke the task");
            assert!(matches!(poll(&mut signals, &wakes), Some(Heard::Heartbeat)));
            assert!(poll(&mut signals, &wakes).is_none(), "heard once");
        }
        // A shutdown still ends it after heartbeats took the waker.
        doorbells.shut_down();
        assert_eq!(wakes.count(), 4);
        assert!(matches!(
            ended(&mut signals, &wakes),
            Some(Ending::Shutdown)
        ));
    }

    #[tokio::test]
    async fn a_shutdown_outranks_a_heartbeat_due() {
        let outbox = Outbox::new(4, 1_000);
        let bell = outbox.doorbell();
        bell.ring(Ring::Heartbeat);
        bell.ring(Ring::Shutdown);
        let wakes = Arc::new(Wakes::default());
        assert!(matches!(
            ended(&mut signals(&bell, Expiry::at(None)), &wakes),
            Some(Ending::Shutdown)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn the_beat_rings_every_listed_session_once_per_interval_a_slice_at_a_time() {
        let doorbells = Arc::new(Doorbells::default());
        let outboxes: Vec<Outbox> = (0..SLICES * 2).map(|_| Outbox::new(4, 1_000)).collect();
        for (id, outbox) in outboxes.iter().enumerate() {
            doorbells.add(id as SessionId, outbox.doorbell());
        }
        let interval = Duration::from_secs(16);
        let beating = tokio::spawn({
            let doorbells = Arc::clone(&doorbells);
            async move { doorbells.beat(interval).await }
        });
        let due = || {
            outboxes
                .iter()
                .filter(|outbox| outbox.doorbell().heartbeat_due())
                .count()
        };
        // The first tick is at once: slice 0, two sessions.
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(due(), 2);
        // Half an interval on, half the slices have rung.
        tokio::time::sleep(interval / 2).await;
        assert_eq!(due(), SLICES + 2);
        tokio::time::sleep(interval / 2).await;
        assert_eq!(due(), SLICES * 2, "every session within one interval");
        doorbells.shut_down();
        tokio::time::timeout(interval, beating)
            .await
            .expect("the beat stops after a shutdown")
            .expect("the beat did not panic");
    }

    #[tokio::test]
    async fn a_session_listed_after_the_shutdown_is_rung_at_once_and_removed_ones_are_not() {
        let doorbells = Doorbells::default();
        let (gone, late) = (Outbox::new(1, 1_000), Outbox::new(1, 1_000));
        doorbells.add(1, gone.doorbell());
        doorbells.remove(1);
        assert!(doorbells.is_empty());
        doorbells.shut_down();
        assert_eq!(gone.doorbell().stop(), None, "no longer listed");
        doorbells.add(2, late.doorbell());
        assert_eq!(late.doorbell().stop(), Some(Stop::Shutdown));
        assert_eq!(doorbells.len(), 1);
    }

    #[tokio::test]
    async fn an_expired_credential_ends_it() {
        let outbox = Outbox::new(1, 1_000);
        let bell = outbox.doorbell();
        let at = std::time::SystemTime::now() - std::time::Duration::from_secs(1);
        let heard = signals(&bell, Expiry::at(Some(at))).next().await;
        assert!(matches!(heard, Some(Heard::End(Ending::CredentialExpired))));
    }
}
