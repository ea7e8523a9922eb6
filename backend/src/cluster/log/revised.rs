//! A room's log in its current state: the stream's entries plus the records changed since.
//!
//! A stream entry cannot be rewritten, so the change script ([`super::change`]) removes a
//! changed record's entry (`XDEL`) and keeps its current JSON in `chinwag:revised:{room}`, a
//! sorted set scored by id. [`crate::store::Store::page`] reads the stream in chunks; ids are
//! gapless, so a chunk shows where revised records can be: an id missing between two entries,
//! or below the oldest one. Only then is the set read, over just that span ([`hole`]), and the
//! two merged ([`merge`]): a page with no changed record costs no extra round trip. Invariant
//! it relies on: the newest record is always a stream entry (a change is appended after the
//! records it revises), so nothing revised lies above the stream's newest entry.

use super::{Keys, RedisStore, parse_entries, parse_record};
use crate::store::{Page, StoreError};
use chinwag_shared::ChatRecord;
use std::cmp::Reverse;

impl RedisStore {
    /// Up to `count` records of `room` past `bound` (exclusive) in the direction of `page`
    /// (ascending for `After`, descending for `Before`), in their current state, and whether
    /// the log has no more past them.
    pub(super) async fn read_chunk(
        &self,
        keys: &Keys,
        page: Page,
        bound: u64,
        count: usize,
    ) -> Result<(Vec<ChatRecord>, bool), StoreError> {
        let live = self.read_stream(keys, page, bound, count).await?;
        let exhausted = live.len() < count;
        let ids: Vec<u64> = live.iter().map(|record| record.id).collect();
        let Some(span) = hole(page, bound, &ids, exhausted) else {
            return Ok((live, exhausted));
        };
        let changed = self.read_revised(keys, page, &span, count).await?;
        Ok(merge(page, live, changed, count))
    }

    /// Up to `count` stream entries past `bound`, in the direction of `page`.
    async fn read_stream(
        &self,
        keys: &Keys,
        page: Page,
        bound: u64,
        count: usize,
    ) -> Result<Vec<ChatRecord>, StoreError> {
        let (command, start, end) = match page {
            Page::After { .. } => {
                let start = if bound == 0 {
                    "-".to_owned()
                } else {
                    format!("({bound}-0")
                };
                ("XRANGE", start, "+".to_owned())
            }
            Page::Before { .. } => {
                let end = if bound == u64::MAX {
                    "+".to_owned()
                } else {
                    format!("({bound}-0")
                };
                ("XREVRANGE", end, "-".to_owned())
            }
        };
        let mut query = redis::cmd(command);
        query
            .arg(&keys.log)
            .arg(start)
            .arg(end)
            .arg("COUNT")
            .arg(count);
        let entries = self
            .link
            .read(|mut conn| {
                let query = &query;
                async move { query.query_async(&mut conn).await }
            })
            .await?;
        parse_entries(entries)
    }

    /// Up to `count` revised records over `span`, nearest the page's bound first.
    async fn read_revised(
        &self,
        keys: &Keys,
        page: Page,
        span: &Span,
        count: usize,
    ) -> Result<Vec<ChatRecord>, StoreError> {
        let command = match page {
            Page::After { .. } => "ZRANGEBYSCORE",
            Page::Before { .. } => "ZREVRANGEBYSCORE",
        };
        let mut query = redis::cmd(command);
        query
            .arg(&keys.revised)
            .arg(&span.from)
            .arg(&span.to)
            .arg("LIMIT")
            .arg(0)
            .arg(count);
        let found: Vec<String> = self
            .link
            .read(|mut conn| {
                let query = &query;
                async move { query.query_async(&mut conn).await }
            })
            .await?;
        found.iter().map(|json| parse_record(json)).collect()
    }
}

/// The span of ids where a chunk's missing records may be, as the scores to read the revised
/// set with: `ZRANGEBYSCORE key from to` for an `After` page, `ZREVRANGEBYSCORE key from to`
/// for a `Before` page (so `from` is where the page direction starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The bound the read starts at (`(` marks it exclusive).
    pub from: String,
    /// The bound it ends at.
    pub to: String,
}

/// Where records missing from a chunk of the stream may be. `live` are the chunk's ids in the
/// page's direction, read past `bound` (exclusive); `exhausted` says the stream had no more.
/// `None` when the chunk's ids leave no room for one: the common case.
pub fn hole(page: Page, bound: u64, live: &[u64], exhausted: bool) -> Option<Span> {
    let count = u64::try_from(live.len()).unwrap_or(u64::MAX);
    match page {
        Page::After { .. } => {
            // Ids in (bound, last] number last - bound; past the last entry nothing is revised.
            let last = *live.last()?;
            (last.saturating_sub(bound) > count).then(|| Span {
                from: format!("({bound}"),
                to: last.to_string(),
            })
        }
        Page::Before { .. } => {
            // A page from the top starts at the newest entry, which is never revised.
            let top = if bound == u64::MAX {
                *live.first()?
            } else {
                bound.checked_sub(1).filter(|top| *top > 0)?
            };
            match live.last() {
                // Below the oldest entry lie records either trimmed or revised.
                None => exhausted.then(|| Span {
                    from: top.to_string(),
                    to: "-inf".to_owned(),
                }),
                Some(&oldest) if exhausted && oldest > 1 => Some(Span {
                    from: top.to_string(),
                    to: "-inf".to_owned(),
                }),
                Some(&oldest) => (top - oldest + 1 > count).then(|| Span {
                    from: top.to_string(),
                    to: oldest.to_string(),
                }),
            }
        }
    }
}

