//! The transport lab's sender: `--count` messages on schedule, over HTTP or a WebSocket, each
//! confirmed before the next, each text `lab <seq> <µs since the shared clock>`.

use super::{Plan, STEP_TIMEOUT};
use crate::{cli::LabSender, http::HttpConn, stats::Histogram};
use anyhow::{Context, Result, bail};
use chinwag_shared::ServerMsg;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::{net::SocketAddr, time::Duration};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpStream,
    time::{Instant, sleep_until, timeout},
};
use tokio_tungstenite::{WebSocketStream, client_async, tungstenite::Message};

/// What the sender did.
pub struct Sent {
    /// How it sent, for the report.
    pub kind: &'static str,
    /// Messages confirmed.
    pub sent: usize,
    /// Time from sending a message to its confirmation (201 or the `chat` frame).
    pub confirm: Histogram,
    /// What went wrong, if anything (the sender stops at its first error).
    pub errors: Vec<String>,
}

/// When each message goes, and the clock its stamp is read from.
struct Schedule {
    clock: Instant,
    start: Instant,
    period: Duration,
}

impl Schedule {
    /// Sleeps until message `seq` is due.
    async fn due(&self, seq: usize) -> Result<()> {
        sleep_until(self.start + self.period * u32::try_from(seq)?).await;
        Ok(())
    }

    /// `lab <seq> <µs since the clock>`.
    fn stamped_text(&self, seq: usize) -> String {
        format!("lab {seq} {}", self.clock.elapsed().as_micros())
    }
}

/// Sends every message on schedule from `start`.
pub async fn send_all(plan: &Plan, addr: SocketAddr, clock: Instant, start: Instant) -> Sent {
    let at = Schedule {
        clock,
        start,
        period: plan.period,
    };
    let mut sent = Sent {
        kind: match plan.sender {
            LabSender::Http => "HTTP POST",
            LabSender::Ws => "WebSocket send",
        },
        sent: 0,
        confirm: Histogram::default(),
        errors: Vec::new(),
    };
    let outcome = match plan.sender {
        LabSender::Http => post_all(plan, addr, &at, &mut sent).await,
        LabSender::Ws => socket_send_all(plan, addr, &at, &mut sent).await,
    };
    if let Err(err) = outcome {
        sent.errors.push(format!("{err:#}"));
    }
    sent
}

async fn post_all(plan: &Plan, addr: SocketAddr, at: &Schedule, sent: &mut Sent) -> Result<()> {
    let mut conn = HttpConn::connect(addr).await?;
    let path = format!("/api/rooms/{}/messages", plan.room);
    for seq in 0..plan.count {
        at.due(seq).await?;
        let began = Instant::now();
        let body = json!({
            "username": "lab-sender",
            "message": at.stamped_text(seq),
            "client_id": format!("lab-{seq}"),
        });
        conn.send("POST", &path, &body.to_string()).await?;
        let answer = timeout(STEP_TIMEOUT, conn.receive())
            .await
            .with_context(|| format!("POST {seq} was not answered in time"))??;
        if answer.status != 201 {
            bail!("POST {seq} answered {}: {}", answer.status, answer.text());
        }
        sent.confirm.record(began.elapsed());
        sent.sent += 1;
    }
    Ok(())
}

async fn socket_send_all(
    plan: &Plan,
    addr: SocketAddr,
    at: &Schedule,
    sent: &mut Sent,
) -> Result<()> {
    // The sender sits in a room of its own, so the only `chat` frames it gets are the
    // confirmations of its sends (protocol.md, "Sender confirmation").
    let stream = TcpStream::connect(addr).await?;
    let url = format!("ws://{addr}/socket?room={}-sender", plan.room);
    let (mut socket, _) = timeout(STEP_TIMEOUT, client_async(url, stream))
        .await
        .context("the sender's WebSocket did not open in time")??;
    for seq in 0..plan.count {
        at.due(seq).await?;
        let began = Instant::now();
        let client_id = format!("lab-{seq}");
        let frame = json!({
            "type": "send",
            "room": plan.room,
            "username": "lab-sender",
            "message": at.stamped_text(seq),
            "client_id": client_id,
        });
        socket.send(Message::text(frame.to_string())).await?;
        timeout(STEP_TIMEOUT, confirmation(&mut socket, &client_id))
            .await
            .with_context(|| format!("send {seq} was not confirmed in time"))??;
        sent.confirm.record(began.elapsed());
        sent.sent += 1;
    }
    socket.close(None).await?;
    Ok(())
}

/// Reads frames until the `chat` confirming `client_id`; an `error` frame is an error.
async fn confirmation<S>(socket: &mut WebSocketStream<S>, client_id: &str) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let Some(frame) = socket.next().await else {
            bail!("the sender's socket closed");
        };
        let Message::Text(text) = frame? else {
            continue;
        };
        match serde_json::from_str::<ServerMsg>(&text)? {
            ServerMsg::Chat(record)
                if record.client_id.as_ref().map(|id| id.as_str()) == Some(client_id) =>
            {
                return Ok(());
            }
            ServerMsg::Error(refusal) => bail!("send refused: {refusal:?}"),
            _ => {}
        }
    }
}
