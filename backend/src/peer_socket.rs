//! The TCP socket under a connection, kept so that a session can cut off a peer that stopped
//! reading.
//!
//! When a client never reads, actix keeps trying to flush what was already written to its
//! socket, with no time limit, after the session is gone: a socket holding megabytes of kernel
//! buffers outside every connection cap. So at accept we keep a duplicate of the socket's
//! descriptor (`socket2`'s safe `try_clone`), and a session whose close cannot get through
//! within the idle timeout shuts the socket down, which ends actix's write at once.

use actix_web::dev::Extensions;
use std::{any::Any, net::Shutdown, sync::Arc, time::Duration};

/// A connection's TCP socket, shared with its session.
#[derive(Clone)]
pub struct PeerSocket(Arc<socket2::Socket>);

impl PeerSocket {
    /// Ends the connection now, discarding what the peer never read. Shutting down wakes
    /// actix's stuck write with an error, so it lets go of the connection; a zero linger makes
    /// the last close of the socket a reset, so the kernel frees the unsent bytes at once
    /// instead of retrying them to a peer that does not read.
    pub fn cut_off(&self) {
        // Either call fails only when the peer is already gone, which is the goal anyway.
        let _gone = self.0.set_linger(Some(Duration::ZERO));
        let _gone = self.0.shutdown(Shutdown::Both);
    }
}

/// `HttpServer::on_connect` hook: remembers each plain TCP connection's socket.
pub fn remember(connection: &dyn Any, data: &mut Extensions) {
    let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return; // not plain TCP (e.g. TLS terminated in-process): nothing to keep
    };
    match socket2::SockRef::from(stream).try_clone() {
        Ok(socket) => {
            data.insert(PeerSocket(Arc::new(socket)));
        }
        Err(err) => tracing::warn!(error = %err, "cannot keep the socket of a connection"),
    }
}
