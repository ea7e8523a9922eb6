//! The embedded engine's API keys ([`ApiKeys`]): the `api_keys` table, written through the
//! directory's own connection and read on the store's pool, like the rest of
//! [`SqliteAccounts`]. The bound and the insert are one `IMMEDIATE` transaction, so two
//! servers on one file never pass [`MAX_API_KEYS`] together.

use super::{
    SqliteAccounts, SqliteError,
    values::{parse_stored, to_i64, to_u64},
};
use crate::store::{
    StoreError,
    api_keys::{ApiKey, ApiKeys, MAX_API_KEYS, TooManyKeys},
};
use async_trait::async_trait;
use chinwag_shared::Username;
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};

/// A key's row before re-validation: id, name, scopes, created_by, created.
type KeyRow = (String, String, String, String, i64);

fn key_row(row: &Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn key_of((id, name, scopes, created_by, created): KeyRow) -> Result<ApiKey, StoreError> {
    let scopes = ApiKey::parse_scopes(&scopes).ok_or(SqliteError::Unreadable {
        column: "api_keys.scopes",
        raw: scopes,
    })?;
    Ok(ApiKey {
        id,
        name,
        scopes,
        created_by: parse_stored(&created_by, Username::parse)?,
        created: to_u64(created),
    })
}

#[async_trait]
impl ApiKeys for SqliteAccounts {
    async fn create_api_key(
        &self,
        digest: &str,
        key: &ApiKey,
    ) -> Result<Result<(), TooManyKeys>, StoreError> {
        let (digest, key) = (digest.to_owned(), key.clone());
        self.conn
            .run(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let held: i64 =
                    tx.query_row("SELECT count(*) FROM api_keys", [], |row| row.get(0))?;
                if to_u64(held) >= MAX_API_KEYS as u64 {
                    return Ok(Err(TooManyKeys));
                }
                tx.prepare_cached(
                    "INSERT INTO api_keys (digest, id, name, scopes, created_by, created)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    digest,
                    key.id,
                    key.name,
                    key.scopes_text(),
                    key.created_by.as_str(),
                    to_i64(key.created),
                ])?;
                tx.commit()?;
                Ok(Ok(()))
            })
            .await
    }

    async fn api_key(&self, digest: &str) -> Result<Option<ApiKey>, StoreError> {
        let digest = digest.to_owned();
        self.readers
            .read(move |conn| {
                conn.prepare_cached(
                    "SELECT id, name, scopes, created_by, created FROM api_keys WHERE digest = ?1",
                )?
                .query_row([digest], key_row)
                .optional()?
                .map(key_of)
                .transpose()
            })
            .await
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.readers
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT id, name, scopes, created_by, created FROM api_keys
                     ORDER BY created, id",
                )?;
                let rows = stmt.query_map([], key_row)?;
                rows.map(|row| key_of(row?)).collect()
            })
            .await
    }

    async fn revoke_api_key(&self, id: &str) -> Result<Option<String>, StoreError> {
        if !ApiKey::is_id(id) {
            return Ok(None);
        }
        let id = id.to_ascii_lowercase();
        self.conn
            .run(move |conn| {
                Ok(conn
                    .prepare_cached("DELETE FROM api_keys WHERE id = ?1 RETURNING digest")?
                    .query_row([id], |row| row.get(0))
                    .optional()?)
            })
            .await
    }
}
