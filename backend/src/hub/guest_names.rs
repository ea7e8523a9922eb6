//! Guest names across nodes: one guest's name in a room is refused to every other client, on
//! every node.
//!
//! A guest picks any name no account owns, and keeps it in a room while it is connected
//! there. Within one process the registry ([`crate::delivery::rooms::Rooms`]) enforces that,
//! comparing names by their look-alike key. On a cluster each node's registry knows its own
//! connections only, so two guests on two nodes could otherwise both be "ada" in one room. A
//! [`GuestNames`] asks the whole deployment: on one node it has nothing to add
//! ([`LocalGuestNames`]); on Redis a name is held for every node under a lease
//! ([`crate::cluster::guest_names`]).
//!
//! A holder is a client token: the same browser, connected through any node, is one holder
//! (Chinwag's client makes one token per browser). A client without a token (the lecture's
//! seed page, a script) is refused a name anyone holds on any node, but holds its own only on
//! its node: it has nothing that would let it prove, through another connection, that it is
//! the same client.

use crate::store::RedisError;
use async_trait::async_trait;
use chinwag_shared::{ClientToken, RoomName, Username};

/// What asking the other nodes can fail with; clients see `unavailable`.
#[derive(Debug, thiserror::Error)]
pub enum GuestNameError {
    /// The names are kept in Redis, which failed.
    #[error("redis: {0}")]
    Redis(#[from] RedisError),
}

/// Guest names as the whole deployment holds them.
#[async_trait]
pub trait GuestNames: Send + Sync + 'static {
    /// Holds `name` in `room` for the client with `token` unless another client holds it
    /// (`Ok(false)`). The local registry's own rule is checked by the caller.
    async fn claim(
        &self,
        room: &RoomName,
        name: &Username,
        token: &ClientToken,
    ) -> Result<bool, GuestNameError>;

    /// Whether a client other than the one with `token` (any client, without one) holds
    /// `name` in `room` on any node.
    async fn held_by_another(
        &self,
        room: &RoomName,
        name: &Username,
        token: Option<&ClientToken>,
    ) -> Result<bool, GuestNameError>;

    /// Lets `name` in `room` go: the last connection of the client with `token` here left it.
    /// Never blocks (it is called as connections close); a release that cannot be made lapses
    /// with its lease.
    fn release(&self, room: &RoomName, name: &Username, token: &ClientToken);
}

/// One node: its registry is the whole deployment, so there is nothing more to ask.
pub struct LocalGuestNames;

#[async_trait]
impl GuestNames for LocalGuestNames {
    async fn claim(
        &self,
        _room: &RoomName,
        _name: &Username,
        _token: &ClientToken,
    ) -> Result<bool, GuestNameError> {
        Ok(true)
    }

    async fn held_by_another(
        &self,
        _room: &RoomName,
        _name: &Username,
        _token: Option<&ClientToken>,
    ) -> Result<bool, GuestNameError> {
        Ok(false)
    }

    fn release(&self, _room: &RoomName, _name: &Username, _token: &ClientToken) {}
}

/// Why a guest may not have a name.
#[derive(Debug, thiserror::Error)]
pub enum GuestNameRefusal {
    /// Another client holds it in the room, here or on another node (`username_taken`).
    #[error("the name is held by another client")]
    Taken,
    /// The other nodes could not be asked (`unavailable`): refused rather than risk two.
    #[error("guest names cannot be checked: {0}")]
    Unchecked(GuestNameError),
}
