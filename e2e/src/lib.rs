//! `chinwag-e2e` holds no library code: its tests in `tests/browser/` drive the real `chinwag`
//! server and the built browser client (`dist/`) through headless Chromium and chromedriver.
//!
//! Build what they need with `cargo xtask test` (trunk, then the server), or by hand with
//! `cargo xtask frontend && cargo build -p chinwag-backend`, then `cargo test -p chinwag-e2e`.
//! `CHINWAG_BIN` and `CHINWAG_DIST` point the tests at another server binary or client build.
