//! Private rooms, direct messages, and rooms the server refuses or takes away.

use super::*;
use chinwag_shared::account::RoomInfo;

fn private(room_name: &str, owner: &str) -> RoomInfo {
    RoomInfo {
        room: room(room_name),
        private: true,
        owner: Some(name(owner)),
        dm_with: None,
        last_id: 0,
        unread: None,
        mentions: None,
    }
}

fn dm(room_name: &str, with: &str) -> RoomInfo {
    RoomInfo {
        room: room(room_name),
        private: true,
        owner: None,
        dm_with: Some(name(with)),
        last_id: 0,
        unread: None,
        mentions: None,
    }
}

fn forbidden(room_name: &str) -> ChatAction {
    server(ServerMsg::Error(ErrorFrame {
        code: ErrorCode::Forbidden,
        detail: "members only".into(),
        room: Some(room_name.into()),
        client_id: None,
        retry_after_ms: None,
    }))
}

fn joined_rooms(state: &ChatState) -> Vec<&str> {
    state.rooms.keys().map(RoomName::as_str).collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn memberships_say_which_rooms_are_private_and_whom_a_dm_is_with() {
    let mut state = state();
    state.apply(ChatAction::MyRoomsListed(vec![
        private("team", "me"),
        dm("dm-3", "zoe"),
        dm("dm-1", "ann"),
    ]));
    assert_eq!(state.kind_of(&room("team")), RoomKind::Private);
    assert_eq!(
        state.kind_of(&room("dm-3")),
        RoomKind::Direct { with: name("zoe") }
    );
    assert_eq!(state.kind_of(&room("general")), RoomKind::Public);
    assert_eq!(
        state.direct_messages(),
        [(room("dm-1"), name("ann")), (room("dm-3"), name("zoe"))],
        "ordered by the other person's name, not the room's"
    );
    let private: Vec<_> = state.private_rooms().map(RoomName::as_str).collect();
    assert_eq!(private, ["team"]);
    assert_eq!(state.room_label(&room("dm-3")), "@zoe");
    assert_eq!(state.room_label(&room("team")), "#team");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_new_room_is_added_and_the_next_listing_replaces_everything() {
    let mut state = state();
    state.apply(ChatAction::RoomAdded(private("team", "me")));
    assert_eq!(state.kind_of(&room("team")), RoomKind::Private);
    state.apply(ChatAction::MyRoomsListed(vec![dm("dm-1", "ann")]));
    assert_eq!(state.kind_of(&room("team")), RoomKind::Public);
    assert_eq!(state.direct_messages().len(), 1);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_forbidden_room_on_screen_is_dropped_with_its_sends_and_the_default_room_shown() {
    let mut state = state();
    state.apply(ChatAction::RoomAdded(private("team", "olga")));
    state.apply(ChatAction::OpenRoom(room("team")));
    state.apply(queue("c1", "team"));
    state.apply(queue("c2", "general"));
    assert_eq!(state.room_after_removing(&room("team")), room("general"));
    state.apply(forbidden("team"));
    assert_eq!(state.current, room("general"));
    assert_eq!(joined_rooms(&state), ["general", "rust"]);
    assert_eq!(client_ids(state.outbox.iter()), ["c2"]);
    assert_eq!(state.kind_of(&room("team")), RoomKind::Public);
    assert_eq!(
        state.banner.as_deref(),
        Some("You are not a member of #team.")
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_dm_refused_names_the_person_not_the_room() {
    let mut state = state();
    state.apply(ChatAction::RoomAdded(dm("dm-7", "zoe")));
    state.apply(ChatAction::OpenRoom(room("dm-7")));
    state.apply(forbidden("dm-7"));
    assert_eq!(
        state.banner.as_deref(),
        Some("You are not a member of your conversation with zoe.")
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_left_room_off_screen_goes_quietly_and_the_screen_stays() {
    let mut state = state();
    state.apply(server(ServerMsg::Left { room: room("rust") }));
    assert_eq!(state.current, room("general"));
    assert_eq!(joined_rooms(&state), ["general"]);
    assert_eq!(state.banner, None);
}

#[wasm_bindgen_test(unsupported = test)]
fn losing_the_default_room_on_screen_shows_another_joined_one() {
    let mut state = state();
    assert_eq!(state.room_after_removing(&room("general")), room("rust"));
    state.apply(forbidden("general"));
    assert_eq!(state.current, room("rust"));
    assert_eq!(joined_rooms(&state), ["rust"]);
}

#[wasm_bindgen_test(unsupported = test)]
fn removal_from_a_room_shown_while_another_is_open_does_not_move_the_screen() {
    let mut state = state();
    state.apply(ChatAction::OpenRoom(room("rust")));
    assert_eq!(state.room_after_removing(&room("general")), room("rust"));
    state.apply(forbidden("general"));
    assert_eq!(state.current, room("rust"));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_forbidden_send_fails_that_message_and_keeps_the_room() {
    let mut state = state();
    state.apply(queue("c1", "general"));
    state.apply(server(ServerMsg::Error(ErrorFrame {
        code: ErrorCode::Forbidden,
        detail: "members only".into(),
        room: Some("general".into()),
        client_id: Some("c1".into()),
        retry_after_ms: None,
    })));
    assert_eq!(joined_rooms(&state), ["general", "rust"]);
    assert!(matches!(state.outbox[0].state, SendState::Failed { .. }));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_guest_whose_name_is_taken_is_told_what_to_do_in_words() {
    let mut state = state();
    state.apply(server(ServerMsg::Error(ErrorFrame {
        code: ErrorCode::UsernameTaken,
        detail: "username_taken: me".into(),
        room: Some("general".into()),
        client_id: None,
        retry_after_ms: None,
    })));
    let banner = state.banner.unwrap();
    assert!(banner.contains("sign in"), "{banner}");
    assert!(!banner.contains("username_taken"), "{banner}");
}
