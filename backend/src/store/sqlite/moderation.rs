//! The embedded engine's moderation directory ([`Moderation`]): room settings and roles,
//! site admins, sanctions, the audit log and read markers, in the same SQLite file as the log.
//!
//! The hub is its caller. Like [`super::SqliteAccounts`], [`SqliteModeration`] writes through
//! a connection of its own ([`SideWriter`]) and reads on the store's pool of read-only
//! connections. Each write that reads before it writes (a sanction's bound, the audit log's
//! next id) is one IMMEDIATE transaction, and a marker's move is one statement, so the trait's
//! invariants hold however callers race: one sanction per (scope, subject, kind), at most
//! [`SANCTIONS_KEPT`] in force per scope (expired ones forgotten as new ones come), markers
//! only forward, at most [`AUDIT_KEPT`] audit entries per room with ids that only grow.

use super::{
    readers::ReaderPool,
    sanction_rows::{kind_key, sanctions_of},
    side_writer::SideWriter,
    values::{parse_stored, to_i64, to_u64},
};
use crate::store::{
    StoreError,
    accounts::AccountId,
    moderation::{
        AUDIT_KEPT, Moderation, NewAudit, RoomRules, SANCTIONS_KEPT, Sanction, Scope, SiteRules,
        Subject, TooManySanctions,
    },
};
use async_trait::async_trait;
use chinwag_shared::{
    RoomName, Username,
    moderation::{AuditAction, AuditEntry, SanctionKind},
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::{collections::BTreeSet, path::Path};

/// The moderation directory in SQLite.
pub struct SqliteModeration {
    /// Its own write connection.
    conn: SideWriter,
    /// The store's read-only connections, shared (the hub reads a room's rules at each join
    /// and post that misses its cache).
    readers: ReaderPool,
}

impl SqliteModeration {
    /// The moderation directory of the database at `path`, whose schema
    /// [`super::SqliteStore::open`] has brought up to date, reading through that store's
    /// `readers`.
    pub(super) fn open(path: &Path, readers: ReaderPool) -> Result<Self, StoreError> {
        Ok(Self {
            conn: SideWriter::open(path)?,
            readers,
        })
    }
}

#[async_trait]
impl Moderation for SqliteModeration {
    async fn room_rules(&self, room: &RoomName) -> Result<RoomRules, StoreError> {
        let room = room.clone();
        self.readers
            .read(move |conn| {
                let settings: Option<(Option<String>, i64)> = conn
                    .prepare_cached(
                        "SELECT owner, slow_mode_secs FROM room_settings WHERE room = ?1",
                    )?
                    .query_row([room.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?;
                let (owner, slow_mode) = settings.unwrap_or((None, 0));
                Ok(RoomRules {
                    owner: owner.map(AccountId::new),
                    moderators: accounts(
                        conn,
                        "SELECT account FROM room_moderators WHERE room = ?1",
                        room.as_str(),
                    )?,
                    slow_mode_secs: u32::try_from(slow_mode).unwrap_or(0),
                    sanctions: sanctions_of(conn, &Scope::Room(room))?,
                })
            })
            .await
    }

    async fn site_rules(&self) -> Result<SiteRules, StoreError> {
        self.readers
            .read(|conn| {
                let mut stmt = conn.prepare_cached("SELECT account FROM site_admins")?;
                let admins = stmt
                    .query_map([], |row| row.get::<_, String>(0))?
                    .map(|account| account.map(AccountId::new))
                    .collect::<Result<_, _>>()?;
                Ok(SiteRules {
                    admins,
                    sanctions: sanctions_of(conn, &Scope::Site)?,
                })
            })
            .await
    }

    async fn set_owner(&self, room: &RoomName, owner: &AccountId) -> Result<(), StoreError> {
        let (room, owner) = (room.clone(), owner.clone());
        self.conn
            .run(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO room_settings (room, owner) VALUES (?1, ?2)
                     ON CONFLICT (room) DO UPDATE SET owner = excluded.owner",
                )?
                .execute(params![room.as_str(), owner.as_str()])?;
                Ok(())
            })
            .await
    }

    async fn set_moderator(
        &self,
        room: &RoomName,
        account: &AccountId,
        moderator: bool,
    ) -> Result<bool, StoreError> {
        let (room, account) = (room.clone(), account.clone());
        self.conn
            .run(move |conn| {
                let sql = if moderator {
                    "INSERT INTO room_moderators (room, account) VALUES (?1, ?2)
                     ON CONFLICT (room, account) DO NOTHING"
                } else {
                    "DELETE FROM room_moderators WHERE room = ?1 AND account = ?2"
                };
                let changed = conn
                    .prepare_cached(sql)?
                    .execute(params![room.as_str(), account.as_str()])?;
                Ok(changed > 0)
            })
            .await
    }

    async fn set_admin(&self, account: &AccountId, admin: bool) -> Result<bool, StoreError> {
        let account = account.clone();
        self.conn
            .run(move |conn| {
                let sql = if admin {
                    "INSERT INTO site_admins (account) VALUES (?1)
                     ON CONFLICT (account) DO NOTHING"
                } else {
                    "DELETE FROM site_admins WHERE account = ?1"
                };
                Ok(conn.prepare_cached(sql)?.execute([account.as_str()])? > 0)
            })
            .await
    }

    async fn set_slow_mode(&self, room: &RoomName, secs: u32) -> Result<(), StoreError> {
        let room = room.clone();
        self.conn
            .run(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO room_settings (room, slow_mode_secs) VALUES (?1, ?2)
                     ON CONFLICT (room) DO UPDATE SET slow_mode_secs = excluded.slow_mode_secs",
                )?
                .execute(params![room.as_str(), secs])?;
                Ok(())
            })
            .await
    }

    async fn impose(
        &self,
        sanction: &Sanction,
    ) -> Result<Result<(), TooManySanctions>, StoreError> {
        let sanction = sanction.clone();
        self.conn
            .run(move |conn| impose(conn, &sanction, SANCTIONS_KEPT))
            .await
    }

    async fn lift(
        &self,
        scope: &Scope,
        subject: &Subject,
        kind: SanctionKind,
    ) -> Result<bool, StoreError> {
        let (scope, subject) = (scope.key().to_owned(), subject.key());
        self.conn
            .run(move |conn| {
                let lifted = conn
                    .prepare_cached(
                        "DELETE FROM sanctions WHERE scope = ?1 AND subject = ?2 AND kind = ?3",
                    )?
                    .execute(params![scope, subject, kind_key(kind)])?;
                Ok(lifted > 0)
            })
            .await
    }

    async fn audit(&self, scope: &Scope, audit: NewAudit) -> Result<u64, StoreError> {
        let scope = scope.key().to_owned();
        self.conn
            .run(move |conn| record_audit(conn, &scope, &audit.entry, AUDIT_KEPT))
            .await
    }

    async fn audit_log(
        &self,
        scope: &Scope,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let room = scope.key().to_owned();
        let before = before.map_or(i64::MAX, to_i64);
        let limit = to_i64(limit as u64);
        self.readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT id, ts, actor, action, subject, target, detail, key FROM audit_log
                     WHERE room = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
                )?;
                let rows = stmt.query_map(params![room.as_str(), before, limit], |row| {
                    Ok(AuditRow {
                        id: row.get(0)?,
                        ts: row.get(1)?,
                        actor: row.get(2)?,
                        action: row.get(3)?,
                        subject: row.get(4)?,
                        target: row.get(5)?,
                        detail: row.get(6)?,
                        key: row.get(7)?,
                    })
                })?;
                rows.map(|row| row?.into_entry()).collect()
            })
            .await
    }

    async fn set_read_marker(
        &self,
        account: &AccountId,
        room: &RoomName,
        id: u64,
    ) -> Result<u64, StoreError> {
        let (account, room) = (account.clone(), room.clone());
        self.conn
            .run(move |conn| {
                // One statement: two moves racing each other both end at the larger.
                let marker: i64 = conn
                    .prepare_cached(
                        "INSERT INTO read_markers (account, room, id) VALUES (?1, ?2, ?3)
                         ON CONFLICT (account, room) DO UPDATE SET id = max(id, excluded.id)
                         RETURNING id",
                    )?
                    .query_row(
                        params![account.as_str(), room.as_str(), to_i64(id)],
                        |row| row.get(0),
                    )?;
                Ok(to_u64(marker))
            })
            .await
    }

    async fn read_markers(&self, account: &AccountId) -> Result<Vec<(RoomName, u64)>, StoreError> {
        let account = account.clone();
        self.readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT room, id FROM read_markers WHERE account = ?1 ORDER BY room",
                )?;
                let rows = stmt.query_map([account.as_str()], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
                })?;
                rows.map(|row| {
                    let (room, id) = row?;
                    Ok((parse_stored(&room, RoomName::parse)?, to_u64(id)))
                })
                .collect()
            })
            .await
    }
}

