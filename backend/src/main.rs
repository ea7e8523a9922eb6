//! The `chinwag` binary: parse flags, set up logging, bind, serve until SIGINT or SIGTERM.
//!
//! Once listening it prints exactly one line to stdout, `chinwag listening on http://ADDR`,
//! which scripts and tests read to learn the port when started with `--bind 127.0.0.1:0`.
//! Logs go to stderr through `tracing`; `RUST_LOG` sets the level (default `info`).
//! `chinwag accounts …` runs one administrative command on the store instead, and exits.

use anyhow::Context;
use chinwag_backend::{Config, config::Command, serve, server::LISTENING_ON};
use clap::Parser;
use socket2::{Domain, Protocol, Socket, Type};
use std::{
    io::{IsTerminal, Write},
    net::SocketAddr,
};
use tracing_subscriber::EnvFilter;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal: in a file or a journal they are noise
        // that every grep and log shipper has to strip.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match &config.command {
        Some(Command::Accounts(command)) => {
            let done = chinwag_backend::admin::run(&config, command).await?;
            println!("{done}");
            return Ok(());
        }
        Some(Command::Backup { dest }) => {
            let copied = chinwag_backend::store::sqlite::backup(&config.db, dest)?;
            println!("{copied}");
            return Ok(());
        }
        None => {}
    }
    let listener = listen(config.bind, config.listen_backlog)
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let addr = listener.local_addr()?;
    // A JWT key that cannot be loaded stops the server before it says it is listening, so a
    // script waiting for that line never sees a server that then dies.
    config.jwt_verifier().context("cannot load the JWT key")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{LISTENING_ON}{addr}")?;
    stdout.flush()?;
    drop(stdout);
    tracing::info!(%addr, "listening");
    serve(listener, config, stop_signal()).await?;
    Ok(())
}

/// A listening socket with room for `backlog` connections waiting to be accepted.
/// `std::net::TcpListener::bind` allows 128: a crowd reconnecting at once overflows that, and
/// each dropped attempt costs its client a one-second SYN retry.
fn listen(addr: SocketAddr, backlog: i32) -> std::io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // Restarting on the same address must not wait for old connections in TIME_WAIT.
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(backlog)?;
    Ok(socket.into())
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot watch SIGTERM; only Ctrl-C stops the server");
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
