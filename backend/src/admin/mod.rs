//! Command-line administration: acts an operator takes on the store directly, without a
//! running server or an admin account to sign in with, which is how the first site admin is
//! made.
//!
//! [`Engine::open`] opens the same engine a server would (`--db` or `--redis`), and every
//! command goes through the same store and directory traits a server uses, so it is safe
//! while a server runs on that store: SQLite serialises the writers, Redis runs each script
//! atomically. A running server notices what changed within its caches' lifetimes: a new
//! admin within the hub's rules TTL (`hub::rules`), revoked credentials within
//! [`crate::auth::SESSION_CACHE_TTL`]. The `accounts` commands are in [`accounts`];
//! `export` and `import` in [`crate::portability`].

pub mod accounts;

use crate::{
    auth::password::{PasswordError, WeakPassword},
    cluster::{Link, RedisStore, accounts::RedisAccounts, moderation::RedisModeration},
    config::Config,
    delivery::rooms::Rooms,
    fanout::local::LocalFanout,
    hub::Directory,
    store::{Store, StoreError, sqlite::SqliteStore},
};
use std::{
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};

/// Why an administrative command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The name given is not a valid username.
    #[error("{0:?} is not a valid account name")]
    BadName(String),
    /// No account has that name.
    #[error("no account is named {0}")]
    NoSuchAccount(String),
    /// An account owns that name already, or one that looks like it.
    #[error("an account already owns the name {0} or one that looks like it")]
    NameTaken(String),
    /// Standard input held no password.
    #[error("no password on standard input (its first line is the password)")]
    NoPassword,
    /// The password breaks the sign-up rules.
    #[error(transparent)]
    WeakPassword(#[from] WeakPassword),
    /// The password could not be hashed.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// Reading standard input or writing standard output failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The store could not be opened or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The store a command acts on: the log and the directories of one engine.
pub struct Engine {
    /// The message log (nothing written through it is broadcast: fan-out reaches no one).
    pub store: Arc<dyn Store>,
    /// Accounts, private rooms, roles.
    pub directory: Directory,
}

impl Engine {
    /// The engine `config` names: Redis at `--redis` if given, else SQLite at `--db`.
    pub fn open(config: &Config) -> Result<Self, StoreError> {
        if let Some(target) = config.redis_target() {
            let link = Link::open(
                &target,
                Duration::from_millis(config.redis_timeout_ms.max(1)),
            )?;
            let subscribed = Arc::new(AtomicBool::new(true));
            return Ok(Self {
                store: Arc::new(RedisStore::new(
                    link.clone(),
                    config.history_max_len,
                    subscribed,
                )),
                directory: Directory {
                    accounts: Arc::new(RedisAccounts::new(link.clone())),
                    moderation: Arc::new(RedisModeration::new(link)),
                },
            });
        }
        // Nothing is broadcast from here: the store's publisher reaches no one.
        let nobody = Arc::new(LocalFanout::new(Arc::new(Rooms::new(0))));
        let store = SqliteStore::open(&config.db, config.sqlite_sync, nobody)?;
        let directory = Directory {
            accounts: Arc::new(store.directory(&config.db)?),
            moderation: Arc::new(store.moderation(&config.db)?),
        };
        Ok(Self {
            store: Arc::new(store),
            directory,
        })
    }

    /// Finishes every write (SQLite's writer thread) before the process exits.
    pub async fn close(&self) {
        self.store.close().await;
    }
}
