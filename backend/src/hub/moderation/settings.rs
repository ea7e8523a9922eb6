//! A room's settings: slow mode (moderators), its owner (admins) and its moderators (the
//! owner), and what `GET …/settings` tells the caller about its own place in the room. A
//! change reaches the room's members as `room_settings_changed`.

use super::ActError;
use crate::hub::{
    Hub,
    access::inbox,
    rules::{Visitor, now_ms},
};
use crate::{delivery::frame::EventFrame, store::accounts::AccountId};
use chinwag_shared::{
    MAX_SLOW_MODE_SECS, RoomName, ServerMsg, Username,
    moderation::{AuditAction, Role, RoomSettings, SanctionKind},
};

impl Hub {
    /// `room`'s settings as `visitor` sees them (guests too: as members).
    pub async fn settings(
        &self,
        visitor: &Visitor<'_>,
        room: &RoomName,
    ) -> Result<RoomSettings, ActError> {
        let entry = self.enter(visitor, room).await?;
        let rules = &entry.rules;
        let read = match visitor.principal.identity() {
            Some(identity) => Some(self.read_marker(&identity.account, room).await?),
            None => None,
        };
        let muted_until = rules
            .sanction(visitor, SanctionKind::Mute, now_ms())
            .map(|mute| mute.until.unwrap_or(u64::MAX));
        let mut moderators = Vec::with_capacity(rules.moderators.len());
        for id in &rules.moderators {
            if let Some(account) = self.accounts.account(id).await? {
                moderators.push(account.name);
            }
        }
        moderators.sort();
        let owner = match &rules.owner {
            Some(id) => self.accounts.account(id).await?.map(|account| account.name),
            None => None,
        };
        Ok(RoomSettings {
            room: room.clone(),
            owner,
            moderators,
            slow_mode_secs: rules.slow_mode_secs,
            role: rules.role(visitor.principal),
            read,
            muted_until,
        })
    }

    /// `actor` (a moderator) sets `room`'s slow mode to `secs` (0: off).
    pub async fn set_slow_mode(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        secs: u32,
    ) -> Result<RoomSettings, ActError> {
        let (_rules, role) = self.judge(actor, room).await?;
        if !role.moderates() {
            return Err(ActError::Forbidden("only moderators may set slow mode"));
        }
        if secs > MAX_SLOW_MODE_SECS {
            return Err(ActError::Invalid(format!(
                "slow_mode_secs is at most {MAX_SLOW_MODE_SECS}"
            )));
        }
        self.moderation().set_slow_mode(room, secs).await?;
        self.settings_changed(room);
        self.record_act(
            room,
            actor,
            AuditAction::SlowMode,
            None,
            None,
            format!("{secs} s"),
        )
        .await;
        self.settings(actor, room).await
    }

    /// `actor` (an admin) makes the account named `username` the owner of `room`.
    pub async fn set_owner(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        username: &Username,
    ) -> Result<RoomSettings, ActError> {
        let (_rules, role) = self.judge(actor, room).await?;
        refuse_keys(actor)?;
        if role < Role::Admin {
            return Err(ActError::Forbidden("only site admins give rooms owners"));
        }
        let account = self.account_named(username).await?;
        self.moderation().set_owner(room, &account.id).await?;
        self.settings_changed(room);
        self.record_act(
            room,
            actor,
            AuditAction::SetOwner,
            Some(&account.name),
            None,
            String::new(),
        )
        .await;
        self.settings(actor, room).await
    }

    /// `actor` (the owner or an admin) makes the account named `username` a moderator of
    /// `room`, or no longer one.
    pub async fn set_moderator(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        username: &Username,
        moderator: bool,
    ) -> Result<RoomSettings, ActError> {
        let (_rules, role) = self.judge(actor, room).await?;
        refuse_keys(actor)?;
        if role < Role::Owner {
            return Err(ActError::Forbidden(
                "only the room's owner appoints and removes moderators",
            ));
        }
        let account = self.account_named(username).await?;
        if self
            .moderation()
            .set_moderator(room, &account.id, moderator)
            .await?
        {
            self.settings_changed(room);
            self.tell_settings_changed(&account.id, room);
            let action = if moderator {
                AuditAction::AddModerator
            } else {
                AuditAction::RemoveModerator
            };
            self.record_act(
                room,
                actor,
                action,
                Some(&account.name),
                None,
                String::new(),
            )
            .await;
        }
        self.settings(actor, room).await
    }

    /// Tells `room`'s members that its settings changed.
    pub(super) fn settings_changed(&self, room: &RoomName) {
        self.rules.forget_room(room);
        let notice = ServerMsg::RoomSettingsChanged { room: room.clone() };
        self.fanout.publish_event(EventFrame::new(room, &notice));
    }

    /// Tells `account`'s own connections that `room`'s settings changed for it (a mute, a
    /// role).
    pub(super) fn tell_settings_changed(&self, account: &AccountId, room: &RoomName) {
        if let Some(inbox) = inbox(account) {
            let notice = ServerMsg::RoomSettingsChanged { room: room.clone() };
            self.fanout.publish_event(EventFrame::new(&inbox, &notice));
        }
    }
}

/// Roles are given by people: an API key (even with `moderate`) appoints no owner or
/// moderator.
fn refuse_keys(actor: &Visitor<'_>) -> Result<(), ActError> {
    match actor.principal.service() {
        Some(_) => Err(ActError::Forbidden(
            "an API key cannot give roles: owners and moderators are appointed by people",
        )),
        None => Ok(()),
    }
}
