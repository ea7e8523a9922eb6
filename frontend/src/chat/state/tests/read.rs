//! Read markers and the unread and mention counts they leave.

use super::*;

fn said(room_name: &str, id: u64, who: &str, text: &str) -> ChatRecord {
    ChatRecord {
        message: text.to_owned(),
        ..record(room_name, id, who, None)
    }
}

fn marker(room_name: &str, id: u64) -> ChatAction {
    server(ServerMsg::ReadMarker {
        room: room(room_name),
        id,
    })
}

fn counts(state: &ChatState, room_name: &str) -> (u32, u32) {
    let view = state.rooms.get(&room(room_name)).unwrap();
    (view.unread, view.mentions)
}

fn page(room_name: &str, records: Vec<ChatRecord>) -> ChatAction {
    ChatAction::HistoryLoaded {
        room: room(room_name),
        records,
        page_size: HISTORY_PAGE,
        epoch: None,
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn the_room_on_screen_is_read_up_to_its_newest_record_only_while_the_tab_is_visible() {
    let mut state = state();
    state.apply(chat(said("general", 3, "bob", "hi")));
    assert_eq!(state.current_room().unwrap().read, Some(3));
    state.apply(ChatAction::PageVisibility { hidden: true });
    state.apply(chat(said("general", 4, "bob", "still there?")));
    let view = state.current_room().unwrap();
    assert_eq!((view.read, view.unread), (Some(3), 1));
    assert_eq!(state.total_unread(), 1, "the tab title counts it");
    state.apply(ChatAction::PageVisibility { hidden: false });
    let view = state.current_room().unwrap();
    assert_eq!((view.read, view.unread), (Some(4), 0));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_marker_only_moves_forward() {
    let mut state = state();
    state.apply(marker("rust", 9));
    state.apply(marker("rust", 4));
    assert_eq!(state.rooms.get(&room("rust")).unwrap().read, Some(9));
}

#[wasm_bindgen_test(unsupported = test)]
fn mentions_of_this_person_are_counted_apart_from_other_unread_messages() {
    let mut state = state();
    state.apply(chat(said("rust", 1, "bob", "@me look")));
    state.apply(chat(said("rust", 2, "bob", "@meg is someone else")));
    state.apply(chat(said("rust", 3, "me", "@me talking to myself")));
    assert_eq!(counts(&state, "rust"), (2, 1));
    state.apply(ChatAction::OpenRoom(room("rust")));
    assert_eq!(counts(&state, "rust"), (0, 0));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_marker_from_another_device_counts_again_what_is_left_after_it() {
    let mut state = state();
    state.apply(marker("rust", 0));
    state.apply(page(
        "rust",
        vec![
            said("rust", 1, "bob", "a"),
            said("rust", 2, "bob", "@me b"),
            said("rust", 3, "bob", "c"),
        ],
    ));
    assert_eq!(
        counts(&state, "rust"),
        (3, 1),
        "a page counts from the marker"
    );
    state.apply(marker("rust", 2));
    assert_eq!(counts(&state, "rust"), (1, 0));
    state.apply(marker("rust", 3));
    assert_eq!(counts(&state, "rust"), (0, 0));
}

#[wasm_bindgen_test(unsupported = test)]
fn the_servers_counts_start_a_room_and_live_messages_add_to_them() {
    let mut state = state();
    state.apply(ChatAction::RoomsListed(vec![
        RoomSummary {
            room: room("rust"),
            last_id: 400,
            unread: Some(120),
            mentions: Some(2),
        },
        RoomSummary {
            room: room("elsewhere"),
            last_id: 9,
            unread: Some(4),
            mentions: None,
        },
    ]));
    assert_eq!(counts(&state, "rust"), (120, 2));
    state.apply(chat(said("rust", 401, "bob", "@me again")));
    assert_eq!(counts(&state, "rust"), (121, 3));
    assert_eq!(
        state.unread_of(&room("elsewhere")),
        Unread {
            messages: 4,
            mentions: 0
        },
        "a room not joined shows the list's counts"
    );
    // A marker the loaded log does not reach back to cannot lower the count...
    state.apply(marker("rust", 300));
    assert_eq!(counts(&state, "rust"), (121, 3));
    // ...but one at the newest record clears it.
    state.apply(marker("rust", 401));
    assert_eq!(counts(&state, "rust"), (0, 0));
}

#[wasm_bindgen_test(unsupported = test)]
fn counts_are_capped_as_the_server_caps_them() {
    let unread = Unread::new(5_000, u64::MAX);
    assert_eq!((unread.messages, unread.mentions), (999, 999));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_history_reset_forgets_the_marker_of_the_old_history() {
    let mut state = state();
    state.apply(marker("rust", 50));
    state.apply(history_reset("rust", "epoch-b"));
    assert_eq!(state.rooms.get(&room("rust")).unwrap().read, None);
}

#[wasm_bindgen_test(unsupported = test)]
fn my_rooms_carry_the_counts_of_private_rooms_not_joined() {
    let mut state = state();
    state.apply(ChatAction::MyRoomsListed(vec![
        chinwag_shared::account::RoomInfo {
            room: room("team"),
            private: true,
            owner: Some(name("olga")),
            dm_with: None,
            last_id: 12,
            unread: Some(3),
            mentions: Some(1),
        },
    ]));
    assert_eq!(
        state.unread_of(&room("team")),
        Unread {
            messages: 3,
            mentions: 1
        }
    );
}
