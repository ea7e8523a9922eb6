//! The site's own moderation, for the operators' console: who is a site admin, granting and
//! revoking it, and the site-wide mutes and bans in force. Every change lands in the site's
//! audit log ([`Hub::record_site_act`]).
//!
//! Whether someone is a site admin ([`Hub::is_site_admin`], in `hub::site`) is read from the site rules cached for
//! [`RULES_TTL`](crate::hub::rules::RULES_TTL): a grant or revocation through this node holds
//! at once, through another within that time.

use super::ActError;
use crate::{
    auth::Identity,
    hub::{Hub, rules::now_ms},
    store::{
        StoreError,
        accounts::{Account, AccountId},
    },
};
use chinwag_shared::moderation::{AuditAction, SanctionView};
use std::collections::BTreeSet;

impl Hub {
    /// The accounts granted site admin in the directory.
    pub async fn site_admins(&self) -> Result<BTreeSet<AccountId>, StoreError> {
        Ok(self.rules.site().await?.admins.clone())
    }

    /// Grants (or revokes) site admin to `account`, as `actor` (a site admin: the caller
    /// checked); whether that changed anything. No one revokes their own: a site must not
    /// lose its last admin by a slip.
    pub async fn set_site_admin(
        &self,
        actor: &Identity,
        account: &Account,
        admin: bool,
    ) -> Result<bool, ActError> {
        if !admin && account.id == actor.account {
            return Err(ActError::Forbidden(
                "you may not revoke your own admin; ask another admin",
            ));
        }
        let changed = self.moderation().set_admin(&account.id, admin).await?;
        self.rules.forget_all();
        if changed {
            let action = if admin {
                AuditAction::GrantAdmin
            } else {
                AuditAction::RevokeAdmin
            };
            self.record_site_act(&actor.name, action, Some(&account.name), String::new())
                .await;
        }
        Ok(changed)
    }

    /// The site-wide mutes and bans in force now (admins only: the caller checked), newest
    /// first.
    pub async fn site_sanctions(&self) -> Result<Vec<SanctionView>, StoreError> {
        let site = self.rules.site().await?;
        let now = now_ms();
        let mut views: Vec<SanctionView> = site
            .sanctions
            .iter()
            .filter(|sanction| sanction.in_force(now))
            .map(|sanction| super::sanctions::view(sanction, true))
            .collect();
        views.sort_by_key(|view| std::cmp::Reverse(view.created));
        Ok(views)
    }
}
