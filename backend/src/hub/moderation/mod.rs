//! Moderation acts and the message lifecycle, judged in one place for every route and socket.
//!
//! Each act names its actor as a [`Visitor`] and is judged against the room's [`Rules`]: the
//! actor must be let in ([`Hub::enter`]) and hold the role the act needs. Authors edit their
//! own messages within the edit window and delete them at any time; moderators delete any
//! message, mute, kick and ban; owners appoint moderators; admins do all of it everywhere and
//! give public rooms their owners. No one acts on someone of their own role or above.
//!
//! Edits and deletions go through [`crate::store::Store::change`], so they are records of the
//! room's log, delivered live and on resume like messages. Bans and kicks reach the live
//! connections of whom they hold through fan-out (a removal, on every node and transport);
//! a mute reaches the muted account's own connections through its inbox. Every act by a
//! moderator is written to the room's audit log after it took effect.
//!
//! One file per part: [`lifecycle`] (edits and deletions), [`sanctions`] (mutes, bans,
//! kicks), [`settings`] (slow mode, owners, moderators, what a room's settings say),
//! [`site`] (site admins and site-wide sanctions, for the console) and [`audit`] (the logs
//! of acts, each room's and the site's, and their counts). This file holds what they share: the error,
//! who an act names, and the judging of the actor.

mod audit;
mod lifecycle;
mod sanctions;
mod settings;
mod site;

use super::{
    Hub,
    access::AccessError,
    rules::{Rules, Visitor},
};
use crate::{
    auth::{Principal, ServiceKey},
    store::{StoreError, accounts::Account, moderation::Subject},
};
use chinwag_shared::{RoomName, Username, api_keys::ApiScope, moderation::Role};
use std::sync::Arc;

/// Why an act was refused.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    /// Only signed-in accounts act (guests have no identity to hold to account).
    #[error("sign in to do this")]
    Unauthenticated,
    /// The actor may not enter the room (private, banned).
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The actor's role does not allow this act (or not on this subject).
    #[error("{0}")]
    Forbidden(&'static str),
    /// No message has that id in that room (or it is a change record).
    #[error("no message has that id in this room")]
    NoSuchMessage,
    /// The message was deleted.
    #[error("that message was deleted")]
    MessageDeleted,
    /// The edit window has passed (or editing is off).
    #[error("messages can only be edited within {window_secs} s of posting")]
    EditWindowClosed {
        /// The window, in seconds.
        window_secs: u64,
    },
    /// The actor is muted: it may not edit either.
    #[error("you are muted here")]
    Muted,
    /// No account has that name.
    #[error("no account has that name")]
    NoSuchUser,
    /// A value is out of bounds.
    #[error("{0}")]
    Invalid(String),
    /// The scope has as many sanctions as it may.
    #[error(transparent)]
    TooManySanctions(#[from] crate::store::moderation::TooManySanctions),
    /// The store failed; nothing is decided.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whom an act names: an account, or a guest by name.
#[derive(Debug, Clone)]
pub(super) enum Target {
    Account(Account),
    Guest(Username),
}

impl Target {
    pub(super) fn subject(&self) -> Subject {
        match self {
            Target::Account(account) => Subject::Account(account.id.clone()),
            Target::Guest(name) => Subject::GuestName(name.hold_key()),
        }
    }

    pub(super) fn name(&self) -> &Username {
        match self {
            Target::Account(account) => &account.name,
            Target::Guest(name) => name,
        }
    }
}

impl Hub {
    /// Lets `actor` in and answers the rules with the actor's role, refusing guests (and an
    /// API key without the `moderate` scope).
    pub(super) async fn judge(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
    ) -> Result<(Arc<Rules>, Role), ActError> {
        if actor.principal.is_guest() {
            return Err(ActError::Unauthenticated);
        }
        let entry = self.enter_for(actor, room, ApiScope::Moderate).await?;
        let role = entry.rules.role(actor.principal);
        Ok((entry.rules, role))
    }

    /// The account named `username`.
    pub(super) async fn account_named(&self, username: &Username) -> Result<Account, ActError> {
        self.accounts
            .account_by_key(&username.hold_key())
            .await?
            .ok_or(ActError::NoSuchUser)
    }

    /// Whom `username` names: the account owning it, else a guest using it.
    pub(super) async fn target(&self, username: &Username) -> Result<Target, ActError> {
        Ok(
            match self.accounts.account_by_key(&username.hold_key()).await? {
                Some(account) => Target::Account(account),
                None => Target::Guest(username.clone()),
            },
        )
    }

    pub(super) fn forget_rules(&self, site: bool, room: &RoomName) {
        if site {
            self.rules.forget_all();
        } else {
            self.rules.forget_room(room);
        }
    }
}

/// The name `principal` acts under: an account's own, the system's for an API key (the
/// audit entry names the key beside it); a guest does not act.
pub(super) fn actor_name(principal: &Principal) -> Result<Username, ActError> {
    match principal {
        Principal::Account(identity) => Ok(identity.name.clone()),
        Principal::Service(_) => Ok(ServiceKey::acting_name()),
        Principal::Guest => Err(ActError::Unauthenticated),
    }
}

/// Refuses an act on `target` by an actor of `role`: a site-wide one needs an admin; a room
/// one a moderator; and no one acts on someone of their own role or above.
pub(super) fn check_power(
    rules: &Rules,
    role: Role,
    site: bool,
    target: &Target,
) -> Result<(), ActError> {
    if site && role < Role::Admin {
        return Err(ActError::Forbidden("only site admins act site-wide"));
    }
    if !role.moderates() {
        return Err(ActError::Forbidden("only moderators may do this"));
    }
    if let Target::Account(account) = target
        && rules.role_of(&account.id) >= role
    {
        return Err(ActError::Forbidden(
            "you may not act on someone of your own role or above",
        ));
    }
    Ok(())
}
