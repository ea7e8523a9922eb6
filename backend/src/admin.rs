//! Command-line administration (`chinwag accounts …`): acts an operator takes on the store
//! directly, without a running server or an admin account to sign in with, which is how the
//! first site admin is made.
//!
//! It opens the same engine a server would (`--db` or `--redis`) and goes through the same
//! directory traits, so it is safe while a server runs on that store: SQLite serialises the
//! two writers, Redis runs each command atomically. A server notices a new admin within the
//! hub's rules TTL (`hub::rules`).

use crate::{
    cluster::{Link, accounts::RedisAccounts, moderation::RedisModeration},
    config::{AccountsCommand, Config},
    delivery::rooms::Rooms,
    fanout::local::LocalFanout,
    hub::Directory,
    store::{StoreError, sqlite::SqliteStore},
};
use chinwag_shared::Username;
use std::{sync::Arc, time::Duration};

/// Why an administrative command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The name given is not a valid username.
    #[error("{0:?} is not a valid account name")]
    BadName(String),
    /// No account has that name.
    #[error("no account is named {0}")]
    NoSuchAccount(String),
    /// The store could not be opened or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs `command` against the store `config` names; answers what to tell the operator.
pub async fn run(config: &Config, command: &AccountsCommand) -> Result<String, AdminError> {
    let Directory {
        accounts,
        moderation,
    } = open(config)?;
    let (name, admin) = match command {
        AccountsCommand::GrantAdmin { name } => (name, true),
        AccountsCommand::RevokeAdmin { name } => (name, false),
    };
    let username = Username::parse(name).map_err(|_| AdminError::BadName(name.clone()))?;
    let account = accounts
        .account_by_key(&username.hold_key())
        .await?
        .ok_or_else(|| AdminError::NoSuchAccount(name.clone()))?;
    let changed = moderation.set_admin(&account.id, admin).await?;
    Ok(match (admin, changed) {
        (true, true) => format!("{} is a site admin now", account.name),
        (true, false) => format!("{} was a site admin already", account.name),
        (false, true) => format!("{} is no longer a site admin", account.name),
        (false, false) => format!("{} was not a site admin", account.name),
    })
}

/// The directory of the engine `config` names.
fn open(config: &Config) -> Result<Directory, StoreError> {
    if let Some(url) = &config.redis {
        let link = Link::new(url, Duration::from_millis(config.redis_timeout_ms.max(1)))?;
        return Ok(Directory {
            accounts: Arc::new(RedisAccounts::new(link.clone())),
            moderation: Arc::new(RedisModeration::new(link)),
        });
    }
    // Nothing is broadcast from here: the store's publisher reaches no one.
    let nobody = Arc::new(LocalFanout::new(Arc::new(Rooms::new(0))));
    let store = SqliteStore::open(&config.db, config.sqlite_sync, nobody)?;
    Ok(Directory {
        accounts: Arc::new(store.directory(&config.db)?),
        moderation: Arc::new(store.moderation(&config.db)?),
    })
}
