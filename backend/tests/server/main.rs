//! Integration tests: the real server binary, real sockets, a real SQLite file.
//!
//! One test binary with a module per area keeps link time down. Every test starts its own
//! server on a free loopback port (see [`support`]) and never sleeps to synchronise: it waits
//! for the frame that proves the state it needs, with a timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod epoch;
mod forwarded;
mod frame_header;
mod handshake;
mod history;
mod hostile;
mod hostile_identity;
mod http_bounds;
mod idempotency;
mod identity;
mod jwt;
mod live_from_open;
mod log_flood;
mod look_alikes;
mod memory_bounds;
mod metrics;
mod origins;
mod polling;
mod presence;
mod private_rooms;
mod raw;
mod relay;
mod restart;
mod resume;
mod rooms;
mod security;
mod soak;
mod support;
