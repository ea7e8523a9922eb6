//! Access, as one connection sees it: may it enter a room it has not joined, when does its
//! credential run out, and what happens when its account is removed from a private room.
//!
//! The rule itself is the hub's ([`crate::hub::access`]); a session asks it before every
//! join, and before a send or typing notice to a room it is not in. A room it has joined
//! needs no asking again: a removal reaches it through the room's own frames (an
//! [`EventFrame`] whose `removes` names its account), on whichever node it is connected to,
//! and it leaves the room at once. An account disabled or signed out everywhere by an admin
//! is told through its inbox ([`Removes::SignedOut`]), and the connection ends as a sign-out
//! ends it.

use super::{Ending, Session, Step, inbound};
use crate::{
    auth::Principal,
    delivery::frame::{EventFrame, Removes},
    hub::{access::AccessError, rules::Visitor},
};
use chinwag_shared::{ErrorCode, ErrorFrame, RoomName, ServerMsg};
use std::{
    net::{IpAddr, Ipv6Addr},
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, SystemTime},
};
use tokio::time::Sleep;

/// When `principal`'s credential expires, if it does.
pub(super) fn expires(principal: &Principal) -> Option<SystemTime> {
    principal.identity().and_then(|identity| identity.expires)
}

/// Resolves when a connection's credential runs out; never, for one that does not.
///
/// The timer is boxed and made only for a credential that expires: a future awaited in the
/// session's loop lives as long as the connection, and inline its timer would be part of every
/// connection's memory, guests' too.
pub(super) struct Expiry(Option<Pin<Box<Sleep>>>);

impl Expiry {
    /// Resolves at `at`; never, without one.
    pub(super) fn at(at: Option<SystemTime>) -> Self {
        Self(at.map(|at| {
            let left = at
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO);
            Box::pin(tokio::time::sleep(left))
        }))
    }
}

impl Future for Expiry {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.0 {
            Some(sleep) => sleep.as_mut().poll(cx),
            None => Poll::Pending,
        }
    }
}

impl Session {
    /// This connection as the hub judges it.
    pub(super) fn visitor(&self) -> Visitor<'_> {
        Visitor {
            principal: &self.principal,
            // Always known for a socket (the upgrade sets it); unspecified is one shared
            // address for the impossible rest.
            address: self
                .peer
                .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |peer| peer.ip()),
            name: self.username.as_ref(),
        }
    }

    /// Whether the hub still admits this connection to `room`. A directory that cannot answer
    /// does not: a room that just became private is closed rather than left open.
    async fn readmitted(&self, room: &RoomName) -> bool {
        match self.hub.admit(&self.visitor(), room).await {
            Ok(()) => true,
            Err(AccessError::Forbidden | AccessError::Banned { .. } | AccessError::Scope(_)) => {
                false
            }
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
        match self.hub.admit(&self.visitor(), room).await {
            Ok(()) => Ok(()),
            Err(AccessError::Forbidden | AccessError::Scope(_)) => {
                let mut frame = inbound::error(
                    ErrorCode::Forbidden,
                    format!("#{room} is private, and you are not a member"),
                );
                frame.room = Some(room.to_string());
                Err(frame)
            }
            Err(err @ AccessError::Banned { .. }) => {
                let mut frame = inbound::error(ErrorCode::Banned, err.to_string());
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

    /// Leaves every public room this connection is now banned from (a ban through another
    /// node, seen when the cached rules renew), telling the client why. Run at each
    /// heartbeat.
    pub(super) async fn leave_banned_rooms(&mut self) -> Step {
        let rooms: Vec<RoomName> = self.cursors.keys().cloned().collect();
        for room in rooms {
            match self.hub.banned_now(&self.visitor(), &room).await {
                Ok(false) => {}
                Ok(true) => {
                    self.cursors.remove(&room);
                    self.hub.leave(&room, self.id);
                    self.confirmations.forget(&room);
                    let mut frame =
                        inbound::error(ErrorCode::Banned, format!("you are banned from #{room}"));
                    frame.room = Some(room.to_string());
                    self.send_msg(&ServerMsg::Error(frame)).await?;
                    self.send_msg(&ServerMsg::Left { room }).await?;
                }
                Err(err) => {
                    tracing::debug!(session = self.id, error = %err, "bans not re-checked");
                }
            }
        }
        Ok(())
    }

    /// A removal from a private room: this connection's account is told and leaves the room;
    /// anyone else's connection ignores it. A removal of [`Removes::Outsiders`] (the room was just made
    /// private while people were in it) is judged by each connection: it stays if the hub
    /// admits it now.
    pub(super) async fn on_removal(&mut self, event: &EventFrame) -> Step {
        let mine = match (&event.removes, self.principal.identity()) {
            (Some(Removes::Outsiders), _) => !self.readmitted(&event.room).await,
            (Some(Removes::Account(removed) | Removes::SignedOut(removed)), Some(identity)) => {
                **removed == *identity.account.as_str()
            }
            (Some(Removes::Guest { key, .. }), None) => self
                .username
                .as_ref()
                .is_some_and(|name| name.hold_key().as_str() == &**key),
            _ => false,
        };
        if !mine {
            return Ok(());
        }
        // Disabled, or signed out everywhere by an admin: closed as a sign-out closes it,
        // so the client finds itself signed out. Its credential is forgotten here at once
        // (it was revoked; another node's cache may hold it a few seconds more).
        if matches!(event.removes, Some(Removes::SignedOut(_))) {
            if let Some(digest) = self
                .principal
                .identity()
                .and_then(|identity| identity.credential.as_deref())
            {
                self.context.auth.forget(digest);
            }
            return Err(Ending::CredentialExpired);
        }
        // A removal through the account's inbox is a site-wide ban: off the server.
        if self.inbox.as_ref() == Some(&event.room) {
            self.send_text(event.text.clone()).await?;
            return Err(Ending::Banned);
        }
        if let (Some(Removes::Guest { ban: true, .. }), Some(name)) =
            (&event.removes, self.username.clone())
        {
            let address = self.visitor().address;
            if let Err(err) = self
                .hub
                .ban_guest_address(&event.room, &name, address)
                .await
            {
                tracing::warn!(session = self.id, error = %err, "guest's address not banned");
            }
        }
        if self.cursors.remove(&event.room).is_none() {
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
