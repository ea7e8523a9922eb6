//! Delivery lanes: a frame crosses to the thread its receivers run on once, not once each.
//!
//! Sessions run on the HTTP server's worker threads, but frames are published elsewhere: the
//! SQLite writer thread after each commit, the Redis subscriber, any thread the hub runs on.
//! Offering a frame to an outbox wakes its session's task, and waking a task from another
//! thread takes the worker's lock and, when it sleeps, a system call; done per recipient,
//! that was a real share of a delivery's cost. So each worker thread that runs sessions
//! opens a *lane*: a bounded queue of frames and a task on that thread that offers them to
//! the members whose sessions live there (`Rooms::deliver_on_lane`). A publisher hands a
//! frame to each lane, one hand-off per worker per message, and the wake-ups of the
//! members' tasks happen on their own thread.
//!
//! A member records its lane when it joins, from the thread it joins on ([`Lanes::home`]).
//! A member that joined from a thread without a lane (a test, a request handled outside the
//! workers) is offered frames by the publisher itself, as before lanes existed. A lane whose
//! queue is full, or whose worker has stopped, is skipped for that frame and its members
//! are offered it by the publisher directly: nothing waits and nothing is lost. Frames of a
//! room may then reach a member out of order, which the session's cursor already handles
//! (it fills a gap from the recent tail or the store, and skips what it has sent).

use super::frame::Frame;
use std::{
    cell::Cell,
    sync::{Arc, PoisonError, RwLock},
};
use tokio::sync::mpsc::{self, error::TrySendError};

/// A lane's number within its registry.
pub type LaneId = usize;

/// Frames a lane holds before a publisher offers them itself instead.
pub const LANE_FRAMES: usize = 8_192;

/// Frames a lane's task offers per lock of the registry.
pub const LANE_BATCH: usize = 64;

thread_local! {
    /// The lane of this thread: the registry it belongs to (by address) and its number.
    static HOME: Cell<Option<(usize, LaneId)>> = const { Cell::new(None) };
}

/// The lanes of one registry.
#[derive(Default)]
pub struct Lanes {
    queues: RwLock<Vec<mpsc::Sender<Arc<Frame>>>>,
}

impl Lanes {
    /// This thread's lane in the registry at `registry`, if it opened one.
    pub fn home(registry: usize) -> Option<LaneId> {
        HOME.with(Cell::get)
            .filter(|(of, _)| *of == registry)
            .map(|(_, lane)| lane)
    }

    /// Opens a lane for this thread in the registry at `registry`; the caller runs the
    /// returned queue's task on this thread. `None` if this thread has one already.
    pub fn open(&self, registry: usize) -> Option<mpsc::Receiver<Arc<Frame>>> {
        if Self::home(registry).is_some() {
            return None;
        }
        let (queue, frames) = mpsc::channel(LANE_FRAMES);
        let mut queues = self.queues.write().unwrap_or_else(PoisonError::into_inner);
        let lane = queues.len();
        queues.push(queue);
        HOME.with(|home| home.set(Some((registry, lane))));
        Some(frames)
    }

    /// Whether any lane is open.
    pub fn any(&self) -> bool {
        !self
            .queues
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// Hands `frame` to every lane. Returns the lanes that could not take it (full or
    /// stopped), whose members the caller offers it to itself; almost always empty, and then
    /// it allocates nothing.
    pub fn hand(&self, frame: &Arc<Frame>) -> Vec<LaneId> {
        let queues = self.queues.read().unwrap_or_else(PoisonError::into_inner);
        let mut refused = Vec::new();
        for (lane, queue) in queues.iter().enumerate() {
            match queue.try_send(Arc::clone(frame)) {
                Ok(()) => {}
                Err(TrySendError::Full(_) | TrySendError::Closed(_)) => refused.push(lane),
            }
        }
        refused
    }
}
