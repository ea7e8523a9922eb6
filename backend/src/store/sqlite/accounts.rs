//! The embedded engine's directory ([`Accounts`]): accounts, credentials, private rooms and
//! their members, in the same SQLite file as the log.
//!
//! Directory writes are rare (a sign-up, a sign-in, a member added) next to chat appends, so
//! they do not go through the log's writer thread: [`SqliteAccounts`] owns one more connection
//! of its own ([`SideWriter`]), used on tokio's blocking pool behind a mutex. Its reads (a
//! session check at each upgrade that misses the cache, a room's access) run on the store's
//! pool of read-only connections, in parallel. WAL mode lets it and the writer take turns;
//! every change is one transaction, and the name check and the insert of a sign-up are one
//! statement against a `UNIQUE` key, so two nodes' sign-ups never both win.

use super::{
    account_rows::{ACCOUNT_COLUMNS, account_of, account_row, list_accounts},
    readers::ReaderPool,
    side_writer::SideWriter,
    values::{parse_stored, to_i64, to_u64},
};
use crate::store::{
    StoreError,
    accounts::{
        Account, AccountId, AccountTaken, Accounts, Credential, CredentialKind, MAX_ACCOUNTS_PAGE,
        MAX_SESSIONS_PER_ACCOUNT, MemberRoom, NameOwned, NewCredential, PrivateRoom, RoomAccess,
        RoomExists, TOKEN_ID_CHARS, TokenListing,
    },
};
use async_trait::async_trait;
use chinwag_shared::{NameKey, RoomName, Username};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;

/// The directory in SQLite.
pub struct SqliteAccounts {
    /// The directory's own write connection.
    pub(super) conn: SideWriter,
    /// The store's read-only connections, shared: a storm of session checks reads in
    /// parallel, within the store's bound on readers, instead of queueing on `conn`.
    pub(super) readers: ReaderPool,
}

impl SqliteAccounts {
    /// The directory of the database at `path`, whose schema [`super::SqliteStore::open`]
    /// has brought up to date, reading through that store's `readers`.
    pub(super) fn open(path: &Path, readers: ReaderPool) -> Result<Self, StoreError> {
        Ok(Self {
            conn: SideWriter::open(path)?,
            readers,
        })
    }

    /// Runs `work` on the directory's write connection on the blocking pool.
    async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.conn.run(work).await
    }
}

#[async_trait]
impl Accounts for SqliteAccounts {
    async fn create_account(
        &self,
        name: &Username,
        password_hash: &str,
        now: u64,
    ) -> Result<Result<Account, NameOwned>, StoreError> {
        let (name, hash) = (name.clone(), password_hash.to_owned());
        self.run(move |conn| {
            let id: Option<i64> = conn
                .prepare_cached(
                    "INSERT INTO accounts (name, name_key, password_hash, created)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (name_key) DO NOTHING RETURNING id",
                )?
                .query_row(
                    params![name.as_str(), name.hold_key().as_str(), hash, to_i64(now)],
                    |row| row.get(0),
                )
                .optional()?;
            Ok(id.map_or(Err(NameOwned), |id| {
                Ok(Account {
                    id: AccountId::new(id.to_string()),
                    name,
                    password_hash: hash,
                    created: now,
                    disabled: false,
                })
            }))
        })
        .await
    }

