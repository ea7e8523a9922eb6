//! Delivery: the bottom of the live path, what every engine shares to get a frame to a socket.
//!
//! - [`frame`]: a server message encoded once, shared as `Arc<Frame>`.
//! - [`rooms`]: this process's registry of which session is in which room, offering each
//!   frame to its members' outboxes; plus the names held in each room.
//! - [`latency`]: how long records take from the store to their members' outboxes.
//! - [`outbox`]: one session's bounded queue of frames, closed when it overflows.
//! - [`presence_diffs`]: a big room's arrivals and departures, gathered into one frame.
//! - [`recent`]: the newest frames of busy rooms, so resumes skip the store.
//! - [`waiters`]: long-poll waiters, woken per room.
//!
//! Nothing here imports the hub, sessions, fan-out or the store: they call down into it (the
//! hub registers sessions, the store's publish and the Redis subscriber deliver through the
//! registry, sessions drain their outboxes), so the imports run the way the data flows.

pub mod frame;
pub mod latency;
pub mod outbox;
pub mod presence_diffs;
pub mod recent;
pub mod rooms;
pub mod waiters;
