//! Integration tests: the real server binary, real sockets, a real SQLite file.
//!
//! One test binary with a module per area keeps link time down. Every test starts its own
//! server on a free loopback port (see [`support`]) and never sleeps to synchronise: it waits
//! for the frame that proves the state it needs, with a timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts_cli;
mod api_key_scopes;
mod api_keys;
mod backup;
mod bad_input;
mod big_rooms;
mod cast;
mod client_files;
mod console;
mod epoch;
mod forwarded;
mod frame_header;
mod handshake;
mod history;
mod hostile;
mod hostile_api_keys;
mod hostile_console;
mod hostile_identity;
mod hostile_lifecycle;
mod hostile_moderation;
mod hostile_sanctions;
mod http_bounds;
mod idempotency;
mod identity;
mod jwt;
mod lifecycle;
mod live_from_open;
mod log_flood;
mod log_format;
mod look_alikes;
mod memory_bounds;
mod metrics;
mod moderation;
mod openapi;
mod origins;
mod polling;
mod presence;
mod private_rooms;
mod raw;
mod read_state;
mod relay;
mod restart;
mod resume;
mod rooms;
mod security;
mod site_wide;
mod soak;
mod support;
