//! `chinwag-testkit`: what every suite and tool that drives a real `chinwag` shares.
//!
//! - [`launch`]: start the built binary (or any server that announces itself on stdout),
//!   wait for its "listening on" line ([`chinwag_backend::server::LISTENING_ON`]), signal
//!   it, stop it; a [`launch::Running`] is killed when dropped.
//! - [`procfs`]: what Linux's `/proc` says about a process and the machine: resident memory,
//!   threads, descriptors, CPU time, listen-queue overflows, the open-files limit.
//! - [`socket`]: a WebSocket client of JSON text frames, every wait bounded.
//!
//! Used as a dev-dependency by the server and cluster suites and the browser tests, and as a
//! dependency by the load generator (`chinwag-bench`). Never published, never in the server.

pub mod launch;
pub mod procfs;
pub mod socket;
