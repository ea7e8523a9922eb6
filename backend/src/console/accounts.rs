//! What the console does to an account: disable and enable it, sign it out everywhere,
//! grant and revoke site admin. Each act is judged here once for every caller, takes effect
//! on every node, and lands in the site's audit log.
//!
//! Disabling an account and signing it out everywhere share their core ([`end_everything`]):
//! every session and access token of it is revoked (so nothing it holds signs in again), and
//! then its open connections are ended on every node through its inbox — sockets close as a
//! sign-out closes them (the user's open tab finds itself signed out), waiting long-polls
//! answer 401. Disabling also marks the account, so signing in is refused (403
//! `account_disabled`) until an admin enables it again. No admin disables or signs out
//! themselves, nor revokes their own admin: the console must not lock out the one using it.

use crate::{
    auth::{Auth, AuthError, Identity, Principal},
    hub::{Hub, moderation::ActError},
    store::{StoreError, accounts::Account},
};
use chinwag_shared::{Username, moderation::AuditAction};

/// Why a console act on an account was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountActError {
    /// No account has that name.
    #[error("no account has that name")]
    NoSuchAccount,
    /// The act would lock its own actor out.
    #[error("{0}")]
    OwnAccount(&'static str),
    /// Revoking credentials failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A moderation rule refused it.
    #[error(transparent)]
    Act(#[from] ActError),
    /// The store failed; nothing is decided.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The account named `name`.
pub async fn account_named(hub: &Hub, name: &Username) -> Result<Account, AccountActError> {
    hub.accounts()
        .account_by_key(&name.hold_key())
        .await?
        .ok_or(AccountActError::NoSuchAccount)
}

fn not_self(
    actor: &Identity,
    account: &Account,
    refusal: &'static str,
) -> Result<(), AccountActError> {
    if actor.account == account.id {
        return Err(AccountActError::OwnAccount(refusal));
    }
    Ok(())
}

/// Revokes every credential of `account` and ends its connections on every node.
async fn end_everything(hub: &Hub, auth: &Auth, account: &Account) -> Result<(), AccountActError> {
    auth.revoke_everything(&account.id).await?;
    hub.end_connections_of(&account.id);
    Ok(())
}

/// Disables `name`: it cannot sign in, and everything it held ends. Disabling one disabled
/// already ends whatever it holds again, and is not logged twice.
pub async fn disable(
    hub: &Hub,
    auth: &Auth,
    actor: &Identity,
    name: &Username,
) -> Result<(), AccountActError> {
    let account = account_named(hub, name).await?;
    not_self(actor, &account, "you may not disable your own account")?;
    // Marked first, then revoked: a sign-in racing this either finds the mark, or made
    // its session before the revocation swept it (and `Auth::sign_in` checks again).
    let changed = hub.accounts().set_disabled(&account.id, true).await?;
    end_everything(hub, auth, &account).await?;
    if changed {
        hub.record_site_act(
            &actor.name,
            AuditAction::Disable,
            Some(&account.name),
            String::new(),
        )
        .await;
    }
    Ok(())
}

/// Enables `name` again: it may sign in (its old sessions stay revoked).
pub async fn enable(hub: &Hub, actor: &Identity, name: &Username) -> Result<(), AccountActError> {
    let account = account_named(hub, name).await?;
    if hub.accounts().set_disabled(&account.id, false).await? {
        hub.record_site_act(
            &actor.name,
            AuditAction::Enable,
            Some(&account.name),
            String::new(),
        )
        .await;
    }
    Ok(())
}

/// Signs `name` out everywhere: every session and token revoked, every connection ended.
pub async fn sign_out_everywhere(
    hub: &Hub,
    auth: &Auth,
    actor: &Principal,
    name: &Username,
) -> Result<(), AccountActError> {
    let account = account_named(hub, name).await?;
    match actor {
        Principal::Account(identity) => not_self(
            identity,
            &account,
            "sign yourself out from your own account's menu, not the console",
        )?,
        // A backend's key moderates people, never the site's admins.
        Principal::Service(_) if hub.site_admins().await?.contains(&account.id) => {
            return Err(AccountActError::Act(ActError::Forbidden(
                "an API key may not sign out a site admin",
            )));
        }
        Principal::Service(_) | Principal::Guest => {}
    }
    end_everything(hub, auth, &account).await?;
    hub.record_site_act_of(
        actor,
        AuditAction::SignOut,
        Some(&account.name),
        String::new(),
    )
    .await;
    Ok(())
}

/// Grants (`admin`) or revokes site admin for `name`.
pub async fn set_admin(
    hub: &Hub,
    actor: &Identity,
    name: &Username,
    admin: bool,
) -> Result<(), AccountActError> {
    let account = account_named(hub, name).await?;
    hub.set_site_admin(actor, &account, admin).await?;
    Ok(())
}
