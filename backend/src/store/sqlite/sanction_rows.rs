//! Sanctions as rows of the `sanctions` table: their stored kinds and how a scope's rows are
//! read back into [`Sanction`]s, validated.
//!
//! [`super::moderation`] writes the rows and reads them through here. Invariant: a row that
//! does not read back as a valid sanction (a file edited by hand) is an error, never a
//! sanction silently dropped, which would let its subject back in.

use super::{
    SqliteError,
    values::{parse_stored, to_u64},
};
use crate::store::{
    StoreError,
    moderation::{Sanction, Scope, Subject},
};
use chinwag_shared::{Username, moderation::SanctionKind};
use rusqlite::Connection;

/// The stored form of `kind`.
pub(super) fn kind_key(kind: SanctionKind) -> &'static str {
    match kind {
        SanctionKind::Mute => "mute",
        SanctionKind::Ban => "ban",
    }
}

fn parse_kind(raw: &str) -> Option<SanctionKind> {
    [SanctionKind::Mute, SanctionKind::Ban]
        .into_iter()
        .find(|kind| kind_key(*kind) == raw)
}

/// Every sanction stored for `scope` (expired ones perhaps among them), oldest first.
pub(super) fn sanctions_of(conn: &Connection, scope: &Scope) -> Result<Vec<Sanction>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT subject, kind, username, until, reason, by, created FROM sanctions
         WHERE scope = ?1 ORDER BY created, subject, kind",
    )?;
    let rows = stmt.query_map([scope.key()], |row| {
        Ok(SanctionRow {
            subject: row.get(0)?,
            kind: row.get(1)?,
            username: row.get(2)?,
            until: row.get(3)?,
            reason: row.get(4)?,
            by: row.get(5)?,
            created: row.get(6)?,
        })
    })?;
    rows.map(|row| row?.into_sanction(scope)).collect()
}

/// A sanction's row before re-validation.
struct SanctionRow {
    subject: String,
    kind: String,
    username: String,
    until: Option<i64>,
    reason: String,
    by: String,
    created: i64,
}

impl SanctionRow {
    fn into_sanction(self, scope: &Scope) -> Result<Sanction, StoreError> {
        let subject = Subject::parse(&self.subject).ok_or_else(|| SqliteError::Unreadable {
            column: "sanctions.subject",
            raw: self.subject.clone(),
        })?;
        let kind = parse_kind(&self.kind).ok_or_else(|| SqliteError::Unreadable {
            column: "sanctions.kind",
            raw: self.kind.clone(),
        })?;
        Ok(Sanction {
            scope: scope.clone(),
            subject,
            kind,
            username: parse_stored(&self.username, Username::parse)?,
            until: self.until.map(to_u64),
            reason: self.reason,
            by: parse_stored(&self.by, Username::parse)?,
            created: to_u64(self.created),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanction_kinds_read_back_their_stored_form() {
        for kind in [SanctionKind::Mute, SanctionKind::Ban] {
            assert_eq!(parse_kind(kind_key(kind)), Some(kind));
        }
        assert_eq!(parse_kind("kick"), None);
    }
}
