//! Account rows of the SQLite directory: how a row reads back as an [`Account`]
//! ([`ACCOUNT_COLUMNS`], [`account_row`], [`account_of`]) and the listing scan by name key
//! ([`list_accounts`]), which filters names in Rust ([`name_matches`]: SQLite's `lower()`
//! folds ASCII only) a bounded step of rows at a time.

use super::values::{parse_stored, to_u64};
use crate::store::{
    StoreError,
    accounts::{Account, AccountId, name_matches},
};
use chinwag_shared::Username;
use rusqlite::{Connection, params};

/// The columns [`account_row`] reads, in its order.
pub(super) const ACCOUNT_COLUMNS: &str = "id, name, password_hash, created, disabled";

/// An `accounts` row as selected with [`ACCOUNT_COLUMNS`].
pub(super) struct AccountRow {
    id: i64,
    name: String,
    password_hash: String,
    created: i64,
    disabled: bool,
}

pub(super) fn account_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok(AccountRow {
        id: row.get(0)?,
        name: row.get(1)?,
        password_hash: row.get(2)?,
        created: row.get(3)?,
        disabled: row.get(4)?,
    })
}

pub(super) fn account_of(row: AccountRow) -> Result<Account, StoreError> {
    Ok(Account {
        id: AccountId::new(row.id.to_string()),
        name: parse_stored(&row.name, Username::parse)?,
        password_hash: row.password_hash,
        created: to_u64(row.created),
        disabled: row.disabled,
    })
}

/// Rows [`Accounts::list_accounts`] reads at a time while it filters by name: a search that
/// matches few accounts walks the index in steps of this many, never holding more.
const LIST_SCAN_ROWS: i64 = 256;

/// Up to `limit` accounts matching `query`, by name key, after the key `after`.
pub(super) fn list_accounts(
    conn: &Connection,
    query: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Account>, StoreError> {
    let mut found = Vec::new();
    let mut cursor = after.unwrap_or_default().to_owned();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ACCOUNT_COLUMNS}, name_key FROM accounts WHERE name_key > ?1
         ORDER BY name_key LIMIT ?2"
    ))?;
    while found.len() < limit {
        let mut rows = stmt.query(params![cursor, LIST_SCAN_ROWS])?;
        let mut read = 0;
        while let Some(row) = rows.next()? {
            read += 1;
            cursor = row.get(5)?;
            let account = account_of(account_row(row)?)?;
            if query.is_none_or(|query| name_matches(&account.name, query)) {
                found.push(account);
                if found.len() == limit {
                    break;
                }
            }
        }
        if read < LIST_SCAN_ROWS {
            break;
        }
    }
    Ok(found)
}
