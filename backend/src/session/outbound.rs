//! Outbound: every byte a session sends its client goes through here.
//!
//! Frames fan-out shared are sent as they were encoded, once for every receiver; only what is
//! this client's own (its confirmation with the `client_id`, an error, `joined`) is encoded
//! here. A write waits while the peer's socket is full, but never for ever: the wait is raced
//! against overflow, shutdown and the idle timeout, so a peer that stopped reading cannot pin
//! its session (and its rooms' memory) beyond the bounds the outbox promises.

use super::{Ending, Session, Step, inbound};
use crate::{
    delivery::{frame::encode, outbox::Doorbell},
    logs::Clipped,
};
use actix_ws::Message;
use bytestring::ByteString;
use chinwag_shared::{ChatRecord, ErrorCode, ErrorFrame, RoomName, ServerMsg};
use futures_util::Sink;
use std::{future::poll_fn, pin::Pin, task::Poll, time::Duration};

impl Session {
    /// Sends a record this session holds (a store page, the author's own copy).
    ///
    /// Here and below, the text is encoded in a statement of its own before the write is
    /// awaited: a message built inside the awaited expression would live in the session's
    /// future across the await, and every connection would carry its size for life.
    pub(super) async fn send_record(&mut self, record: &ChatRecord) -> Step {
        let text = encode(&ServerMsg::Chat(record.clone()));
        self.send_text(text).await
    }

    /// Sends `room`'s chat frame `id` as it was broadcast (`shared`), or this client's own
    /// copy if it is the confirmation of its send.
    pub(super) async fn send_chat(
        &mut self,
        room: &RoomName,
        id: u64,
        shared: &ByteString,
    ) -> Step {
        let text = match self.confirmations.take(room, id) {
            Some(own) => encode(&ServerMsg::Chat(own)),
            None => shared.clone(),
        };
        self.send_text(text).await
    }

    /// Sends a record read from the store, or this client's own copy if it is the
    /// confirmation of its send.
    pub(super) async fn send_stored(&mut self, record: &ChatRecord) -> Step {
        let own = self.confirmations.take(&record.room, record.id);
        let text = encode(&ServerMsg::Chat(own.unwrap_or_else(|| record.clone())));
        self.send_text(text).await
    }

    /// Tells the client the store could not answer for `room`; it may try again.
    pub(super) async fn send_unavailable(&mut self, room: &RoomName) -> Step {
        let mut frame = inbound::error(
            ErrorCode::Unavailable,
            "storage is unavailable; try again shortly".to_owned(),
        );
        frame.room = Some(room.to_string());
        self.send_error(frame).await
    }

    /// Refuses something the client sent, counted by its code.
    pub(super) async fn send_error(&mut self, frame: ErrorFrame) -> Step {
        // Details quote input (serde names the unknown variant it was sent, in full).
        let detail = Clipped::new(&frame.detail);
        tracing::debug!(session = self.id, code = %frame.code, %detail, "refused a client frame");
        self.hub.metrics().count_error_frame(frame.code);
        self.send_msg(&ServerMsg::Error(frame)).await
    }

    /// Encodes and sends a message for this client alone.
    pub(super) async fn send_msg(&mut self, message: &ServerMsg) -> Step {
        let text = encode(message);
        self.send_text(text).await
    }

    /// Hands `text` to the socket. Usually immediate; when the peer has stopped reading, the
    /// write waits — but only until the outbox overflows, the server shuts down or the idle
    /// timeout passes, so a stalled peer cannot pin its session forever.
    pub(super) async fn send_text(&mut self, text: ByteString) -> Step {
        self.write(Message::Text(text)).await?;
        self.hub.metrics().frames_delivered.inc();
        Ok(())
    }

    /// Sends a control frame (the heartbeat's ping, the pong answering a client's ping) the
    /// way [`Self::send_text`] sends text: a peer that stopped reading makes it wait like any
    /// frame, and give up like one. Awaited on its own, a ping or pong to a full socket would
    /// hold the session where nothing else is heard, overflow and shutdown included.
    pub(super) async fn send_control(&mut self, control: Message) -> Step {
        self.write(control).await
    }

    /// The write behind [`Self::send_text`], raced against the reasons to stop waiting.
    ///
    /// Written against the socket's `Sink` side, polled in place, rather than awaiting
    /// `ws.text()`: that is an async fn, and its future (the channel's reservation in it) would
    /// sit inline in the session's future, in every open connection's memory, though a write
    /// almost never waits. The steps are the ones `text()` takes: ready, send, flush.
    async fn write(&mut self, message: Message) -> Step {
        // Asked once on its own first: almost always the channel has room, and only a write
        // that must wait pays for registering the three wake-ups below.
        let ws = &mut self.ws;
        let ready = poll_fn(|cx| Poll::Ready(Pin::new(&mut *ws).poll_ready(cx))).await;
        match ready {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(_)) => return Err(Ending::PeerGone),
            Poll::Pending => {
                // The wait is boxed: its timers and wake-ups are made only by a write that
                // must wait, and are not part of every connection's future.
                let stop = StopWaiting {
                    bell: self.outbox.doorbell(),
                    idle_timeout: self.context.limits.idle_timeout,
                };
                let ws = &mut self.ws;
                let room = poll_fn(|cx| Pin::new(&mut *ws).poll_ready(cx));
                Box::pin(stop.race(room)).await?;
            }
        }
        let ws = Pin::new(&mut self.ws);
        ws.start_send(message).map_err(|_| Ending::PeerGone)?;
        let ws = &mut self.ws;
        poll_fn(|cx| Pin::new(&mut *ws).poll_flush(cx))
            .await
            .map_err(|_| Ending::PeerGone)
    }
}

/// What ends a write's wait for a peer that is not reading.
struct StopWaiting {
    /// Rung when the server shuts down or the outbox overflows.
    bell: Doorbell,
    idle_timeout: Duration,
}

impl StopWaiting {
    /// Waits until the socket has room for a frame, unless the server shuts down, the outbox
    /// overflows or the idle timeout passes first.
    async fn race<E>(self, room: impl Future<Output = Result<(), E>>) -> Step {
        tokio::select! {
            biased;
            ready = room => ready.map_err(|_| Ending::PeerGone),
            ring = self.bell.stopped() => Err(super::signals::ending(ring)),
            () = tokio::time::sleep(self.idle_timeout) => Err(Ending::SlowConsumer),
        }
    }
}
