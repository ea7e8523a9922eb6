//! Values on their way in and out of SQLite: integers converted without wrapping, and text
//! validated again as it is read back.
//!
//! Every reader of the file (`queries`, `records`, the directories) goes through here, so a
//! file edited by hand yields [`Corrupt`], never an invalid name inside the server, and a
//! corrupt negative number reads as 0 rather than wrapping into a huge id.

use crate::store::{Corrupt, StoreError};

/// `raw` as read back from a row, validated again by `parse`.
pub(super) fn parse_stored<T>(
    raw: &str,
    parse: fn(&str) -> Result<T, chinwag_shared::ValidationError>,
) -> Result<T, StoreError> {
    parse(raw).map_err(|reason| {
        Corrupt::Value {
            raw: raw.to_owned(),
            reason,
        }
        .into()
    })
}

// SQLite integers are i64; ids, timestamps and limits are never negative and stay far below
// i64::MAX, so these conversions saturate instead of wrapping on corrupt data.
pub(super) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

pub(super) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
