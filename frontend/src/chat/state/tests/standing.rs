//! Bans, kicks, mutes, slow mode and the room's settings, as the composer and the room see
//! them.

use super::super::standing::SLOW_MODE_MARGIN_MS;
use super::*;
use chinwag_shared::moderation::{Role, RoomSettings};

fn room_error(code: ErrorCode, room_name: &str) -> ChatAction {
    server(ServerMsg::Error(ErrorFrame {
        code,
        detail: format!("you are {code}"),
        room: Some(room_name.into()),
        client_id: None,
        retry_after_ms: None,
    }))
}

fn left(room_name: &str) -> ChatAction {
    server(ServerMsg::Left {
        room: room(room_name),
    })
}

fn settings(room_name: &str, slow_mode_secs: u32, role: Role) -> RoomSettings {
    RoomSettings {
        room: room(room_name),
        owner: None,
        moderators: Vec::new(),
        slow_mode_secs,
        role,
        read: None,
        muted_until: None,
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_ban_keeps_the_room_on_screen_barred_until_the_person_rejoins() {
    for (code, hold) in [
        (ErrorCode::Banned, Hold::Banned),
        (ErrorCode::Kicked, Hold::Kicked),
    ] {
        let mut state = state();
        state.apply(server(ServerMsg::Presence {
            room: room("general"),
            users: vec![name("me"), name("bob")],
            guests: Vec::new(),
            count: None,
        }));
        state.apply(room_error(code, "general"));
        state.apply(left("general"));
        assert_eq!(state.current, room("general"), "{code}: still on screen");
        let view = state.current_room().unwrap();
        assert_eq!(view.hold(0.0), Some(hold), "{code}");
        assert!(view.presence.is_empty(), "{code}: no longer among them");
        assert!(
            state.banner.is_none(),
            "{code}: the room says it, not the banner"
        );
        state.apply(ChatAction::Rejoin(room("general")));
        assert_eq!(state.current_room().unwrap().hold(0.0), None);
        // A plain `left` (no sanction before it) still takes the room away.
        state.apply(left("general"));
        assert!(!state.rooms.contains_key(&room("general")), "{code}");
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_barred_room_is_not_read() {
    let mut state = state();
    state.apply(room_error(ErrorCode::Banned, "general"));
    state.apply(chat(record("general", 4, "bob", None)));
    assert_eq!(state.current_room().unwrap().read, None);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_slow_mode_refusal_waits_the_servers_time_and_holds_the_composer_as_long() {
    let mut state = state();
    state.apply(queue("c1", "general"));
    state.apply(queue("c2", "general"));
    state.apply(ChatAction::Server {
        msg: ServerMsg::Error(ErrorFrame {
            code: ErrorCode::SlowMode,
            detail: "slow down".into(),
            room: Some("general".into()),
            client_id: Some("c1".into()),
            retry_after_ms: Some(12_000),
        }),
        now: 1_000.0,
    });
    let at = 13_000.0 + SLOW_MODE_MARGIN_MS;
    assert_eq!(state.outbox[0].state, SendState::Retrying { at });
    assert_eq!(
        state.next_resend(),
        Some(at),
        "resent after the wait, not failed"
    );
    let view = state.current_room().unwrap();
    assert_eq!(view.hold(2_000.0), Some(Hold::SlowMode { until: at }));
    assert_eq!(view.hold(at), None, "the hold ends with the wait");
    // A later message of the room waits at least as long.
    state.apply(refusal(ErrorCode::SlowMode, "c2", 1_000.0));
    assert!(state.outbox[1].resend_at().unwrap() >= at);
}

#[wasm_bindgen_test(unsupported = test)]
fn in_a_slow_room_a_members_own_message_starts_the_wait_and_a_moderators_does_not() {
    for (role, held) in [(Role::Member, true), (Role::Moderator, false)] {
        let mut state = state();
        state.apply(ChatAction::Settings(settings("general", 30, role)));
        state.apply(queue("c1", "general"));
        state.apply(ChatAction::Server {
            msg: ServerMsg::Chat(confirmation("general", 1, "c1")),
            now: 5_000.0,
        });
        let hold = state.current_room().unwrap().hold(6_000.0);
        if held {
            assert_eq!(hold, Some(Hold::SlowMode { until: 35_000.0 }));
        } else {
            assert_eq!(hold, None, "moderators are exempt");
        }
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_mute_holds_the_composer_until_the_settings_say_it_ended() {
    let mut state = state();
    state.apply(queue("c1", "general"));
    state.apply(refusal(ErrorCode::Muted, "c1", 0.0));
    assert!(
        matches!(state.outbox[0].state, SendState::Failed { .. }),
        "a mute is no refusal for now"
    );
    let hold = || state.current_room().unwrap().hold(1_000.0);
    assert_eq!(hold(), Some(Hold::Muted { until: None }));
    let mut muted = settings("general", 0, Role::Member);
    muted.muted_until = Some(60_000);
    state.apply(ChatAction::Settings(muted.clone()));
    let view = state.current_room().unwrap();
    assert_eq!(
        view.hold(1_000.0),
        Some(Hold::Muted {
            until: Some(60_000)
        })
    );
    assert_eq!(view.hold(60_000.0), None, "it ends by itself");
    muted.muted_until = Some(u64::MAX);
    state.apply(ChatAction::Settings(muted));
    let view = state.current_room().unwrap();
    assert_eq!(
        view.hold(1e15),
        Some(Hold::Muted { until: None }),
        "until lifted"
    );
    state.apply(ChatAction::Settings(settings("general", 0, Role::Member)));
    assert_eq!(state.current_room().unwrap().hold(1_000.0), None, "lifted");
}

#[wasm_bindgen_test(unsupported = test)]
fn settings_give_the_role_and_the_read_marker() {
    let mut state = state();
    let mut owned = settings("rust", 0, Role::Owner);
    owned.read = Some(7);
    state.apply(ChatAction::Settings(owned));
    let rust = state.rooms.get(&room("rust")).unwrap();
    assert_eq!(rust.standing.role(), Role::Owner);
    assert_eq!(rust.read, Some(7));
    assert_eq!(
        state.current_room().unwrap().standing.role(),
        Role::Member,
        "a room without settings is a member's"
    );
}
