//! The connections open on this node — WebSocket sessions and waiting long-polls — and
//! ending every connection of an account, on every node, at once.
//!
//! Each connection registers itself for as long as it lives ([`Hub::open_connection`] gives
//! an [`OpenConnection`] whose drop unregisters it; a WebSocket session, which keeps the hub
//! and its id anyway, pairs [`Hub::list_connection`] with [`Hub::unlist_connection`] itself
//! rather than carry a second copy of both for life), so the operators' console can list an
//! account's connections ([`Hub::connections_of`]: transport, rooms, address, since) and
//! count them. Only signed-in connections are listed: the console asks by account, so a
//! guest's entry would never be read, yet every idle guest connection would pay for it in
//! memory. Registering is one short lock per connection opened or closed, never one per
//! message; the lists are passes over this node's connections, for the console alone.
//!
//! Ending an account's connections ([`Hub::end_connections_of`]) reuses the way a site-wide
//! ban reaches a person: a notice to the account's inbox, which fan-out carries to every
//! node. A WebSocket session is in its inbox already and closes as a sign-out closes it
//! (`session::access`); a long-poll of a signed-in account joins the inbox while it waits
//! ([`OpenConnection::watch_inbox`]) and answers 401 on the notice.

use super::{
    Hub,
    access::{inbox, is_inbox_name},
};
use crate::{
    auth::Principal,
    delivery::{
        frame::{EventFrame, Frame, Removes},
        outbox::Outbox,
        rooms::SessionId,
    },
    store::accounts::AccountId,
};
use chinwag_shared::{
    ErrorCode, ErrorFrame, RoomName, ServerMsg,
    console::{ConnectionView, Transport},
};
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, MutexGuard},
};

/// Notices a waiting long-poll holds before it counts them lost (it only looks for one).
const LONG_POLL_INBOX_FRAMES: usize = 16;
/// Bytes of notices a waiting long-poll holds.
const LONG_POLL_INBOX_BYTES: usize = 16 * 1024;

/// One open connection, as registered.
#[derive(Debug, Clone)]
struct Connection {
    account: AccountId,
    transport: Transport,
    address: IpAddr,
    since: u64,
    /// The room a long-poll waits on (a session's rooms are read from the registry).
    room: Option<RoomName>,
}

/// This node's open connections, by session id.
#[derive(Default)]
pub struct Connections {
    open: Mutex<HashMap<SessionId, Connection>>,
}

impl Connections {
    fn lock(&self) -> MutexGuard<'_, HashMap<SessionId, Connection>> {
        // A list for the console: one left mid-update by a panic is still a fair list.
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A registered connection; dropping it unregisters it (and leaves the inbox it watched).
pub struct OpenConnection {
    hub: Arc<Hub>,
    id: SessionId,
    /// Whether it is in the list (a signed-in connection's is; a guest's is not).
    listed: bool,
    /// A long-poll's own outbox in its account's inbox, while it watches it. Boxed: only
    /// signed-in long-polls have one, and every WebSocket session holds an `OpenConnection`.
    watching: Option<Box<Watching>>,
}

/// A long-poll's watch on its account's inbox.
struct Watching {
    inbox: RoomName,
    outbox: Outbox,
    account: AccountId,
}

impl Hub {
    /// Registers connection `id` of `principal` from `address` (`room`: the one a long-poll
    /// waits on); lists it only if it is signed in (see the module doc).
    pub fn open_connection(
        self: &Arc<Self>,
        id: SessionId,
        principal: &Principal,
        transport: Transport,
        address: IpAddr,
        room: Option<RoomName>,
    ) -> OpenConnection {
        OpenConnection {
            hub: Arc::clone(self),
            id,
            listed: self.list_connection(id, principal, transport, address, room),
            watching: None,
        }
    }

