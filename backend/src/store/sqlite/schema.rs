//! The database's tables, the migrations that bring an older file up to date, and the epoch
//! minted into each new file.
//!
//! [`SqliteStore::open`](super::SqliteStore::open) runs [`SCHEMA`] and then [`migrate`] on the
//! write connection before anything else touches the file. Invariant: a file's `user_version`
//! counts exactly the [`MIGRATIONS`] it has had, so a file written by any earlier version
//! opens, migrates once, and keeps working.

use crate::store::{Epoch, StoreError};
use rusqlite::{Connection, TransactionBehavior};
use std::time::{SystemTime, UNIX_EPOCH};

/// The first version's tables, each created only if missing.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rooms (
    name    TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    room      TEXT    NOT NULL,
    id        INTEGER NOT NULL,
    username  TEXT    NOT NULL,
    message   TEXT    NOT NULL,
    ts        INTEGER NOT NULL,
    client_id TEXT,
    PRIMARY KEY (room, id)
) WITHOUT ROWID;
-- The room list, busiest first (see `RoomCursor`): one page is an index range scan, however
-- many rooms there are.
CREATE INDEX IF NOT EXISTS rooms_by_size ON rooms (last_id DESC, name DESC);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
";

/// Changes to [`SCHEMA`] (the first version's tables, kept as they were so old files and new
/// ones take the same path), in order: the database's `user_version` counts how many have
/// run. Files from before migrations existed are at 0 and have what the first one makes.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1. A client_id is stored once per room. (Part of the first schema: a no-op on its files.)
    "CREATE UNIQUE INDEX IF NOT EXISTS messages_client_id
         ON messages (room, client_id) WHERE client_id IS NOT NULL;",
    // 2. A client_id belongs to its author (issue 12): Mallory's use of Vic's id no longer
    //    makes Vic's send a "duplicate". `author` is `Author::key`, set when there is a
    //    client_id; old rows keep NULL. The unique index leads with (room, client_id), so the
    //    dedupe lookup stays one index probe, and NULL authors never collide.
    "ALTER TABLE messages ADD COLUMN author TEXT;
     DROP INDEX IF EXISTS messages_client_id;
     CREATE UNIQUE INDEX messages_author_client_id
         ON messages (room, client_id, author) WHERE client_id IS NOT NULL;",
    // 3. Every record says whether its author was signed in (issue 14). Everything stored
    //    before accounts existed was a guest's.
    "ALTER TABLE messages ADD COLUMN guest INTEGER NOT NULL DEFAULT 1;",
    // 4. The directory (issue 14): accounts, their credentials (digests only), private rooms
    //    and their members. Account ids are text, so JWT identities (`jwt:{sub}`) can own and
    //    join rooms beside built-in accounts. A private room also has a `rooms` row (last_id
    //    0 until its first message), so no one can create it again as anything else.
    "CREATE TABLE accounts (
         id            INTEGER PRIMARY KEY AUTOINCREMENT,
         name          TEXT    NOT NULL,
         name_key      TEXT    NOT NULL UNIQUE,
         password_hash TEXT    NOT NULL,
         created       INTEGER NOT NULL
     );
     CREATE TABLE credentials (
         digest  TEXT PRIMARY KEY,
         account TEXT NOT NULL,
         kind    TEXT NOT NULL,
         name    TEXT NOT NULL,
         created INTEGER NOT NULL,
         expires INTEGER
     ) WITHOUT ROWID;
     CREATE INDEX credentials_by_account ON credentials (account, kind);
     CREATE TABLE private_rooms (
         room  TEXT PRIMARY KEY,
         owner TEXT,
         dm    INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE TABLE room_members (
         room    TEXT NOT NULL,
         account TEXT NOT NULL,
         PRIMARY KEY (room, account)
     ) WITHOUT ROWID;
     CREATE INDEX room_members_by_account ON room_members (account, room);",
    // 5. Moderation and the message lifecycle (issue 15). A record is a message
    //    (`change_kind` NULL) or a change of message `target` ('edit' or 'delete', with
    //    `moderator` when a moderator deleted someone else's). A message keeps its current
    //    state: `edited` is its latest edit record's id; a deleted one has an empty text and
    //    `deleted_id` (and `deleted_by`, the moderator). Then the moderation directory: room
    //    settings (a public room's owner, slow mode), moderators, site admins, sanctions (one
    //    per scope, subject and kind), the audit log (ids per room) and read markers.
    "ALTER TABLE messages ADD COLUMN change_kind TEXT;
     ALTER TABLE messages ADD COLUMN target INTEGER;
     ALTER TABLE messages ADD COLUMN moderator INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE messages ADD COLUMN edited INTEGER;
     ALTER TABLE messages ADD COLUMN deleted_id INTEGER;
     ALTER TABLE messages ADD COLUMN deleted_by TEXT;
     CREATE INDEX messages_by_target ON messages (room, target) WHERE target IS NOT NULL;
     CREATE TABLE room_settings (
         room           TEXT PRIMARY KEY,
         owner          TEXT,
         slow_mode_secs INTEGER NOT NULL DEFAULT 0
     ) WITHOUT ROWID;
     CREATE TABLE room_moderators (
         room    TEXT NOT NULL,
         account TEXT NOT NULL,
         PRIMARY KEY (room, account)
     ) WITHOUT ROWID;
     CREATE TABLE site_admins (
         account TEXT PRIMARY KEY
     ) WITHOUT ROWID;
     CREATE TABLE sanctions (
         scope    TEXT    NOT NULL,
         subject  TEXT    NOT NULL,
         kind     TEXT    NOT NULL,
         username TEXT    NOT NULL,
         until    INTEGER,
         reason   TEXT    NOT NULL,
         by       TEXT    NOT NULL,
         created  INTEGER NOT NULL,
         PRIMARY KEY (scope, subject, kind)
     ) WITHOUT ROWID;
     CREATE TABLE audit_log (
         room    TEXT    NOT NULL,
         id      INTEGER NOT NULL,
         ts      INTEGER NOT NULL,
         actor   TEXT    NOT NULL,
         action  TEXT    NOT NULL,
         subject TEXT,
         target  INTEGER,
         detail  TEXT    NOT NULL,
         PRIMARY KEY (room, id)
     ) WITHOUT ROWID;
     CREATE TABLE read_markers (
         account TEXT    NOT NULL,
         room    TEXT    NOT NULL,
         id      INTEGER NOT NULL,
         PRIMARY KEY (account, room)
     ) WITHOUT ROWID;",
    // 6. An operator can disable an account (issue 16). Accounts are listed by name key
    //    through the `UNIQUE` index `name_key` already has.
    "ALTER TABLE accounts ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;",
    // 7. The server API (issue 16): API keys, stored by the digest of their secret only (see
    //    `auth::secret`), with the short id they are listed and revoked by; their scopes are
    //    one space-separated text. A message a backend posted through a key is a bot's (or
    //    the system's): `bot`. An audit entry made by a key names it in `key`.
    "CREATE TABLE api_keys (
         digest     TEXT    PRIMARY KEY,
         id         TEXT    NOT NULL UNIQUE,
         name       TEXT    NOT NULL,
         scopes     TEXT    NOT NULL,
         created_by TEXT    NOT NULL,
         created    INTEGER NOT NULL
     ) WITHOUT ROWID;
     ALTER TABLE messages ADD COLUMN bot INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE audit_log ADD COLUMN key TEXT;",
];

