//! Progress bars for long phases (connecting thousands of clients, a step's sending window).
//!
//! Drawn on stderr with indicatif, and only when stdout is a terminal: piped or `--json`
//! output stays clean, and the smoke test's output is never cluttered.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A bar of `len` units labelled `label`; hidden when stdout is not a terminal.
pub fn bar(len: u64, label: &str) -> ProgressBar {
    if !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(
        "{prefix:>28} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(style);
    bar.set_prefix(label.to_owned());
    bar
}

/// Prints a status line to stderr (call it between bars, not while one is drawing).
pub fn note(line: &str) {
    eprintln!("{line}");
}
