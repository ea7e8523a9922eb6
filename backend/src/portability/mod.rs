//! Moving a whole site between stores: `chinwag export` writes everything a store holds as
//! JSON lines, and `chinwag import` loads them into an empty store of either engine. This is
//! how an operator moves from one node on SQLite to a cluster on Redis (or back).
//!
//! [`format`] is the line format (one object per line, tagged by `"kind"`, after a versioned
//! header); [`export`] walks the store a page at a time and writes lines as it reads them;
//! [`import`] reads lines one at a time, checks each (an export file is input like any other:
//! a hand-edited one must not make an invalid log; [`check`] is the rule for records), and writes through the store's
//! [`crate::store::Store::restore`], which keeps every record's id, timestamp, author and
//! change state exactly, and the directory traits. Both stream: memory is bounded by a page
//! or a batch, never by the size of the site. A deleted message stays deleted: its text is
//! gone from the store, so it is in no export, and its tombstone is restored as a tombstone.

pub mod check;
pub mod export;
pub mod format;
pub mod import;

use crate::store::StoreError;

/// Why an export or an import failed. Line numbers count from 1, the header included.
#[derive(Debug, thiserror::Error)]
pub enum PortabilityError {
    /// Reading or writing a stream failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A line could not be written as JSON.
    #[error("cannot write a line: {0}")]
    Write(#[from] serde_json::Error),
    /// A line is not JSON of a known kind.
    #[error("line {line}: not an export line")]
    Json {
        /// Where.
        line: u64,
        /// What serde said.
        source: serde_json::Error,
    },
    /// A line is longer than any export writes.
    #[error("line {line}: longer than {max} bytes", max = format::MAX_LINE_BYTES)]
    LineTooLong {
        /// Where.
        line: u64,
    },
    /// The input does not start with an export header of this version.
    #[error("not a chinwag export of version {version} (the first line is its header)", version = format::VERSION)]
    NoHeader,
    /// The destination already holds something.
    #[error(
        "the destination store is not empty: it has {0} already; import only into an empty store"
    )]
    NotEmpty(&'static str),
    /// A line is valid but out of place, or breaks the log's rules.
    #[error("line {line}: {reason}")]
    Invalid {
        /// Where.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
