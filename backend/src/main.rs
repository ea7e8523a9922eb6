//! The `chinwag` binary: parse flags, set up logging, bind, serve until SIGINT or SIGTERM.
//!
//! Once listening it prints exactly one line to stdout, `chinwag listening on http://ADDR`,
//! which scripts and tests read to learn the port when started with `--bind 127.0.0.1:0`.
//! Logs go to stderr through `tracing`; `RUST_LOG` sets the level (default `info`).
//! `chinwag accounts …` runs one administrative command on the store instead, and exits.

use anyhow::Context;
use chinwag_backend::{
    Config,
    admin::{Engine, accounts},
    config::{Command, LogFormat},
    portability, serve,
    server::LISTENING_ON,
};
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
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            // Colour codes only for a person at a terminal: in a file or a journal they are
            // noise that every grep and log shipper has to strip.
            .with_ansi(std::io::stderr().is_terminal())
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init(),
    }
    match &config.command {
        Some(Command::Accounts(command)) => {
            let engine = Engine::open(&config)?;
            let done = accounts::run(
                &engine,
                command,
                // Unlocked handles (each call locks for itself): no lock is held across an
                // await.
                &mut std::io::BufReader::new(std::io::stdin()),
                &mut std::io::stdout(),
            )
            .await;
            engine.close().await;
            return Ok(done?);
        }
        Some(Command::Export) => {
            let engine = Engine::open(&config)?;
            let mut out = std::io::BufWriter::new(std::io::stdout());
            let done = portability::export::export(&engine, &mut out).await;
            engine.close().await;
            eprintln!("{}", done?);
            return Ok(());
        }
        Some(Command::Import) => {
            let engine = Engine::open(&config)?;
            let mut input = std::io::BufReader::new(std::io::stdin());
            let done = portability::import::import(&engine, &mut input).await;
            engine.close().await;
            println!("{}", done?);
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
    // Signals are watched from before the line that says the server is up.
    let stop = stop_signal();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{LISTENING_ON}{addr}")?;
    stdout.flush()?;
    drop(stdout);
    tracing::info!(%addr, "listening");
    serve(listener, config, stop).await?;
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

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this is
/// called, not when it is first polled: it is called before the "listening" line, so a
/// script that stops the server as soon as it reads that line gets a graceful stop, never
/// the signal's default (the process killed outright).
fn stop_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                (interrupt, terminate) => {
                    let err = interrupt.err().or(terminate.err());
                    tracing::warn!(error = ?err, "cannot watch SIGINT or SIGTERM; using Ctrl-C alone");
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
