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