    /// Lists connection `id` as [`Self::open_connection`] does, without the guard: whether
    /// it was listed (only a signed-in one is); if it was, the caller must
    /// [`Self::unlist_connection`] it when it ends.
    pub fn list_connection(
        &self,
        id: SessionId,
        principal: &Principal,
        transport: Transport,
        address: IpAddr,
        room: Option<RoomName>,
    ) -> bool {
        let Some(identity) = principal.identity() else {
            return false;
        };
        let connection = Connection {
            account: identity.account.clone(),
            transport,
            address,
            since: super::rules::now_ms(),
            room,
        };
        self.connections.lock().insert(id, connection);
        true
    }

    /// Takes connection `id` off the list.
    pub fn unlist_connection(&self, id: SessionId) {
        self.connections.lock().remove(&id);
    }

    /// `account`'s connections open on this node, oldest first.
    pub fn connections_of(&self, account: &AccountId) -> Vec<ConnectionView> {
        let mine: Vec<(SessionId, Connection)> = self
            .connections
            .lock()
            .iter()
            .filter(|(_, connection)| connection.account == *account)
            .map(|(id, connection)| (*id, connection.clone()))
            .collect();
        let node = self.nodes.this_node().to_owned();
        let mut views: Vec<ConnectionView> = mine
            .into_iter()
            .map(|(id, connection)| ConnectionView {
                transport: connection.transport,
                rooms: match connection.room {
                    Some(room) => vec![room],
                    None => self.rooms.rooms_of(id, |room| !is_inbox_name(room)),
                },
                address: connection.address.to_string(),
                since: connection.since,
                node: node.clone(),
            })
            .collect();
        views.sort_by_key(|view| view.since);
        views
    }

    /// How many connections each signed-in account has open on this node.
    pub fn connection_counts(&self) -> HashMap<AccountId, u64> {
        let mut counts = HashMap::new();
        for connection in self.connections.lock().values() {
            *counts.entry(connection.account.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// Ends every connection of `account`, on every node, as a sign-out ends it: sockets
    /// close with the sign-out close code, long-polls answer 401. Its credentials must be
    /// revoked first, so that reconnecting finds it signed out.
    pub fn end_connections_of(&self, account: &AccountId) {
        let Some(inbox) = inbox(account) else {
            return;
        };
        let notice = ServerMsg::Error(ErrorFrame {
            code: ErrorCode::Unauthenticated,
            detail: "you were signed out".to_owned(),
            room: None,
            client_id: None,
            retry_after_ms: None,
        });
        self.fanout
            .publish_event(EventFrame::signed_out(&inbox, account.as_str(), &notice));
    }
}

impl OpenConnection {
    /// Joins the account's inbox while this connection lives (a long-poll's way to hear it
    /// was signed out); nothing for a guest.
    pub fn watch_inbox(&mut self, principal: &Principal) {
        let Some(identity) = principal.identity() else {
            return;
        };
        let outbox = Outbox::new(LONG_POLL_INBOX_FRAMES, LONG_POLL_INBOX_BYTES);
        if let Some(room) = self
            .hub
            .join_inbox(&identity.account, self.id, outbox.sender())
        {
            self.watching = Some(Box::new(Watching {
                inbox: room,
                outbox,
                account: identity.account.clone(),
            }));
        }
    }

    /// Resolves once this connection's account is signed out by an admin or disabled; never
    /// without [`Self::watch_inbox`].
    pub async fn signed_out(&mut self) {
        let Some(Watching {
            outbox, account, ..
        }) = self.watching.as_deref_mut()
        else {
            return std::future::pending().await;
        };
        loop {
            let Some(frame) = outbox.next().await else {
                return std::future::pending().await;
            };
            if let Frame::Event(event) = &*frame
                && let Some(Removes::SignedOut(removed)) = &event.removes
                && **removed == *account.as_str()
            {
                return;
            }
        }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        if self.listed {
            self.hub.unlist_connection(self.id);
        }
        if let Some(watching) = self.watching.take() {
            self.hub.leave(&watching.inbox, self.id);
        }
    }
}