    async fn restore_account(
        &self,
        account: &Account,
    ) -> Result<Result<(), AccountTaken>, StoreError> {
        let account = account.clone();
        self.run(move |conn| {
            // No conflict target: a taken id and a taken name key both insert nothing. An id
            // above the AUTOINCREMENT counter moves it, so later sign-ups come after.
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO accounts (id, name, name_key, password_hash, created, disabled)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                )?
                .execute(params![
                    account.id.as_str(),
                    account.name.as_str(),
                    account.name.hold_key().as_str(),
                    account.password_hash,
                    to_i64(account.created),
                    account.disabled,
                ])?;
            Ok(if inserted == 1 {
                Ok(())
            } else {
                Err(AccountTaken)
            })
        })
        .await
    }

    async fn account_by_key(&self, key: &NameKey) -> Result<Option<Account>, StoreError> {
        let key = key.as_str().to_owned();
        self.readers
            .read(move |conn| {
                conn.prepare_cached(&format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE name_key = ?1"
                ))?
                .query_row([key], account_row)
                .optional()?
                .map(account_of)
                .transpose()
            })
            .await
    }

    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        let Ok(id) = id.as_str().parse::<i64>() else {
            return Ok(None);
        };
        self.readers
            .read(move |conn| {
                conn.prepare_cached(&format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"
                ))?
                .query_row([id], account_row)
                .optional()?
                .map(account_of)
                .transpose()
            })
            .await
    }

    async fn list_accounts(
        &self,
        query: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Account>, StoreError> {
        let (query, after) = (query.map(str::to_owned), after.map(str::to_owned));
        let limit = limit.min(MAX_ACCOUNTS_PAGE);
        self.readers
            .read(move |conn| list_accounts(conn, query.as_deref(), after.as_deref(), limit))
            .await
    }

    async fn set_disabled(&self, id: &AccountId, disabled: bool) -> Result<bool, StoreError> {
        let id = id.as_str().to_owned();
        self.run(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE accounts SET disabled = ?2 WHERE id = ?1 AND disabled <> ?2",
                )?
                .execute(params![id, disabled])?;
            Ok(changed > 0)
        })
        .await
    }

    async fn set_password(&self, id: &AccountId, password_hash: &str) -> Result<(), StoreError> {
        let (id, hash) = (id.as_str().to_owned(), password_hash.to_owned());
        self.run(move |conn| {
            conn.prepare_cached("UPDATE accounts SET password_hash = ?2 WHERE id = ?1")?
                .execute(params![id, hash])?;
            Ok(())
        })
        .await
    }

    async fn create_credential(&self, credential: NewCredential) -> Result<(), StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction()?;
            tx.prepare_cached(
                "INSERT INTO credentials (digest, account, kind, name, created, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                credential.digest,
                credential.account.as_str(),
                credential.kind.as_str(),
                credential.name,
                to_i64(credential.created),
                credential.expires.map(to_i64),
            ])?;
            if credential.kind == CredentialKind::Session {
                tx.prepare_cached(
                    "DELETE FROM credentials WHERE account = ?1 AND kind = 'session'
                       AND (expires <= ?2 OR digest NOT IN (
                           SELECT digest FROM credentials WHERE account = ?1 AND kind = 'session'
                           ORDER BY created DESC, digest LIMIT ?3))",
                )?
                .execute(params![
                    credential.account.as_str(),
                    to_i64(credential.created),
                    to_i64(MAX_SESSIONS_PER_ACCOUNT as u64),
                ])?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn credential(&self, digest: &str) -> Result<Option<Credential>, StoreError> {
        let digest = digest.to_owned();
        self.readers
            .read(move |conn| {
                let row = conn
                    .prepare_cached(
                        "SELECT c.account, a.name, c.kind, c.expires
                     FROM credentials c JOIN accounts a ON a.id = c.account
                     WHERE c.digest = ?1",
                    )?
                    .query_row([digest], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                            row.get::<_, Option<i64>>(3)?,
                        ))
                    })
                    .optional()?;
                let Some((account, name, kind, expires)) = row else {
                    return Ok(None);
                };
                let Some(kind) = CredentialKind::parse(&kind) else {
                    return Ok(None);
                };
                Ok(Some(Credential {
                    account: AccountId::new(account),
                    name: parse_stored(&name, Username::parse)?,
                    kind,
                    expires: expires.map(to_u64),
                }))
            })
            .await
    }

    async fn revoke_credential(&self, digest: &str) -> Result<(), StoreError> {
        let digest = digest.to_owned();
        self.run(move |conn| {
            conn.prepare_cached("DELETE FROM credentials WHERE digest = ?1")?
                .execute([digest])?;
            Ok(())
        })
        .await
    }

    async fn revoke_all(
        &self,
        account: &AccountId,
        kind: CredentialKind,
        keep: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let account = account.as_str().to_owned();
        let keep = keep.unwrap_or_default().to_owned();
        self.run(move |conn| {
            let mut deleted = Vec::new();
            let mut stmt = conn.prepare_cached(
                "DELETE FROM credentials WHERE account = ?1 AND kind = ?2 AND digest <> ?3
                 RETURNING digest",
            )?;
            let rows = stmt.query_map(params![account, kind.as_str(), keep], |row| row.get(0))?;
            for digest in rows {
                deleted.push(digest?);
            }
            Ok(deleted)
        })
        .await
    }

    async fn tokens(&self, account: &AccountId) -> Result<Vec<TokenListing>, StoreError> {
        let account = account.as_str().to_owned();
        self.readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT digest, name, created FROM credentials
                 WHERE account = ?1 AND kind = 'token' ORDER BY created, digest",
                )?;
                let rows = stmt.query_map([account], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, i64>(2)?,
                    ))
                })?;
                let mut tokens = Vec::new();
                for row in rows {
                    let (digest, name, created) = row?;
                    tokens.push(TokenListing {
                        id: digest.chars().take(TOKEN_ID_CHARS).collect(),
                        name,
                        created: to_u64(created),
                    });
                }
                Ok(tokens)
            })
            .await
    }

    async fn revoke_token(
        &self,
        account: &AccountId,
        id: &str,
    ) -> Result<Option<String>, StoreError> {
        // An id is exactly a digest's prefix of hex digits; anything else names no token (and
        // a short one must not match by prefix).
        if id.len() != TOKEN_ID_CHARS || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let (account, id) = (account.as_str().to_owned(), id.to_ascii_lowercase());
        self.run(move |conn| {
            Ok(conn
                .prepare_cached(
                    "DELETE FROM credentials
                     WHERE account = ?1 AND kind = 'token' AND substr(digest, 1, ?3) = ?2
                     RETURNING digest",
                )?
                .query_row(params![account, id, to_i64(TOKEN_ID_CHARS as u64)], |row| {
                    row.get(0)
                })
                .optional()?)
        })
        .await
    }

    async fn create_private_room(
        &self,
        room: &RoomName,
        private: &PrivateRoom,
    ) -> Result<Result<(), RoomExists>, StoreError> {
        let (room, private) = (room.clone(), private.clone());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let created = tx
                .prepare_cached(
                    "INSERT INTO rooms (name, last_id) VALUES (?1, 0) ON CONFLICT (name) DO NOTHING",
                )?
                .execute([room.as_str()])?;
            if created == 0 {
                return Ok(Err(RoomExists));
            }
            tx.prepare_cached("INSERT INTO private_rooms (room, owner, dm) VALUES (?1, ?2, ?3)")?
                .execute(params![
                    room.as_str(),
                    private.owner.as_ref().map(AccountId::as_str),
                    private.dm
                ])?;
            for member in &private.members {
                tx.prepare_cached("INSERT INTO room_members (room, account) VALUES (?1, ?2)")?
                    .execute(params![room.as_str(), member.as_str()])?;
            }
            tx.commit()?;
            Ok(Ok(()))
        })
        .await
    }

    async fn room_access(&self, room: &RoomName) -> Result<RoomAccess, StoreError> {
        let room = room.as_str().to_owned();
        self.readers
            .read(move |conn| {
                let row = conn
                    .prepare_cached("SELECT owner, dm FROM private_rooms WHERE room = ?1")?
                    .query_row([&room], |row| {
                        Ok((row.get::<_, Option<String>>(0)?, row.get::<_, bool>(1)?))
                    })
                    .optional()?;
                let Some((owner, dm)) = row else {
                    return Ok(RoomAccess::Public);
                };
                let mut stmt =
                    conn.prepare_cached("SELECT account FROM room_members WHERE room = ?1")?;
                let members = stmt
                    .query_map([&room], |row| row.get::<_, String>(0))?
                    .map(|member| member.map(AccountId::new))
                    .collect::<Result<_, _>>()?;
                Ok(RoomAccess::Private(PrivateRoom {
                    owner: owner.map(AccountId::new),
                    members,
                    dm,
                }))
            })
            .await
    }

    async fn set_member(
        &self,
        room: &RoomName,
        account: &AccountId,
        member: bool,
    ) -> Result<(), StoreError> {
        let (room, account) = (room.as_str().to_owned(), account.as_str().to_owned());
        self.run(move |conn| {
            let sql = if member {
                "INSERT INTO room_members (room, account) VALUES (?1, ?2)
                 ON CONFLICT (room, account) DO NOTHING"
            } else {
                "DELETE FROM room_members WHERE room = ?1 AND account = ?2"
            };
            conn.prepare_cached(sql)?.execute(params![room, account])?;
            Ok(())
        })
        .await
    }

    async fn rooms_of(&self, account: &AccountId) -> Result<Vec<MemberRoom>, StoreError> {
        let account = account.as_str().to_owned();
        self.readers
            .read(move |conn| {
                // The owner's and the other DM member's names come from the accounts table; a
                // JWT identity has no row there, so its name is not shown (None).
                let mut stmt = conn.prepare_cached(
                    "SELECT p.room, p.dm, owner.name,
                        (SELECT a.name FROM room_members o JOIN accounts a ON a.id = o.account
                          WHERE o.room = p.room AND o.account <> ?1 LIMIT 1),
                        COALESCE(r.last_id, 0)
                 FROM room_members m
                 JOIN private_rooms p ON p.room = m.room
                 LEFT JOIN accounts owner ON owner.id = p.owner
                 LEFT JOIN rooms r ON r.name = p.room
                 WHERE m.account = ?1
                 ORDER BY p.room",
                )?;
                let rows = stmt.query_map([&account], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, bool>(1)?,
                        row.get::<_, Option<String>>(2)?,
                        row.get::<_, Option<String>>(3)?,
                        row.get::<_, i64>(4)?,
                    ))
                })?;
                let mut rooms = Vec::new();
                for row in rows {
                    let (room, dm, owner, other, last_id) = row?;
                    let name = |raw: Option<String>| {
                        raw.map(|raw| parse_stored(&raw, Username::parse))
                            .transpose()
                    };
                    rooms.push(MemberRoom {
                        room: parse_stored(&room, RoomName::parse)?,
                        owner: if dm { None } else { name(owner)? },
                        dm_with: if dm { name(other)? } else { None },
                        last_id: to_u64(last_id),
                    });
                }
                Ok(rooms)
            })
            .await
    }
}
