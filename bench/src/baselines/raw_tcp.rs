//! The raw-TCP fan-out: every line a client sends goes to every client, byte for byte.
//!
//! The floor under any WebSocket server: no handshake, no framing, no masking. Each
//! connection has a reader task that publishes complete lines (newline included) to one bounded
//! tokio broadcast channel, and a writer task that copies whatever is queued into one buffer
//! and writes it with one call. A receiver that lags a whole channel is disconnected.

use crate::client::BASELINE_READY;
use anyhow::Result;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream, tcp::OwnedWriteHalf},
    sync::broadcast::{self, error::RecvError},
};
use tokio_tungstenite::tungstenite::Bytes;

/// Frames copied into one write when a connection is behind.
const MAX_BATCH: usize = 64;
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// Accepts connections until the listener fails.
pub async fn serve(listener: TcpListener, capacity: usize) -> Result<()> {
    super::accept_all::<Bytes, _, _>(listener, capacity, relay).await
}

/// One connection: its lines out to everyone, everyone's lines in to it. Ends when either
/// direction ends; the other is aborted with it.
async fn relay(
    stream: TcpStream,
    tx: broadcast::Sender<Bytes>,
    rx: broadcast::Receiver<Bytes>,
) -> Result<()> {
    let (read, mut write) = stream.into_split();
    write
        .write_all(format!("{BASELINE_READY}\n").as_bytes())
        .await?;
    let mut writer = tokio::spawn(write_out(write, rx));
    let mut lines = BufReader::with_capacity(READ_BUFFER_BYTES, read);
    let mut line = Vec::with_capacity(512);
    loop {
        line.clear();
        tokio::select! {
            read = lines.read_until(b'\n', &mut line) => {
                if read? == 0 || line.last() != Some(&b'\n') {
                    break;
                }
                let _ = tx.send(Bytes::copy_from_slice(&line));
            }
            _ = &mut writer => return Ok(()),
        }
    }
    writer.abort();
    Ok(())
}

/// Writes every broadcast line to the client, batching what is queued.
async fn write_out(mut write: OwnedWriteHalf, mut rx: broadcast::Receiver<Bytes>) -> Result<()> {
    // Grown on first use: an idle connection holds no write buffer.
    let mut batch = Vec::new();
    loop {
        match rx.recv().await {
            Ok(first) => {
                batch.clear();
                batch.extend_from_slice(&first);
                for _ in 1..MAX_BATCH {
                    let Ok(more) = rx.try_recv() else { break };
                    batch.extend_from_slice(&more);
                }
                write.write_all(&batch).await?;
            }
            Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return Ok(()),
        }
    }
}
