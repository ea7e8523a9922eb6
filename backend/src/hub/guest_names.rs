//! Guest names across nodes: one guest's name in a room is refused to every other guest, on
//! every node.
//!
//! A guest picks any name no account owns, and keeps it in a room while it is connected
//! there. Within one process the registry ([`crate::delivery::rooms::Rooms`]) enforces that,
//! comparing names by their look-alike key. On a cluster each node's registry knows its own
//! connections only, so two guests on two nodes could otherwise both be "ada" in one room. A
//! [`GuestNames`] asks the whole deployment: on one node it has nothing to add
//! ([`LocalGuestNames`]); on Redis the name is held under a lease that its node renews
//! ([`crate::cluster::guest_names`]).
//!
//! Two connections are the same holder when they present the same client token (one browser,
//! perhaps connected through two nodes); a connection without a token holds alone.

use crate::{delivery::rooms::SessionId, store::RedisError};
use async_trait::async_trait;
use chinwag_shared::{ClientToken, RoomName, Username};

/// Who holds a guest name.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    /// A client that presents this token, through any connection on any node.
    Token(&'a ClientToken),
    /// This one connection of this node (it has no token).
    Connection(SessionId),
}

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
    /// Holds `name` in `room` for `holder` unless another holder has it on another node
    /// (`Ok(false)`). The local registry's own rule is checked by the caller.
    async fn claim(
        &self,
        room: &RoomName,
        name: &Username,
        holder: Holder<'_>,
    ) -> Result<bool, GuestNameError>;

    /// Whether a holder other than the client with `token` (any holder, without one) has
    /// `name` in `room` on another node: what an HTTP post as a guest is refused by.
    async fn held_by_another(
        &self,
        room: &RoomName,
        name: &Username,
        token: Option<&ClientToken>,
    ) -> Result<bool, GuestNameError>;
}

/// One node: its registry is the whole deployment, so there is nothing more to ask.
pub struct LocalGuestNames;

#[async_trait]
impl GuestNames for LocalGuestNames {
    async fn claim(
        &self,
        _room: &RoomName,
        _name: &Username,
        _holder: Holder<'_>,
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
