//! The message lifecycle: an author edits its own message within the edit window and
//! deletes it at any time; a moderator deletes anyone's. A backend's key with the `moderate`
//! scope deletes any message (as a moderator, under the system's name) and edits the
//! messages posted through the API (bots' and the system's) at any time: it speaks for them,
//! and never puts words in a person's mouth. Both are change records of the
//! room's log ([`crate::store::Store::change`]), so they reach every client like messages.

use super::ActError;
use crate::hub::{
    Hub,
    rules::{Visitor, now_ms},
};
use crate::store::{ChangeAction, Changed, NewChange};
use chinwag_shared::{
    ChatRecord, MessageText, RoomName, Username,
    moderation::{AuditAction, SanctionKind},
};

impl Hub {
    /// The message `id` of `room`, refusing change records and tombstones.
    async fn message(&self, room: &RoomName, id: u64) -> Result<ChatRecord, ActError> {
        let record = self
            .store
            .record(room, id)
            .await?
            .filter(ChatRecord::is_message)
            .ok_or(ActError::NoSuchMessage)?;
        if record.deleted.is_some() {
            return Err(ActError::MessageDeleted);
        }
        Ok(record)
    }

    /// Stores `change` and answers its record.
    async fn change(&self, change: NewChange) -> Result<ChatRecord, ActError> {
        match self.store.change(change).await? {
            Changed::Stored(record) => Ok(record),
            Changed::NoSuchMessage => Err(ActError::NoSuchMessage),
            Changed::AlreadyDeleted => Err(ActError::MessageDeleted),
        }
    }

    /// `actor` edits its own message `id` of `room` to `text`, within the edit window.
    pub async fn edit(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        id: u64,
        text: MessageText,
    ) -> Result<ChatRecord, ActError> {
        let (rules, _role) = self.judge(actor, room).await?;
        if actor.principal.service().is_some() {
            return self.edit_for_backend(room, id, text).await;
        }
        let identity = actor
            .principal
            .identity()
            .ok_or(ActError::Unauthenticated)?;
        if rules
            .sanction(actor, SanctionKind::Mute, now_ms())
            .is_some()
        {
            return Err(ActError::Muted);
        }
        let message = self.message(room, id).await?;
        if !authored_by(&message, &identity.name) {
            return Err(ActError::Forbidden("only its author may edit a message"));
        }
        let window = self.edit_window;
        let age_ms = now_ms().saturating_sub(message.ts);
        if window.is_zero() || u128::from(age_ms) > window.as_millis() {
            return Err(ActError::EditWindowClosed {
                window_secs: window.as_secs(),
            });
        }
        let record = self
            .change(NewChange {
                room: room.clone(),
                target: id,
                actor: identity.name.clone(),
                guest: false,
                action: ChangeAction::Edit(text),
            })
            .await?;
        self.count_act("edit");
        Ok(record)
    }

    /// An API key's edit of message `id`: only a message posted through the API, and the
    /// change is made under the name it was posted under.
    async fn edit_for_backend(
        &self,
        room: &RoomName,
        id: u64,
        text: MessageText,
    ) -> Result<ChatRecord, ActError> {
        let message = self.message(room, id).await?;
        if !message.bot {
            return Err(ActError::Forbidden(
                "an API key edits only messages posted through the API (bots' and the system's)",
            ));
        }
        let record = self
            .change(NewChange {
                room: room.clone(),
                target: id,
                actor: message.username,
                guest: false,
                action: ChangeAction::Edit(text),
            })
            .await?;
        self.count_act("edit");
        Ok(record)
    }

    /// `actor` deletes message `id` of `room`: its own, or anyone's as a moderator.
    pub async fn delete(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        id: u64,
    ) -> Result<ChatRecord, ActError> {
        let (_rules, role) = self.judge(actor, room).await?;
        let name = super::actor_name(actor.principal)?;
        let message = self.message(room, id).await?;
        // A key is never a message's author: its deletions are a moderator's, audited.
        let own = actor.principal.identity().is_some() && authored_by(&message, &name);
        if !own && !role.moderates() {
            return Err(ActError::Forbidden(
                "only its author or a moderator may delete a message",
            ));
        }
        let record = self
            .change(NewChange {
                room: room.clone(),
                target: id,
                actor: name,
                guest: false,
                action: ChangeAction::Delete { moderator: !own },
            })
            .await?;
        if own {
            self.count_act("delete_own");
        } else {
            self.record_act(
                room,
                actor,
                AuditAction::Delete,
                Some(&message.username),
                Some(id),
                String::new(),
            )
            .await;
        }
        Ok(record)
    }
}

/// Whether `message` was written by the account named `name` (guests' and bots' messages
/// belong to no account: a name alone proves nothing, and an account made later under a
/// bot's name does not own what the bot said).
fn authored_by(message: &ChatRecord, name: &Username) -> bool {
    !message.guest && !message.bot && message.username.hold_key() == name.hold_key()
}