/// The accounts `sql` selects for `room`.
fn accounts(conn: &Connection, sql: &str, room: &str) -> Result<BTreeSet<AccountId>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let accounts = stmt
        .query_map([room], |row| row.get::<_, String>(0))?
        .map(|account| account.map(AccountId::new))
        .collect::<Result<_, _>>()?;
    Ok(accounts)
}

/// Imposes `sanction` unless its scope already has `kept` others in force at its creation;
/// expired ones of the scope are forgotten first, so they never count.
pub(super) fn impose(
    conn: &mut Connection,
    sanction: &Sanction,
    kept: usize,
) -> Result<Result<(), TooManySanctions>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (scope, subject, kind) = (
        sanction.scope.key(),
        sanction.subject.key(),
        kind_key(sanction.kind),
    );
    tx.prepare_cached("DELETE FROM sanctions WHERE scope = ?1 AND until <= ?2")?
        .execute(params![scope, to_i64(sanction.created)])?;
    // Replacing one in force adds nothing, so it is never refused.
    let others: i64 = tx
        .prepare_cached(
            "SELECT count(*) FROM sanctions
             WHERE scope = ?1 AND NOT (subject = ?2 AND kind = ?3)",
        )?
        .query_row(params![scope, subject, kind], |row| row.get(0))?;
    if to_u64(others) >= kept as u64 {
        return Ok(Err(TooManySanctions));
    }
    tx.prepare_cached(
        "INSERT INTO sanctions (scope, subject, kind, username, until, reason, by, created)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (scope, subject, kind) DO UPDATE SET
             username = excluded.username, until = excluded.until, reason = excluded.reason,
             by = excluded.by, created = excluded.created",
    )?
    .execute(params![
        scope,
        subject,
        kind,
        sanction.username.as_str(),
        sanction.until.map(to_i64),
        sanction.reason,
        sanction.by.as_str(),
        to_i64(sanction.created),
    ])?;
    tx.commit()?;
    Ok(Ok(()))
}

