//! The reducer's tests, one file per concept, and the fixtures they share: names, records,
//! frames and actions built the way the server and the controller build them. Each test runs
//! natively under `cargo test` and in headless Chromium (`wasm_bindgen_test`).

mod access;
mod changes;
mod history;
mod outbox;
mod presence;
mod read;
mod rooms;
mod standing;

pub(super) use super::*;
pub(super) use chinwag_shared::{ChatRecord, ClientId, ClientMsg, ErrorCode, ErrorFrame};
pub(super) use wasm_bindgen_test::wasm_bindgen_test;

pub(super) fn name(raw: &str) -> Username {
    Username::parse(raw).unwrap()
}

pub(super) fn room(raw: &str) -> RoomName {
    RoomName::parse(raw).unwrap()
}

pub(super) fn record(room_name: &str, id: u64, who: &str, client_id: Option<&str>) -> ChatRecord {
    ChatRecord {
        id,
        room: room(room_name),
        username: name(who),
        message: format!("message {id}"),
        ts: 1_700_000_000_000,
        guest: false,
        bot: false,
        client_id: client_id.map(|id| ClientId::parse(id).unwrap()),
        change: None,
        deleted: None,
        edited: None,
    }
}

/// The record confirming `queue(client_id, room)`: the author's own copy, with the id.
pub(super) fn confirmation(room_name: &str, id: u64, client_id: &str) -> ChatRecord {
    ChatRecord {
        message: format!("pending {client_id}"),
        ..record(room_name, id, "me", Some(client_id))
    }
}

pub(super) fn chat(record: ChatRecord) -> ChatAction {
    ChatAction::Server {
        msg: ServerMsg::Chat(record),
        now: 0.0,
    }
}

pub(super) fn state() -> ChatState {
    ChatState::new(name("me"), vec![room("general"), room("rust")], None)
}

pub(super) fn refusal(code: ErrorCode, client_id: &str, now: f64) -> ChatAction {
    ChatAction::Server {
        msg: ServerMsg::Error(ErrorFrame {
            code,
            detail: format!("refused: {code}"),
            room: Some("general".into()),
            client_id: Some(client_id.into()),
            retry_after_ms: None,
        }),
        now,
    }
}

pub(super) fn client_ids<'a>(pending: impl Iterator<Item = &'a Pending>) -> Vec<&'a str> {
    pending.map(|p| p.client_id.as_str()).collect()
}

pub(super) fn server(msg: ServerMsg) -> ChatAction {
    ChatAction::Server { msg, now: 0.0 }
}

pub(super) fn joined(room_name: &str, last_id: u64, epoch: &str) -> ChatAction {
    server(ServerMsg::Joined {
        room: room(room_name),
        last_id,
        // "" stands for a server that predates epochs, as on the wire.
        epoch: chinwag_shared::Epoch::from_wire(Some(epoch.to_owned())),
    })
}

pub(super) fn history_reset(room_name: &str, epoch: &str) -> ChatAction {
    server(ServerMsg::HistoryReset {
        room: room(room_name),
        epoch: epoch.into(),
    })
}

pub(super) fn queue(client_id: &str, room_name: &str) -> ChatAction {
    ChatAction::Queue(Pending::new(
        ClientId::parse(client_id).unwrap(),
        room(room_name),
        format!("pending {client_id}"),
    ))
}

pub(super) fn notice_kinds(view: &RoomView) -> Vec<NoticeKind> {
    view.notices.iter().map(|notice| notice.kind).collect()
}
