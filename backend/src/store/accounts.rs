//! The directory: accounts, their credentials, and who may enter which private room.
//!
//! Identity (`auth`) and the hub's access rule are its callers; the embedded engine keeps it in
//! SQLite tables ([`crate::store::sqlite::SqliteAccounts`]), the Redis engine in Redis keys
//! (`crate::cluster::RedisAccounts`), so an account made through one node is known to all.
//! Invariants every engine keeps:
//! - an account's name is owned by its [`NameKey`] (case and look-alikes folded): two accounts
//!   never share a key, and the check and the insert are one atomic step;
//! - a credential is stored only as the SHA-256 digest of its secret, so a copy of the store
//!   signs nobody in;
//! - a room is private from its creation on, or never: a room that has messages cannot be
//!   created again as private, so a public room's readers are never shut out later.

use super::{StoreError, api_keys::ApiKeys};
use async_trait::async_trait;
use chinwag_shared::{NameKey, RoomName, Username};
use std::{collections::BTreeSet, fmt, sync::Arc};

/// An account's stable id, given by the engine when it is created ("17", never reused).
/// JWT identities, which have no account row, are named `jwt:{sub}` instead.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(Arc<str>);

impl AccountId {
    /// Wraps an id read from an engine or a token.
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        Self(id.into())
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// Its name as chosen at sign-up (shown; compared through its [`NameKey`]).
    pub name: Username,
    /// The Argon2id PHC string of its password.
    pub password_hash: String,
    /// When it was made, Unix milliseconds.
    pub created: u64,
    /// Whether an operator disabled it. The store only keeps the flag; refusing the
    /// account's sign-ins and credentials is identity's job (`auth`).
    pub disabled: bool,
}

/// Accounts one call of [`Accounts::list_accounts`] returns at most, whatever it is asked:
/// a page is built in memory.
pub const MAX_ACCOUNTS_PAGE: usize = 1000;

/// Whether an account named `name` matches the search `query` of
/// [`Accounts::list_accounts`]: `query` appears in the name, compared in lower case (Unicode
/// lowercasing, so `ИВАН` finds `Иван`). Both engines filter through here, so a search finds
/// the same accounts on either.
pub fn name_matches(name: &Username, query: &str) -> bool {
    name.as_str()
        .to_lowercase()
        .contains(query.to_lowercase().as_str())
}

/// What a credential lets its bearer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A browser session (the cookie); expires.
    Session,
    /// A personal access token, for programs; lives until revoked.
    AccessToken,
}

impl CredentialKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Session => "session",
            CredentialKind::AccessToken => "token",
        }
    }

    /// Reads the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "session" => Some(CredentialKind::Session),
            "token" => Some(CredentialKind::AccessToken),
            _ => None,
        }
    }
}

/// A credential to store: the digest of a fresh secret and what it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    /// Hex SHA-256 of the secret (see `auth::secret`).
    pub digest: String,
    /// Whose it is.
    pub account: AccountId,
    /// Session or access token.
    pub kind: CredentialKind,
    /// An access token's name ("ci bot"); empty for sessions.
    pub name: String,
    /// When it was made, Unix milliseconds.
    pub created: u64,
    /// When it stops working, Unix milliseconds; `None` until revoked.
    pub expires: Option<u64>,
}

/// A stored credential, found by its digest, with the account it signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The account it signs in (id and name).
    pub account: AccountId,
    /// The account's name.
    pub name: Username,
    /// Session or access token.
    pub kind: CredentialKind,
    /// When it stops working, Unix milliseconds; `None` until revoked.
    pub expires: Option<u64>,
}

/// An access token as listed to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenListing {
    /// Its id: the first [`TOKEN_ID_CHARS`] hex digits of its digest.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was made, Unix milliseconds.
    pub created: u64,
}

/// Hex digits of a credential's digest that name it in listings and revocations: 64 bits, so
/// an owner's tokens never collide, and the full digest is never shown.
pub const TOKEN_ID_CHARS: usize = 16;

/// Sessions one account keeps at most; signing in past it ends the oldest.
pub const MAX_SESSIONS_PER_ACCOUNT: usize = 100;

/// Who may enter a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomAccess {
    /// Anyone (the default for every room never created as private).
    Public,
    /// Only its members.
    Private(PrivateRoom),
}

/// A private room's owner and members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateRoom {
    /// Who adds and removes members; `None` for a direct message, which nobody owns.
    pub owner: Option<AccountId>,
    /// Everyone who may enter, the owner included.
    pub members: BTreeSet<AccountId>,
    /// Whether it is a direct message between exactly its two members.
    pub dm: bool,
}

impl PrivateRoom {
    /// Whether `account` may enter.
    pub fn admits(&self, account: &AccountId) -> bool {
        self.members.contains(account)
    }
}

