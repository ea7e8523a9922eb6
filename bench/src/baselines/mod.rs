//! The baselines Chinwag is compared with, run as `chinwag-bench serve-baseline` so they can be
//! pinned to the server's core like Chinwag and measured through their own pid.
//!
//! Each is what a competent "just relay it" server looks like, with none of Chinwag's work
//! (no validation, no store, no ids, no presence): [`bare_relay`] is tokio-tungstenite over a
//! bounded tokio broadcast channel, [`raw_tcp`] fans the same bytes out over plain TCP with a
//! newline after each frame, and [`actix_relay`] is Chinwag's own framework (actix-web +
//! actix-ws) with a hub task and a channel per connection, the honest floor for what Chinwag's
//! features cost over the framework. Each greets a new connection with
//! [`crate::client::BASELINE_READY`] once it is subscribed, and drops a connection that falls
//! a whole channel behind (that client sees the close and the run counts the loss).

pub mod actix_relay;
pub mod bare_relay;
pub mod raw_tcp;

use crate::cli::{ServeBaselineArgs, TargetKind};
use anyhow::{Result, bail};
use socket2::{Domain, Protocol, Socket, Type};
use std::{future::Future, io::Write, net::SocketAddr};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::broadcast,
};

/// Accepts connections until the listener fails. Each gets a task running `relay` with the
/// shared sender and a receiver subscribed before its handshake, so nothing sent after the
/// client's ready frame is missed; a client that leaves or misbehaves ends only its own task.
async fn accept_all<T, F, Fut>(listener: TcpListener, capacity: usize, relay: F) -> Result<()>
where
    T: Clone + Send + 'static,
    F: Fn(TcpStream, broadcast::Sender<T>, broadcast::Receiver<T>) -> Fut,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    let (tx, _) = broadcast::channel::<T>(capacity.max(1));
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let connection = relay(stream, tx.clone(), tx.subscribe());
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}

/// What a baseline prints before its address once listening (`bare-relay listening on
/// ws://`), which the launcher waits for.
pub fn listening_prefix(kind: TargetKind) -> String {
    let scheme = match kind {
        TargetKind::RawTcp => "tcp",
        TargetKind::BareRelay | TargetKind::ActixRelay | TargetKind::Chinwag => "ws",
    };
    format!("{} listening on {scheme}://", kind.name())
}

/// Connections the kernel queues for the actix relay, as Chinwag's default `--listen-backlog`,
/// so a reconnect storm meets the same accept queue on both.
const ACTIX_BACKLOG: i32 = 4096;

/// Runs the baseline `args.kind` until the process is killed.
pub fn serve(args: &ServeBaselineArgs) -> Result<()> {
    match args.kind {
        TargetKind::Chinwag => bail!("chinwag is not a baseline"),
        // actix runs its own system (and worker thread), like Chinwag.
        TargetKind::ActixRelay => {
            let listener = listen_with_backlog(args.bind, ACTIX_BACKLOG)?;
            announce(args.kind, listener.local_addr()?)?;
            actix_relay::serve(listener, args.capacity)
        }
        // Pinned to one CPU by the launcher, these run on a current-thread runtime.
        TargetKind::BareRelay | TargetKind::RawTcp => crate::runtime()?.block_on(async {
            let listener = tokio::net::TcpListener::bind(args.bind).await?;
            announce(args.kind, listener.local_addr()?)?;
            if args.kind == TargetKind::BareRelay {
                bare_relay::serve(listener, args.capacity).await
            } else {
                raw_tcp::serve(listener, args.capacity).await
            }
        }),
    }
}

/// Prints the line the launcher waits for.
fn announce(kind: TargetKind, addr: SocketAddr) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}{addr}", listening_prefix(kind))?;
    stdout.flush()?;
    Ok(())
}

/// A listening socket with room for `backlog` waiting connections (`std` allows 128).
fn listen_with_backlog(addr: SocketAddr, backlog: i32) -> Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(backlog)?;
    Ok(socket.into())
}