/// Appends `entry` to the audit log of the scope stored as `room` (a room's name, or `*` for
/// the site), under the next id, keeping the newest `kept`.
pub(super) fn record_audit(
    conn: &mut Connection,
    room: &str,
    entry: &AuditEntry,
    kept: usize,
) -> Result<u64, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // The newest entry is never trimmed, so the largest id kept is the largest ever given.
    let id: i64 = tx
        .prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM audit_log WHERE room = ?1")?
        .query_row([room], |row| row.get(0))?;
    tx.prepare_cached(
        "INSERT INTO audit_log (room, id, ts, actor, action, subject, target, detail, key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        room,
        id,
        to_i64(entry.ts),
        entry.actor.as_str(),
        entry.action.as_str(),
        entry.subject.as_ref().map(Username::as_str),
        entry.target.map(to_i64),
        entry.detail,
        entry.key,
    ])?;
    tx.prepare_cached("DELETE FROM audit_log WHERE room = ?1 AND id <= ?2")?
        .execute(params![room, id.saturating_sub(to_i64(kept as u64))])?;
    tx.commit()?;
    Ok(to_u64(id))
}

/// An audit row before re-validation.
struct AuditRow {
    id: i64,
    ts: i64,
    actor: String,
    action: String,
    subject: Option<String>,
    target: Option<i64>,
    detail: String,
    key: Option<String>,
}

impl AuditRow {
    fn into_entry(self) -> Result<AuditEntry, StoreError> {
        let action =
            AuditAction::parse(&self.action).ok_or_else(|| super::SqliteError::Unreadable {
                column: "audit_log.action",
                raw: self.action.clone(),
            })?;
        Ok(AuditEntry {
            id: to_u64(self.id),
            ts: to_u64(self.ts),
            actor: parse_stored(&self.actor, Username::parse)?,
            action,
            subject: self
                .subject
                .as_deref()
                .map(|subject| parse_stored(subject, Username::parse))
                .transpose()?,
            target: self.target.map(to_u64),
            detail: self.detail,
            key: self.key,
        })
    }
}
