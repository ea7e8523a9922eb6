//! `chinwag-e2e`: Chinwag seen from a browser. Its tests in `tests/browser/` drive the real
//! `chinwag` server and the built browser client (`dist/`) through headless Chromium and
//! chromedriver; its `page-load` binary times how fast a room shows (issue 17).
//!
//! The library is what both share:
//!
//! - [`chromium`]: chromedriver and headless Chromium sessions, killed when dropped;
//! - [`cdp`]: DevTools commands through chromedriver (`goog/cdp/execute`);
//! - [`page_load`]: the benchmark itself — filling a room, becoming a returning guest, timing
//!   each navigation inside the page, and the report.
//!
//! Build what the tests need with `cargo xtask test` (trunk, then the server), or by hand with
//! `cargo xtask frontend && cargo build -p chinwag-backend`, then `cargo test -p chinwag-e2e`.
//! `CHINWAG_BIN` and `CHINWAG_DIST` point the tests at another server binary or client build.
//! The benchmark's command and figures are in `docs/benchmarks.md` ("Issue 17: from navigation
//! to the last 50 messages").

pub mod cdp;
pub mod chromium;
pub mod page_load;
