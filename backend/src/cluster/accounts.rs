//! The Redis engine's directory ([`Accounts`]): being written; every call fails for now.

use super::Link;
use crate::store::{
    StoreError,
    accounts::{
        Account, AccountId, Accounts, Credential, CredentialKind, MemberRoom, NameOwned,
        NewCredential, PrivateRoom, RoomAccess, RoomExists, TokenListing,
    },
};
use async_trait::async_trait;
use chinwag_shared::{NameKey, RoomName, Username};

/// The directory in Redis.
pub struct RedisAccounts {
    #[expect(dead_code, reason = "placeholder")]
    link: Link,
}

impl RedisAccounts {
    /// The directory on `link`.
    pub fn new(link: Link) -> Self {
        Self { link }
    }
}

fn pending() -> StoreError {
    StoreError::Closed
}

#[async_trait]
impl Accounts for RedisAccounts {
    async fn create_account(
        &self,
        _name: &Username,
        _password_hash: &str,
        _now: u64,
    ) -> Result<Result<Account, NameOwned>, StoreError> {
        Err(pending())
    }
    async fn account_by_key(&self, _key: &NameKey) -> Result<Option<Account>, StoreError> {
        Err(pending())
    }
    async fn account(&self, _id: &AccountId) -> Result<Option<Account>, StoreError> {
        Err(pending())
    }
    async fn set_password(&self, _id: &AccountId, _hash: &str) -> Result<(), StoreError> {
        Err(pending())
    }
    async fn create_credential(&self, _credential: NewCredential) -> Result<(), StoreError> {
        Err(pending())
    }
    async fn credential(&self, _digest: &str) -> Result<Option<Credential>, StoreError> {
        Err(pending())
    }
    async fn revoke_credential(&self, _digest: &str) -> Result<(), StoreError> {
        Err(pending())
    }
    async fn revoke_all(
        &self,
        _account: &AccountId,
        _kind: CredentialKind,
        _keep: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        Err(pending())
    }
    async fn tokens(&self, _account: &AccountId) -> Result<Vec<TokenListing>, StoreError> {
        Err(pending())
    }
    async fn revoke_token(
        &self,
        _account: &AccountId,
        _id: &str,
    ) -> Result<Option<String>, StoreError> {
        Err(pending())
    }
    async fn create_private_room(
        &self,
        _room: &RoomName,
        _private: &PrivateRoom,
    ) -> Result<Result<(), RoomExists>, StoreError> {
        Err(pending())
    }
    async fn room_access(&self, _room: &RoomName) -> Result<RoomAccess, StoreError> {
        Ok(RoomAccess::Public)
    }
    async fn set_member(
        &self,
        _room: &RoomName,
        _account: &AccountId,
        _member: bool,
    ) -> Result<(), StoreError> {
        Err(pending())
    }
    async fn rooms_of(&self, _account: &AccountId) -> Result<Vec<MemberRoom>, StoreError> {
        Err(pending())
    }
}
