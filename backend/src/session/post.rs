//! Posting: what a client says in a room, a `send` or a `typing` notice, and the answer.
//!
//! A send is judged by the hub (the new-room budget), stored, and only then broadcast; the
//! session never answers a stored send directly while it is a member of the room. Its answer
//! is the room's own record, in order with everyone else's, in this client's copy with the
//! `client_id` ([`super::confirm`]). A refusal always names the room and the `client_id`, so
//! the client knows which pending message it concerns and whether a retry can help.

use super::{Session, Step};
use crate::hub::{PostError, Poster, access::AccessError};
use crate::store::{Appended, NewMessage};
use chinwag_shared::{ClientId, ErrorCode, ErrorFrame, MessageText, RoomName, Username};

impl Session {
    /// Stores a client's message and answers it: in the room's order if it is a member,
    /// directly if not, or with the refusal.
    pub(super) async fn on_send(
        &mut self,
        room: RoomName,
        username: Option<Username>,
        text: MessageText,
        client_id: Option<ClientId>,
    ) -> Step {
        // A joined room's record carries the hub's copy of its name, so its frame reaches
        // every member's cursor by pointer (see `cursors`).
        let room = self.cursors.joined_name(&room).cloned().unwrap_or(room);
        if let Err(mut frame) = self.admit_unjoined(&room).await {
            frame.client_id = client_id.map(|id| id.to_string());
            return self.send_error(frame).await;
        }
        let username = match self.speaker(&room, username).await {
            Ok(username) => username,
            Err(mut frame) => {
                frame.room = Some(room.to_string());
                frame.client_id = client_id.map(|id| id.to_string());
                return self.send_error(frame).await;
            }
        };
        let message = NewMessage {
            author: self.principal.author(self.token.as_ref(), &username),
            room: room.clone(),
            username,
            text,
            client_id: client_id.clone(),
            guest: self.principal.is_guest(),
            bot: false,
        };
        let address = self.visitor().address;
        let poster = Poster {
            principal: &self.principal,
            address,
            connection: Some(&mut self.new_rooms),
        };
        match self.hub.post(message, poster).await {
            // A member's confirmation arrives through its outbox, in order with everyone
            // else's: this session's copy of that record, with the client_id, is sent in the
            // shared frame's place. Nothing of the outbox is read before this is noted.
            Ok(Appended::Stored(record)) if self.cursors.contains_key(&room) => {
                self.confirmations.owe(record);
                Ok(())
            }
            // A retry whose record has not reached this connection yet (stored through the
            // connection that dropped, still on its way here): answered in its place too, so
            // the client is not shown the id twice, once without its client_id.
            Ok(Appended::Duplicate(record))
                if self
                    .cursors
                    .get(&room)
                    .is_some_and(|cursor| record.id > cursor.last()) =>
            {
                self.confirmations.owe(record);
                Ok(())
            }
            Ok(Appended::Stored(record) | Appended::Duplicate(record)) => {
                self.send_record(&record).await
            }
            Ok(Appended::Reused) => {
                let frame = ErrorFrame {
                    code: ErrorCode::ClientIdReused,
                    detail: "this client_id already names another message of yours in this \
                             room; send the new one with a fresh client_id"
                        .to_owned(),
                    room: Some(room.to_string()),
                    client_id: client_id.map(|id| id.to_string()),
                    retry_after_ms: None,
                };
                self.send_error(frame).await
            }
            Err(err) => self.refuse_post(&room, client_id, err).await,
        }
    }

    /// Answers a send the hub did not store.
    async fn refuse_post(
        &mut self,
        room: &RoomName,
        client_id: Option<ClientId>,
        err: PostError,
    ) -> Step {
        let (code, detail) = match err {
            PostError::TooManyNewRooms(refusal) => {
                if !self.new_rooms_logged {
                    self.new_rooms_logged = true;
                    tracing::warn!(session = self.id, peer = ?self.peer, %refusal, "new-room budget spent; refusing new rooms");
                }
                (ErrorCode::TooManyNewRooms, refusal.to_string())
            }
            PostError::Access(AccessError::Forbidden | AccessError::Scope(_)) => (
                ErrorCode::Forbidden,
                format!("#{room} is private, and you are not a member"),
            ),
            PostError::Access(err @ AccessError::Banned { .. }) => {
                (ErrorCode::Banned, err.to_string())
            }
            err @ PostError::Muted { .. } => (ErrorCode::Muted, err.to_string()),
            err @ PostError::SlowMode { retry_after, .. } => {
                let frame = ErrorFrame {
                    code: ErrorCode::SlowMode,
                    detail: err.to_string(),
                    room: Some(room.to_string()),
                    client_id: client_id.map(|id| id.to_string()),
                    retry_after_ms: Some(
                        u64::try_from(retry_after.as_millis())
                            .unwrap_or(u64::MAX)
                            .max(1),
                    ),
                };
                return self.send_error(frame).await;
            }
            PostError::Access(AccessError::Store(err)) | PostError::Store(err) => {
                tracing::warn!(session = self.id, error = %err, "append failed");
                let detail = "the message could not be confirmed; retry with the same client_id \
                              (it is stored at most once)";
                (ErrorCode::Unavailable, detail.to_owned())
            }
        };
        let frame = ErrorFrame {
            code,
            detail,
            room: Some(room.to_string()),
            client_id: client_id.map(|id| id.to_string()),
            retry_after_ms: None,
        };
        self.send_error(frame).await
    }

    /// Relays a typing notice under the speaker's name; it is not stored.
    pub(super) async fn on_typing(&mut self, room: &RoomName, username: Option<Username>) -> Step {
        if let Err(frame) = self.admit_unjoined(room).await {
            return self.send_error(frame).await;
        }
        match self.speaker(room, username).await {
            Ok(username) => {
                self.hub.typing(room, &username);
                Ok(())
            }
            Err(mut frame) => {
                frame.room = Some(room.to_string());
                self.send_error(frame).await
            }
        }
    }
}
