//! Opening a crowd of connections: a bounded number at a time, each joined and confirmed.
//!
//! Used by every mode to set up before measuring. A connection counts once its target has
//! confirmed the join, so the measured phase never races a join still in flight. Any
//! connection that fails fails the whole setup, with its reason: a run with fewer clients than
//! asked is not the run that was asked for.

use crate::{
    client::{Connector, FrameReader, FrameWriter, JoinSpec},
    progress,
};
use anyhow::{Context, Result};
use futures_util::StreamExt;
use std::time::{Duration, Instant};

/// How long after the WebSocket opens the join may take to be confirmed (connect and
/// handshake have their own bounds).
const JOINED_TIMEOUT: Duration = Duration::from_secs(20);

/// A connection whose join the target confirmed.
pub struct Joined {
    /// Sending half.
    pub writer: FrameWriter,
    /// Receiving half.
    pub reader: FrameReader,
}

/// Connects one client per spec, each through its own connector (a target of several nodes
/// deals them out), `concurrency` at a time, in order; returns them and how long it took.
pub async fn connect_all(
    specs: Vec<(Connector, JoinSpec)>,
    concurrency: usize,
    label: &str,
) -> Result<(Vec<Joined>, Duration)> {
    let started = Instant::now();
    let bar = progress::bar(specs.len() as u64, label);
    let mut joins = futures_util::stream::iter(specs.into_iter().enumerate().map(
        |(i, (connector, spec))| async move {
            connect_one(connector, &spec)
                .await
                .with_context(|| format!("connection {i} (to {})", connector.addr))
        },
    ))
    .buffered(concurrency.max(1));
    let mut joined = Vec::new();
    while let Some(next) = joins.next().await {
        joined.push(next?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((joined, started.elapsed()))
}

async fn connect_one(connector: Connector, spec: &JoinSpec) -> Result<Joined> {
    let (writer, mut reader) = connector.connect(spec).await?;
    tokio::time::timeout(JOINED_TIMEOUT, reader.wait_ready(|_| {}))
        .await
        .with_context(|| format!("no joined frame within {JOINED_TIMEOUT:?} (WebSocket open)"))??;
    Ok(Joined { writer, reader })
}
