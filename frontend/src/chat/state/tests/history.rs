//! History pages and epochs: merging, resetting, resuming and dropping stale pages.

use super::*;

#[wasm_bindgen_test(unsupported = test)]
fn history_and_live_messages_merge_in_id_order() {
    let mut state = state();
    state.apply(chat(record("general", 7, "bob", None)));
    state.apply(ChatAction::HistoryLoaded {
        room: room("general"),
        records: (3..=7)
            .map(|id| record("general", id, "ann", None))
            .collect(),
        page_size: 5,
        epoch: None,
    });
    let view = state.current_room().unwrap();
    assert_eq!(
        view.messages.keys().copied().collect::<Vec<_>>(),
        [3, 4, 5, 6, 7]
    );
    assert!(
        view.has_older,
        "a full page that does not start at 1 may have more before it"
    );
    assert_eq!(view.oldest_id(), Some(3));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_shorter_log_on_rejoin_from_a_server_without_epochs_resets_the_room() {
    let mut state = state();
    state.apply(chat(record("general", 9, "bob", None)));
    state.apply(joined("general", 2, ""));
    let view = state.current_room().unwrap();
    assert!(view.messages.is_empty());
    assert_eq!(view.last_seen, Some(2));
    assert!(
        !view.loaded,
        "no replay came: the newest page must be fetched"
    );
    assert_eq!(notice_kinds(view), [NoticeKind::HistoryReset]);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_history_reset_forgets_the_rooms_history_but_keeps_pending_sends() {
    let mut state = state();
    state.apply(joined("general", 0, "epoch-a"));
    state.apply(ChatAction::OpenRoom(room("rust")));
    for id in 1..=3 {
        state.apply(chat(record("general", id, "bob", None)));
    }
    state.apply(chat(record("rust", 4, "bob", None)));
    state.apply(server(ServerMsg::UserJoined {
        room: room("general"),
        username: name("ann"),
        guest: false,
    }));
    state.apply(queue("c1", "general"));
    state.apply(queue("c2", "rust"));
    state.apply(ChatAction::HistoryLoaded {
        room: room("general"),
        records: vec![record("general", 2, "bob", None)],
        page_size: 1,
        epoch: Some("epoch-a".into()),
    });
    let before = state.rooms.get(&room("general")).unwrap();
    assert_eq!(before.unread, 3);
    assert!(
        before.has_older,
        "a full page that does not reach id 1 may have more"
    );

    state.apply(history_reset("general", "epoch-b"));

    let view = state.rooms.get(&room("general")).unwrap();
    assert!(view.messages.is_empty(), "old messages are gone: {view:?}");
    assert_eq!(view.unread, 0);
    assert_eq!(view.oldest_id(), None);
    assert_eq!(
        view.last_seen,
        Some(0),
        "the new history is replayed from its start"
    );
    assert!(
        !view.has_older,
        "nothing older than the start of the new history"
    );
    assert!(
        view.loaded,
        "the replay brings the newest messages; no page is needed"
    );
    assert_eq!(view.epoch.as_deref(), Some("epoch-b"));
    assert_eq!(view.presence, [name("ann")], "presence is not history");
    assert_eq!(
        notice_kinds(view),
        [NoticeKind::HistoryReset],
        "the old join line went with the history it was placed in"
    );
    assert_eq!(view.notices[0].text, HISTORY_RESET_NOTICE);
    let pending: Vec<&str> = state.outbox.iter().map(|p| p.client_id.as_str()).collect();
    assert_eq!(pending, ["c1", "c2"], "pending sends survive the reset");
    assert_eq!(
        state.resendable().count(),
        2,
        "and go again on the next connection"
    );
    let rust = state.rooms.get(&room("rust")).unwrap();
    assert_eq!(rust.messages.len(), 1, "other rooms keep their history");

    state.apply(chat(confirmation("general", 1, "c1")));
    let view = state.rooms.get(&room("general")).unwrap();
    assert_eq!(view.messages.keys().copied().collect::<Vec<_>>(), [1]);
    assert_eq!(view.messages.get(&1).unwrap().username, name("me"));
    assert_eq!(
        state.outbox.len(),
        1,
        "the re-sent message is confirmed in the new history"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_resume_join_after_a_reset_carries_the_new_epoch() {
    let mut state = state();
    let general = room("general");
    let resume = |state: &ChatState| state.rooms.get(&general).unwrap().resume_join(&general);
    assert_eq!(
        resume(&state),
        ClientMsg::Join {
            room: "general".into(),
            after: None,
            username: None,
            token: None,
            epoch: None,
        },
        "a room never joined starts at the newest message, under no epoch"
    );
    state.apply(joined("general", 0, "epoch-a"));
    state.apply(chat(record("general", 5, "bob", None)));
    let ClientMsg::Join { after, epoch, .. } = resume(&state) else {
        panic!("a join");
    };
    assert_eq!((after, epoch.as_deref()), (Some(5), Some("epoch-a")));

    state.apply(history_reset("general", "epoch-b"));
    let ClientMsg::Join { after, epoch, .. } = resume(&state) else {
        panic!("a join");
    };
    assert_eq!(
        (after, epoch.as_deref()),
        (Some(0), Some("epoch-b")),
        "cut off mid-replay, the room resumes from the start of the new history"
    );

    state.apply(chat(record("general", 1, "bob", None)));
    state.apply(joined("general", 1, "epoch-b"));
    let ClientMsg::Join { after, epoch, .. } = resume(&state) else {
        panic!("a join");
    };
    assert_eq!((after, epoch.as_deref()), (Some(1), Some("epoch-b")));
    assert_eq!(
        notice_kinds(state.current_room().unwrap()),
        [NoticeKind::HistoryReset],
        "the joined that ends the replay does not reset again"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_joined_under_a_new_epoch_without_a_reset_frame_still_resets() {
    let mut state = state();
    state.apply(joined("general", 0, "epoch-a"));
    state.apply(chat(record("general", 3, "bob", None)));
    state.apply(joined("general", 7, "epoch-b"));
    let view = state.current_room().unwrap();
    assert!(view.messages.is_empty());
    assert_eq!(view.epoch.as_deref(), Some("epoch-b"));
    assert_eq!(view.last_seen, Some(7));
    assert!(!view.loaded);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_history_page_of_another_epoch_is_dropped() {
    let mut state = state();
    state.apply(joined("general", 0, "epoch-b"));
    state.apply(ChatAction::HistoryLoaded {
        room: room("general"),
        records: vec![record("general", 1, "bob", None)],
        page_size: 50,
        epoch: Some("epoch-a".into()),
    });
    let view = state.current_room().unwrap();
    assert!(view.messages.is_empty());
    assert!(!view.loaded);
    state.apply(ChatAction::HistoryLoaded {
        room: room("general"),
        records: vec![record("general", 1, "bob", None)],
        page_size: 50,
        epoch: Some("epoch-b".into()),
    });
    assert_eq!(state.current_room().unwrap().messages.len(), 1);
}