/// A chunk of up to `count` records in the page's direction from the stream's `live` records
/// and the `revised` ones read over their [`hole`] (at most `count` of them, nearest the
/// bound first), and whether the log has nothing more past them.
pub fn merge(
    page: Page,
    live: Vec<ChatRecord>,
    revised: Vec<ChatRecord>,
    count: usize,
) -> (Vec<ChatRecord>, bool) {
    let mut records = live;
    records.extend(revised);
    match page {
        Page::After { .. } => records.sort_by_key(|record| record.id),
        Page::Before { .. } => records.sort_by_key(|record| Reverse(record.id)),
    }
    // A record is in one place only (the change script moves it); never serve it twice.
    records.dedup_by_key(|record| record.id);
    // Fewer than asked: the stream had no more, and the set held every revised record of the
    // span. Otherwise the next chunk starts after the last one kept.
    let exhausted = records.len() < count;
    records.truncate(count);
    (records, exhausted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::{RoomName, Username};

    const AFTER: Page = Page::After { after: 0, limit: 0 };
    const BEFORE: Page = Page::Before {
        before: 0,
        limit: 0,
    };

    fn span(from: &str, to: &str) -> Option<Span> {
        Some(Span {
            from: from.to_owned(),
            to: to.to_owned(),
        })
    }

    #[test]
    fn gapless_chunks_need_no_second_read() {
        assert_eq!(hole(AFTER, 0, &[1, 2, 3], true), None);
        assert_eq!(hole(AFTER, 4, &[5, 6], false), None);
        assert_eq!(
            hole(AFTER, 4, &[], true),
            None,
            "nothing past the newest entry"
        );
        assert_eq!(hole(BEFORE, u64::MAX, &[9, 8, 7], false), None);
        assert_eq!(hole(BEFORE, 10, &[9, 8, 7], false), None);
        assert_eq!(hole(BEFORE, u64::MAX, &[3, 2, 1], true), None, "down to 1");
        assert_eq!(hole(BEFORE, u64::MAX, &[], true), None, "an empty log");
        assert_eq!(hole(BEFORE, 1, &[], true), None, "nothing below 1");
    }

    #[test]
    fn a_missing_id_is_looked_for_over_the_chunks_span_only() {
        assert_eq!(hole(AFTER, 0, &[1, 3], true), span("(0", "3"));
        assert_eq!(
            hole(AFTER, 0, &[4, 5], true),
            span("(0", "5"),
            "below the oldest"
        );
        assert_eq!(hole(BEFORE, u64::MAX, &[9, 7, 6], false), span("9", "6"));
        assert_eq!(
            hole(BEFORE, 12, &[9, 8], false),
            span("11", "8"),
            "between the bound and the newest of the chunk"
        );
    }

    #[test]
    fn a_scrollback_that_reaches_the_oldest_entry_looks_below_it() {
        assert_eq!(hole(BEFORE, u64::MAX, &[3, 2], true), span("3", "-inf"));
        assert_eq!(hole(BEFORE, 5, &[], true), span("4", "-inf"));
    }

    fn record(id: u64) -> ChatRecord {
        ChatRecord {
            id,
            room: RoomName::parse("general").unwrap(),
            username: Username::parse("ada").unwrap(),
            message: String::new(),
            ts: 1,
            guest: true,
            bot: false,
            client_id: None,
            change: None,
            edited: None,
            deleted: None,
        }
    }

    fn ids(records: &[ChatRecord]) -> Vec<u64> {
        records.iter().map(|record| record.id).collect()
    }

    #[test]
    fn merged_chunks_keep_the_page_order_and_the_nearest_records() {
        let (chunk, exhausted) = merge(AFTER, vec![record(2), record(4)], vec![record(3)], 3);
        assert_eq!((ids(&chunk), exhausted), (vec![2, 3, 4], false));
        let (chunk, exhausted) = merge(AFTER, vec![record(2), record(5)], vec![record(3)], 4);
        assert_eq!((ids(&chunk), exhausted), (vec![2, 3, 5], true));
        let (chunk, exhausted) = merge(
            BEFORE,
            vec![record(9), record(6)],
            vec![record(8), record(7)],
            3,
        );
        assert_eq!((ids(&chunk), exhausted), (vec![9, 8, 7], false));
        let (chunk, _) = merge(AFTER, vec![record(2)], vec![record(2)], 5);
        assert_eq!(ids(&chunk), vec![2], "served once");
    }
}