/// A private room as one of its members sees it in their list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRoom {
    /// The room.
    pub room: RoomName,
    /// Its owner's name, for a private room that is not a direct message.
    pub owner: Option<Username>,
    /// For a direct message: the other member's name.
    pub dm_with: Option<Username>,
    /// Its newest id (0 if none).
    pub last_id: u64,
}

/// The name is owned by an account already (the same [`NameKey`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an account already owns that name or one that looks like it")]
pub struct NameOwned;

/// An account holds that name (or a look-alike) or that id already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an account already holds that name, one that looks like it, or that id")]
pub struct AccountTaken;

/// A room of that name exists already (it has messages, or was created as private).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a room of that name exists already")]
pub struct RoomExists;

/// The directory, in both engines. It holds the server API's keys too ([`ApiKeys`]): every
/// engine's directory is also its key store, so whoever holds the directory can check a key.
#[async_trait]
pub trait Accounts: ApiKeys + Send + Sync + 'static {
    /// Creates an account named `name` unless an account owns its [`NameKey`].
    async fn create_account(
        &self,
        name: &Username,
        password_hash: &str,
        now: u64,
    ) -> Result<Result<Account, NameOwned>, StoreError>;

    /// Stores `account` exactly as given, its id, creation time and disabled flag included,
    /// unless an account holds its [`NameKey`] or its id: how `chinwag import` brings accounts
    /// back with the ids that direct messages' names and roles were made from. Ids drawn
    /// later by [`Accounts::create_account`] come after it. `account.id` is an engine id
    /// (decimal digits), never a JWT identity's.
    async fn restore_account(
        &self,
        account: &Account,
    ) -> Result<Result<(), AccountTaken>, StoreError>;

    /// The account owning `key`, if any.
    async fn account_by_key(&self, key: &NameKey) -> Result<Option<Account>, StoreError>;

    /// The account with id `id`, if any.
    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError>;

    /// Up to `limit` (at most [`MAX_ACCOUNTS_PAGE`]) accounts whose names match `query` (see
    /// [`name_matches`]; every account without one), ordered by their names' [`NameKey`]s,
    /// starting just after the key `after` (the last key of the previous page: the
    /// `hold_key()` of its last account's name).
    async fn list_accounts(
        &self,
        query: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Account>, StoreError>;

    /// Marks `id` disabled or enabled again; true if that changed it (false for an account
    /// already so, or none). Its credentials are left alone: revoking them is the caller's
    /// step ([`Accounts::revoke_all`]).
    async fn set_disabled(&self, id: &AccountId, disabled: bool) -> Result<bool, StoreError>;

    /// Replaces `id`'s password hash.
    async fn set_password(&self, id: &AccountId, password_hash: &str) -> Result<(), StoreError>;

    /// Stores a credential. Storing a session also forgets the account's expired sessions and
    /// all but its newest [`MAX_SESSIONS_PER_ACCOUNT`], so signing in again and again cannot
    /// grow the store without bound.
    async fn create_credential(&self, credential: NewCredential) -> Result<(), StoreError>;

    /// The credential whose digest is `digest`, if it exists (expired ones included: the
    /// caller compares `expires` with its clock).
    async fn credential(&self, digest: &str) -> Result<Option<Credential>, StoreError>;

    /// Deletes the credential `digest`. Deleting one that is gone is not an error.
    async fn revoke_credential(&self, digest: &str) -> Result<(), StoreError>;

    /// Deletes every credential of `account` of `kind`, except `keep` (a digest), and returns
    /// the digests deleted, so callers can forget them wherever they are cached.
    async fn revoke_all(
        &self,
        account: &AccountId,
        kind: CredentialKind,
        keep: Option<&str>,
    ) -> Result<Vec<String>, StoreError>;

    /// `account`'s access tokens, oldest first.
    async fn tokens(&self, account: &AccountId) -> Result<Vec<TokenListing>, StoreError>;

    /// Deletes `account`'s access token with listing id `id`, returning its digest, or `None`
    /// if it has none such.
    async fn revoke_token(
        &self,
        account: &AccountId,
        id: &str,
    ) -> Result<Option<String>, StoreError>;

    /// Creates `room` as private, with `members` (the owner among them, if any), unless a room
    /// of that name exists.
    async fn create_private_room(
        &self,
        room: &RoomName,
        private: &PrivateRoom,
    ) -> Result<Result<(), RoomExists>, StoreError>;

    /// Who may enter `room`.
    async fn room_access(&self, room: &RoomName) -> Result<RoomAccess, StoreError>;

    /// Adds `account` to, or removes it from, private `room`'s members.
    async fn set_member(
        &self,
        room: &RoomName,
        account: &AccountId,
        member: bool,
    ) -> Result<(), StoreError>;

    /// The private rooms and direct messages `account` is a member of.
    async fn rooms_of(&self, account: &AccountId) -> Result<Vec<MemberRoom>, StoreError>;
}
