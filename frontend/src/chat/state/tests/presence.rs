//! Who is here and who is typing.

use super::*;
use crate::chat::state::presence::TYPING_SHOWN_MS;

#[wasm_bindgen_test(unsupported = test)]
fn presence_events_keep_a_sorted_list_and_leave_notices_for_others() {
    let mut state = state();
    let event = |msg| ChatAction::Server { msg, now: 0.0 };
    state.apply(event(ServerMsg::Presence {
        room: room("general"),
        users: vec![name("me")],
        guests: Vec::new(),
        count: None,
    }));
    state.apply(event(ServerMsg::UserJoined {
        room: room("general"),
        username: name("me"),
        guest: false,
    }));
    state.apply(event(ServerMsg::UserJoined {
        room: room("general"),
        username: name("ann"),
        guest: false,
    }));
    state.apply(event(ServerMsg::UserLeft {
        room: room("general"),
        username: name("ann"),
    }));
    let view = state.current_room().unwrap();
    assert_eq!(view.presence, [name("me")]);
    let notices: Vec<&str> = view.notices.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(notices, ["ann joined", "ann left"]);
}

#[wasm_bindgen_test(unsupported = test)]
fn typing_notices_expire_and_end_when_the_typist_sends() {
    let mut state = state();
    let typing = |who: &str, now| ChatAction::Server {
        msg: ServerMsg::Typing {
            room: room("general"),
            username: name(who),
        },
        now,
    };
    state.apply(typing("ann", 1_000.0));
    state.apply(typing("bob", 4_000.0));
    state.apply(typing("me", 4_000.0));
    state.apply(ChatAction::ExpireTyping {
        now: 1_000.0 + TYPING_SHOWN_MS,
    });
    let typists: Vec<_> = state
        .current_room()
        .unwrap()
        .typing
        .keys()
        .cloned()
        .collect();
    assert_eq!(typists, [name("bob")]);
    state.apply(chat(record("general", 1, "bob", None)));
    assert!(state.current_room().unwrap().typing.is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn guests_are_known_from_the_snapshot_and_each_arrival() {
    let mut state = state();
    let guests = |state: &ChatState| -> Vec<String> {
        let view = state.current_room().unwrap();
        view.guests.iter().map(ToString::to_string).collect()
    };
    state.apply(server(ServerMsg::Presence {
        room: room("general"),
        users: vec![name("ann"), name("bob"), name("me")],
        // A name the snapshot does not list is not kept.
        guests: vec![name("bob"), name("ghost")],
        count: None,
    }));
    assert_eq!(guests(&state), ["bob"]);
    state.apply(server(ServerMsg::UserJoined {
        room: room("general"),
        username: name("cat"),
        guest: true,
    }));
    assert_eq!(guests(&state), ["bob", "cat"]);
    state.apply(server(ServerMsg::UserLeft {
        room: room("general"),
        username: name("bob"),
    }));
    assert_eq!(guests(&state), ["cat"]);
    // The same name back as an account (signed in since) is no longer a guest.
    state.apply(server(ServerMsg::UserLeft {
        room: room("general"),
        username: name("cat"),
    }));
    state.apply(server(ServerMsg::UserJoined {
        room: room("general"),
        username: name("cat"),
        guest: false,
    }));
    assert!(guests(&state).is_empty());
    assert_eq!(
        state.current_room().unwrap().presence,
        [name("ann"), name("cat"), name("me")]
    );
}

fn names_of(state: &ChatState) -> Vec<String> {
    let view = state.current_room().unwrap();
    view.presence.iter().map(ToString::to_string).collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn a_small_room_has_no_count_and_nothing_more_to_fetch() {
    let mut state = state();
    state.apply(server(ServerMsg::Presence {
        room: room("general"),
        users: vec![name("ann"), name("me")],
        guests: Vec::new(),
        count: None,
    }));
    let view = state.current_room().unwrap();
    assert_eq!((view.presence_count, view.presence_more), (None, false));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_big_room_pages_its_list_and_takes_its_count_from_each_diff() {
    let mut state = state();
    state.apply(server(ServerMsg::Presence {
        room: room("general"),
        users: vec![name("ann"), name("bob")],
        guests: Vec::new(),
        count: Some(5),
    }));
    let view = state.current_room().unwrap();
    assert_eq!((view.presence_count, view.presence_more), (Some(5), true));

    let notices = state.current_room().unwrap().notices.len();
    state.apply(server(ServerMsg::PresenceDiff {
        room: room("general"),
        // "abe" sorts within the names fetched; "zed" beyond them, so the next page has it.
        arrived: vec![name("abe"), name("zed")],
        guests: vec![name("abe")],
        departed: vec![name("bob")],
        count: 6,
    }));
    assert_eq!(names_of(&state), ["abe", "ann"]);
    let view = state.current_room().unwrap();
    assert_eq!(view.presence_count, Some(6));
    assert!(view.guests.contains(&name("abe")));
    assert_eq!(view.notices.len(), notices + 1, "one notice per diff");

    state.apply(ChatAction::PresencePage {
        room: room("general"),
        names: vec![name("cy"), name("me")],
        page_size: 2,
    });
    assert!(state.current_room().unwrap().presence_more, "a full page");
    state.apply(ChatAction::PresencePage {
        room: room("general"),
        names: vec![name("zed")],
        page_size: 2,
    });
    assert_eq!(names_of(&state), ["abe", "ann", "cy", "me", "zed"]);
    assert!(
        !state.current_room().unwrap().presence_more,
        "a short page is the last"
    );
}
