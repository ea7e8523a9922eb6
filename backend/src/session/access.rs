//! Access, as one connection sees it: may it enter a room it has not joined, when does its
//! credential run out, and what happens when its account is removed from a private room.
//!
//! The rule itself is the hub's ([`crate::hub::access`]); a session asks it before every
//! join, and before a send or typing notice to a room it is not in. A room it has joined
//! needs no asking again: a removal reaches it through the room's own frames (an
//! [`EventFrame`] whose `removes` names its account), on whichever node it is connected to,
//! and it leaves the room at once.

use super::{Session, Step, inbound};
use crate::{
    auth::Principal,
    delivery::frame::{EventFrame, Removes},
    hub::access::AccessError,
};
use chinwag_shared::{ErrorCode, ErrorFrame, RoomName, ServerMsg};
use std::time::{Duration, SystemTime};

/// When `principal`'s credential expires, if it does.
pub(super) fn expires(principal: &Principal) -> Option<SystemTime> {
    principal.identity().and_then(|identity| identity.expires)
}

/// Resolves at `at`; never, without one.
pub(super) async fn expiry(at: Option<SystemTime>) {
    let Some(at) = at else {
        return std::future::pending().await;
    };
    let left = at
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    tokio::time::sleep(left).await;
}

impl Session {
    /// Whether the hub still admits this connection to `room`. A directory that cannot answer
    /// does not: a room that just became private is closed rather than left open.
    async fn readmitted(&self, room: &RoomName) -> bool {
        match self.hub.admit(&self.principal, room).await {
            Ok(()) => true,
            Err(AccessError::Forbidden) => false,
            Err(AccessError::Store(err)) => {
                tracing::warn!(session = self.id, error = %err, "access not re-checked; leaving");
                false
            }
        }
    }

    /// Lets this connection into `room` if it is already there, or the hub admits it.
    pub(super) async fn admit_unjoined(&self, room: &RoomName) -> Result<(), ErrorFrame> {
        if self.cursors.contains_key(room) {
            return Ok(());
        }
        match self.hub.admit(&self.principal, room).await {
            Ok(()) => Ok(()),
            Err(AccessError::Forbidden) => {
                let mut frame = inbound::error(
                    ErrorCode::Forbidden,
                    format!("#{room} is private, and you are not a member"),
                );
                frame.room = Some(room.to_string());
                Err(frame)
            }
            Err(AccessError::Store(err)) => {
                tracing::warn!(session = self.id, error = %err, "directory unreadable");
                let mut frame = inbound::error(
                    ErrorCode::Unavailable,
                    "access to this room cannot be checked right now; try again".to_owned(),
                );
                frame.room = Some(room.to_string());
                Err(frame)
            }
        }
    }

    /// A removal from a private room: this connection's account is told and leaves the room;
    /// anyone else's connection ignores it. A removal of [`Removes::Outsiders`] (the room was just made
    /// private while people were in it) is judged by each connection: it stays if the hub
    /// admits it now.
    pub(super) async fn on_removal(&mut self, event: &EventFrame) -> Step {
        let mine = match (&event.removes, self.principal.identity()) {
            (Some(Removes::Outsiders), _) => !self.readmitted(&event.room).await,
            (Some(Removes::Account(removed)), Some(identity)) => {
                **removed == *identity.account.as_str()
            }
            _ => false,
        };
        if !mine || self.cursors.remove(&event.room).is_none() {
            return Ok(());
        }
        self.hub.leave(&event.room, self.id);
        self.confirmations.forget(&event.room);
        self.send_text(event.text.clone()).await?;
        self.send_msg(&ServerMsg::Left {
            room: event.room.clone(),
        })
        .await
    }
}
