//! SCRATCH (not to be committed): a do-nothing moderation directory so the tree builds until
//! the engines land.
#![allow(missing_docs)]
use super::{StoreError, accounts::AccountId, moderation::*};
use async_trait::async_trait;
use chinwag_shared::{
    RoomName,
    moderation::{AuditEntry, SanctionKind},
};
pub struct Scratch;
#[async_trait]
impl Moderation for Scratch {
    async fn room_rules(&self, _: &RoomName) -> Result<RoomRules, StoreError> {
        Ok(RoomRules::default())
    }
    async fn site_rules(&self) -> Result<SiteRules, StoreError> {
        Ok(SiteRules::default())
    }
    async fn set_owner(&self, _: &RoomName, _: &AccountId) -> Result<(), StoreError> {
        Ok(())
    }
    async fn set_moderator(
        &self,
        _: &RoomName,
        _: &AccountId,
        _: bool,
    ) -> Result<bool, StoreError> {
        Ok(true)
    }
    async fn set_admin(&self, _: &AccountId, _: bool) -> Result<bool, StoreError> {
        Ok(true)
    }
    async fn set_slow_mode(&self, _: &RoomName, _: u32) -> Result<(), StoreError> {
        Ok(())
    }
    async fn impose(&self, _: &Sanction) -> Result<Result<(), TooManySanctions>, StoreError> {
        Ok(Ok(()))
    }
    async fn lift(&self, _: &Scope, _: &Subject, _: SanctionKind) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn audit(&self, _: &RoomName, _: NewAudit) -> Result<u64, StoreError> {
        Ok(1)
    }
    async fn audit_log(
        &self,
        _: &RoomName,
        _: Option<u64>,
        _: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(vec![])
    }
    async fn set_read_marker(
        &self,
        _: &AccountId,
        _: &RoomName,
        id: u64,
    ) -> Result<u64, StoreError> {
        Ok(id)
    }
    async fn read_markers(&self, _: &AccountId) -> Result<Vec<(RoomName, u64)>, StoreError> {
        Ok(vec![])
    }
}