/// Runs the [`MIGRATIONS`] this file has not had yet, each in its own transaction with the
/// version it brings, so a crash mid-way leaves the file at a version it fully has. Each
/// takes the write lock first (IMMEDIATE) and reads the version again under it: a server
/// starting while `chinwag accounts …` opens the same file would otherwise both see an old
/// version and the second fail on what the first just added ("duplicate column").
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version = |conn: &Connection| -> Result<usize, StoreError> {
        let done: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        Ok(usize::try_from(done).unwrap_or(0))
    };
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version(conn)?) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if version(&tx)? > index {
            continue; // another connection ran it meanwhile; the transaction rolls back
        }
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
        tracing::info!(version = index + 1, "sqlite schema migrated");
    }
    Ok(())
}

/// The database's epoch, minted the first time this file is opened. A fresh file (the old
/// one deleted or swapped) gets a new one, which is how clients learn their ids are stale.
pub(super) fn database_epoch(conn: &Connection) -> Result<Epoch, StoreError> {
    let minted = format!("sqlite-{:x}", now_nanos());
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('epoch', ?1) ON CONFLICT (key) DO NOTHING",
        [minted],
    )?;
    let epoch: String =
        conn.query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |row| {
            row.get(0)
        })?;
    Ok(Epoch::from(epoch))
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos())
}
