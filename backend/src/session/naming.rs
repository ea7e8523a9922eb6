//! Naming: who speaks for a connection, and the name it shows in presence.
//!
//! A signed-in connection speaks only as its account: its name is set when it opens, and a
//! frame naming anyone else is refused with `username_mismatch`, never re-attributed. A guest
//! may name itself when it connects, in a `join`, or in each `send` and `typing` frame. The
//! first name it uses becomes its presence name in every room it is in; a frame may still
//! speak under another. A guest may not use a name an account owns (`username_taken`), and
//! the room's rule holds for everyone: a name (compared by its look-alike key) belongs to one
//! client at a time, and another client (another token) is refused with `username_taken`.
//! The registry in `delivery::rooms` enforces that rule under its lock for this node; on a
//! cluster a guest's name is also claimed for every node (`hub::guest_names`), when it joins a
//! room with it, adopts it, or speaks under a name it has not joined with. This file turns
//! those answers into the error frames a client sees.

use super::{Session, inbound};
use crate::auth::Principal;
use crate::hub::guest_names::{GuestNameError, GuestNameRefusal};
use crate::logs::Clipped;
use chinwag_shared::{ErrorCode, ErrorFrame, RoomName, Username};

/// The error frame for a name another client holds in `room`.
pub(super) fn name_taken(room: &RoomName, name: &Username) -> ErrorFrame {
    ErrorFrame {
        code: ErrorCode::UsernameTaken,
        detail: format!(
            "{name}, or a name that looks like it, is already in #{room} from another \
             browser; pick another name"
        ),
        room: Some(room.to_string()),
        client_id: None,
        retry_after_ms: None,
    }
}

/// Whether `named` is `account`'s name, as typed or as a look-alike of it (the common case,
/// the name exactly, costs no skeleton).
fn same_name(named: &Username, account: &Username) -> bool {
    named == account || named.hold_key() == account.hold_key()
}

/// The error frame for a signed-in connection naming someone else.
fn mismatch(account: &Username, named: &Username) -> ErrorFrame {
    inbound::error(
        ErrorCode::UsernameMismatch,
        format!("you are signed in as {account}; this connection cannot speak as {named}"),
    )
}

impl Session {
    /// Holds `name` in `room` for this guest connection, on this node and every other; the
    /// error frame to send when another client has it or the other nodes cannot be asked.
    pub(super) async fn claim_name(
        &self,
        room: &RoomName,
        name: &Username,
    ) -> Result<(), ErrorFrame> {
        let claimed = self
            .hub
            .claim_guest_name(room, self.id, name, self.token.as_ref())
            .await;
        match claimed {
            Ok(()) => Ok(()),
            Err(GuestNameRefusal::Taken) => Err(name_taken(room, name)),
            Err(GuestNameRefusal::Unchecked(err)) => Err(self.names_unchecked(room, &err)),
        }
    }

    /// The error frame for names that could not be checked across nodes.
    fn names_unchecked(&self, room: &RoomName, err: &GuestNameError) -> ErrorFrame {
        tracing::warn!(session = self.id, error = %err, "guest names unreadable");
        let mut frame = inbound::error(
            ErrorCode::Unavailable,
            "names cannot be checked right now; try again shortly".to_owned(),
        );
        frame.room = Some(room.to_string());
        frame
    }

    /// Refuses a guest a name an account owns (or a look-alike of one). A directory that
    /// cannot be read refuses too: a name's owner is never put at risk by an outage.
    async fn refuse_owned_name(&self, name: &Username) -> Result<(), ErrorFrame> {
        match self.context.auth.name_owned(name).await {
            Ok(false) => Ok(()),
            Ok(true) => Err(inbound::error(
                ErrorCode::UsernameTaken,
                format!("{name} belongs to an account; sign in to use it, or pick another name"),
            )),
            Err(err) => {
                tracing::warn!(session = self.id, error = %err, "directory unreadable");
                Err(inbound::error(
                    ErrorCode::Unavailable,
                    "names cannot be checked right now; try again shortly".to_owned(),
                ))
            }
        }
    }

    /// Who speaks in `room` for a send or typing notice: the frame's username, else the
    /// connection's. Refused when there is none, or when another client holds the name there.
    pub(super) async fn speaker(
        &mut self,
        room: &RoomName,
        named: Option<Username>,
    ) -> Result<Username, ErrorFrame> {
        if let Principal::Account(identity) = &self.principal {
            return match named {
                Some(named) if !same_name(&named, &identity.name) => {
                    Err(mismatch(&identity.name, &named))
                }
                _ => Ok(identity.name.clone()),
            };
        }
        let Some(speaker) = named.or_else(|| self.username.clone()) else {
            let detail = "name a username in the frame or when connecting".to_owned();
            return Err(inbound::error(ErrorCode::UsernameRequired, detail));
        };
        self.refuse_owned_name(&speaker).await?;
        self.adopt_username(&speaker).await?;
        // The name this connection is in the room under was claimed when it got there; any
        // other is checked against every node (the common case, a guest's own name, asks no
        // other node). Speaking in a room is not being in it, so nothing is held.
        let joined_under_it =
            self.username.as_ref() == Some(&speaker) && self.cursors.contains_key(room);
        let held = if joined_under_it {
            Ok(self
                .hub
                .name_taken(room, Some(self.id), &speaker, self.token.as_ref()))
        } else {
            (self.hub)
                .guest_name_held(room, Some(self.id), &speaker, self.token.as_ref())
                .await
        };
        match held {
            Ok(false) => Ok(speaker),
            Ok(true) => Err(name_taken(room, &speaker)),
            Err(err) => Err(self.names_unchecked(room, &err)),
        }
    }

    /// The first name a connection uses becomes its presence name in every room it is in,
    /// unless another client holds that name in one of them.
    pub(super) async fn adopt_username(&mut self, username: &Username) -> Result<(), ErrorFrame> {
        if let Principal::Account(identity) = &self.principal {
            return if same_name(username, &identity.name) {
                Ok(())
            } else {
                Err(mismatch(&identity.name, username))
            };
        }
        if self.username.is_some() {
            return Ok(());
        }
        self.refuse_owned_name(username).await?;
        for room in self.cursors.keys() {
            self.claim_name(room, username).await?;
        }
        self.username = Some(username.clone());
        for room in self.cursors.keys() {
            if self.hub.name(room, self.id, username).is_err() {
                // Claimed by someone else between the check and here; the registry refused,
                // so the room's rule still holds. This connection stays nameless there.
                let room = Clipped::new(room.as_str());
                tracing::debug!(session = self.id, %room, "name claimed concurrently");
            }
        }
        Ok(())
    }
}
