//! Edits and deletions: folded into their messages, never listed, in any order and any
//! number of times, with the resume point moving over them.

use super::*;
use chinwag_shared::{Change, Deletion};

fn said(room_name: &str, id: u64, who: &str, text: &str) -> ChatRecord {
    ChatRecord {
        message: text.to_owned(),
        ..record(room_name, id, who, None)
    }
}

fn edit(id: u64, target: u64, text: &str) -> ChatRecord {
    ChatRecord {
        change: Some(Change::Edit { target }),
        ..said("general", id, "bob", text)
    }
}

fn delete(id: u64, target: u64, by: &str, moderator: bool) -> ChatRecord {
    ChatRecord {
        change: Some(Change::Delete { target, moderator }),
        ..said("general", id, by, "")
    }
}

/// Message 2 as the server serves it after edit 5 (a replay or a history page).
fn edited_at_5() -> ChatRecord {
    ChatRecord {
        edited: Some(5),
        ..said("general", 2, "bob", "fixed")
    }
}

fn shown(state: &ChatState, id: u64) -> ChatRecord {
    (**state.current_room().unwrap().messages.get(&id).unwrap()).clone()
}

fn ids(state: &ChatState) -> Vec<u64> {
    state
        .current_room()
        .unwrap()
        .messages
        .keys()
        .copied()
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn an_edit_changes_its_message_and_is_not_listed_but_moves_the_resume_point() {
    let mut state = state();
    state.apply(chat(said("general", 2, "bob", "tpyo")));
    state.apply(chat(edit(5, 2, "typo")));
    assert_eq!(ids(&state), [2], "the change record is not a message");
    let message = shown(&state, 2);
    assert_eq!(
        (message.message.as_str(), message.edited),
        ("typo", Some(5))
    );
    let view = state.current_room().unwrap();
    assert_eq!(
        view.last_seen,
        Some(5),
        "a reconnect resumes after the change"
    );
    assert!(matches!(
        view.resume_join(&room("general")),
        ClientMsg::Join { after: Some(5), .. }
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_change_applied_twice_or_an_older_edit_after_a_newer_changes_nothing() {
    let mut state = state();
    state.apply(chat(said("general", 2, "bob", "v1")));
    state.apply(chat(edit(5, 2, "v3")));
    let once = state.clone();
    state.apply(chat(edit(5, 2, "v3")));
    state.apply(chat(edit(4, 2, "v2")));
    assert_eq!(state, once);
    assert_eq!(shown(&state, 2).message, "v3");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_deletion_leaves_a_tombstone_naming_only_a_moderator_and_is_final() {
    let mut state = state();
    state.apply(chat(said("general", 2, "bob", "oops")));
    state.apply(chat(said("general", 3, "bob", "spam")));
    state.apply(chat(delete(4, 2, "bob", false)));
    state.apply(chat(delete(5, 3, "mod", true)));
    state.apply(chat(edit(6, 3, "back from the dead")));
    let own = shown(&state, 2);
    assert_eq!(own.message, "");
    assert_eq!(own.deleted, Some(Deletion { id: 4, by: None }));
    let moderated = shown(&state, 3);
    assert_eq!(moderated.message, "", "no edit revives a deleted message");
    assert_eq!(moderated.deleted.unwrap().by, Some(name("mod")));
    assert_eq!(ids(&state), [2, 3]);
    assert_eq!(state.current_room().unwrap().last_seen, Some(6));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_current_state_message_arriving_after_its_changes_ends_the_same() {
    // A resume delivers change 5 about message 2, which is not loaded; then the page that
    // holds message 2 arrives in its current state.
    let mut state = state();
    state.apply(chat(edit(5, 2, "fixed")));
    assert!(ids(&state).is_empty(), "nothing to show for a change alone");
    state.apply(ChatAction::HistoryLoaded {
        room: room("general"),
        records: vec![said("general", 1, "ann", "hi"), edited_at_5()],
        page_size: HISTORY_PAGE,
        epoch: None,
    });
    assert_eq!(shown(&state, 2), edited_at_5());
    assert_eq!(ids(&state), [1, 2]);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_page_fetched_before_a_change_does_not_undo_it() {
    // The page was asked for before edit 5 and answered after it arrived live: it holds
    // message 2 as it was, which must not replace the edited one.
    let mut state = state();
    state.apply(chat(edit(5, 2, "fixed")));
    state.apply(ChatAction::HistoryLoaded {
        room: room("general"),
        records: vec![said("general", 2, "bob", "fxied")],
        page_size: HISTORY_PAGE,
        epoch: None,
    });
    assert_eq!(shown(&state, 2), edited_at_5());

    let mut state = self::state();
    state.apply(chat(said("general", 2, "bob", "fxied")));
    state.apply(chat(delete(6, 2, "mod", true)));
    state.apply(ChatAction::HistoryLoaded {
        room: room("general"),
        records: vec![edited_at_5()],
        page_size: HISTORY_PAGE,
        epoch: None,
    });
    assert!(
        shown(&state, 2).deleted.is_some(),
        "an older state never wins"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_current_state_message_arriving_before_its_changes_is_not_changed_again() {
    let mut state = state();
    state.apply(chat(edited_at_5()));
    let before = state.clone();
    state.apply(chat(edit(4, 2, "older")));
    state.apply(chat(edit(5, 2, "fixed")));
    assert_eq!(
        state.current_room().unwrap().messages,
        before.current_room().unwrap().messages
    );
    state.apply(chat(delete(7, 2, "bob", false)));
    assert_eq!(shown(&state, 2).deleted, Some(Deletion { id: 7, by: None }));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_change_about_an_unknown_message_or_another_room_changes_no_message() {
    let mut state = state();
    state.apply(chat(said("general", 2, "bob", "hi")));
    state.apply(chat(edit(9, 77, "who?")));
    state.apply(chat(ChatRecord {
        room: room("rust"),
        ..edit(10, 2, "elsewhere")
    }));
    assert_eq!(shown(&state, 2).message, "hi");
    assert_eq!(ids(&state), [2]);
    let rust = state.rooms.get(&room("rust")).unwrap();
    assert!(rust.messages.is_empty());
    assert_eq!(rust.last_seen, Some(10));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_page_of_change_records_alone_still_moves_paging_back() {
    let mut state = state();
    state.apply(chat(said("general", 60, "bob", "newest")));
    state.apply(ChatAction::HistoryLoaded {
        room: room("general"),
        records: (40..60).map(|id| edit(id, 3, "again")).collect(),
        page_size: 20,
        epoch: None,
    });
    let view = state.current_room().unwrap();
    assert_eq!(view.oldest_id(), Some(40), "the next page ends before 40");
    assert!(view.has_older);
    assert_eq!(ids(&state), [60]);
}

#[wasm_bindgen_test(unsupported = test)]
fn changes_do_not_count_as_unread_and_a_deleted_unread_message_stops_counting() {
    let mut state = state();
    state.apply(server(ServerMsg::ReadMarker {
        room: room("rust"),
        id: 0,
    }));
    state.apply(chat(said("rust", 1, "bob", "one")));
    state.apply(chat(said("rust", 2, "bob", "hey @me")));
    let rust = || state.rooms.get(&room("rust")).unwrap().clone();
    assert_eq!((rust().unread, rust().mentions), (2, 1));
    state.apply(chat(ChatRecord {
        room: room("rust"),
        ..edit(3, 1, "one, edited")
    }));
    let rust = state.rooms.get(&room("rust")).unwrap();
    assert_eq!(
        (rust.unread, rust.mentions),
        (2, 1),
        "an edit is no new message"
    );
    state.apply(chat(ChatRecord {
        room: room("rust"),
        ..delete(4, 2, "mod", true)
    }));
    let rust = state.rooms.get(&room("rust")).unwrap();
    assert_eq!((rust.unread, rust.mentions), (1, 0));
}

#[wasm_bindgen_test(unsupported = test)]
fn orphaned_changes_are_bounded() {
    let mut state = state();
    let kept = super::super::changes::ORPHANS_KEPT as u64;
    for target in 1..=kept + 10 {
        state.apply(chat(edit(1_000 + target, target, "x")));
    }
    let view = state.current_room().unwrap();
    assert_eq!(view.orphans.len(), kept as usize);
    assert!(
        !view.orphans.contains_key(&1),
        "the oldest message's goes first"
    );
}
