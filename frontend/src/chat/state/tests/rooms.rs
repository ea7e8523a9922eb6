//! The room list and how live records land in a room: listed once, counted unread.

use super::*;

#[wasm_bindgen_test(unsupported = test)]
fn the_directory_keeps_only_the_busiest_few_of_a_long_list() {
    let mut state = ChatState::new(name("ada"), Vec::new(), None);
    let flood: Vec<RoomSummary> = (0..1_000u64)
        .map(|n| RoomSummary {
            room: room(&format!("r{n}")),
            last_id: 1_000 - n,
            mentions: None,
            unread: None,
        })
        .collect();
    state.apply(ChatAction::RoomsListed(flood.clone()));
    assert_eq!(state.directory, flood[..BUSIEST_ROOMS]);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_record_delivered_twice_is_listed_once() {
    let mut state = state();
    state.apply(chat(record("general", 1, "bob", None)));
    state.apply(chat(record("general", 2, "bob", None)));
    state.apply(chat(record("general", 1, "bob", None)));
    let ids: Vec<u64> = state
        .current_room()
        .unwrap()
        .messages
        .keys()
        .copied()
        .collect();
    assert_eq!(ids, [1, 2]);
    assert_eq!(state.current_room().unwrap().last_seen, Some(2));
}

#[wasm_bindgen_test(unsupported = test)]
fn unread_counts_other_rooms_and_hidden_tabs_but_not_own_messages() {
    let mut state = state();
    state.apply(chat(record("rust", 1, "bob", None)));
    state.apply(chat(record("rust", 2, "me", None)));
    state.apply(chat(record("general", 1, "bob", None)));
    assert_eq!(state.rooms.get(&room("rust")).unwrap().unread, 1);
    assert_eq!(state.total_unread(), 1);
    state.apply(ChatAction::PageVisibility { hidden: true });
    state.apply(chat(record("general", 2, "bob", None)));
    assert_eq!(state.total_unread(), 2);
    state.apply(ChatAction::PageVisibility { hidden: false });
    state.apply(ChatAction::OpenRoom(room("rust")));
    assert_eq!(state.total_unread(), 0);
}
