//! Pending sends: confirmation, refusals for now and for good, and the order of re-sends.

use super::*;

#[wasm_bindgen_test(unsupported = test)]
fn a_confirmed_send_leaves_the_outbox_and_a_refused_one_stays_marked() {
    let mut state = state();
    for id in ["c1", "c2"] {
        state.apply(queue(id, "general"));
    }
    state.apply(chat(confirmation("general", 1, "c1")));
    state.apply(ChatAction::Server {
        msg: ServerMsg::Error(chinwag_shared::ErrorFrame {
            code: chinwag_shared::ErrorCode::MessageTooLong,
            detail: "too long".into(),
            room: Some("general".into()),
            client_id: Some("c2".into()),
            retry_after_ms: None,
        }),
        now: 0.0,
    });
    assert_eq!(state.outbox.len(), 1);
    assert_eq!(
        state.outbox[0].state,
        SendState::Failed {
            reason: "too long".into()
        }
    );
    assert_eq!(
        state.resendable().count(),
        0,
        "refused sends are not retried blindly"
    );
    state.apply(ChatAction::Retry(ClientId::parse("c2").unwrap()));
    assert_eq!(state.resendable().count(), 1);
}

#[wasm_bindgen_test(unsupported = test)]
fn refused_messages_of_a_room_go_again_in_the_order_they_were_written() {
    let mut state = state();
    for id in ["c1", "c2", "c3"] {
        state.apply(queue(id, "general"));
    }
    // Each refusal draws its own jittered delay; whatever they are, none of a room's
    // messages may become due before one written earlier.
    for id in ["c1", "c2", "c3"] {
        state.apply(refusal(ErrorCode::RateLimited, id, 0.0));
    }
    state.apply(refusal(ErrorCode::RateLimited, "c1", 1.0)); // c1 again: a longer wait
    let at: Vec<f64> = state
        .outbox
        .iter()
        .map(|p| p.resend_at().unwrap())
        .collect();
    assert!(at[0] <= at[1] && at[1] <= at[2], "{at:?}");
    let first_due = state.next_resend().unwrap();
    assert_eq!(
        client_ids(state.due_resends(first_due)).first(),
        Some(&"c1")
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_refusal_for_now_keeps_the_message_pending_and_due_again_after_its_delay() {
    for code in [ErrorCode::Unavailable, ErrorCode::RateLimited] {
        let mut state = state();
        state.apply(queue("c1", "general"));
        state.apply(refusal(code, "c1", 10_000.0));
        let pending = &state.outbox[0];
        assert!(
            matches!(pending.state, SendState::Retrying { .. }),
            "{code} is not a failure: {pending:?}"
        );
        let at = state.next_resend().unwrap();
        assert!(
            (10_500.0..=11_000.0).contains(&at),
            "{code}: first wait 0.5–1 s, got {at}"
        );
        assert_eq!(
            state.resendable().count(),
            0,
            "{code}: a reconnect does not cut the wait short"
        );
        assert!(client_ids(state.due_resends(at - 1.0)).is_empty());
        assert_eq!(client_ids(state.due_resends(at)), ["c1"]);

        state.apply(ChatAction::Resent(vec![ClientId::parse("c1").unwrap()]));
        assert_eq!(state.next_resend(), None);
        assert_eq!(
            client_ids(state.resendable()),
            ["c1"],
            "{code}: in flight again"
        );

        state.apply(refusal(code, "c1", 20_000.0));
        let again = state.next_resend().unwrap();
        assert!(
            (21_000.0..=22_000.0).contains(&again),
            "{code}: the second wait doubles, got {again}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_refusal_for_good_marks_the_message_failed_even_while_it_waits() {
    for code in [
        ErrorCode::MessageTooLong,
        ErrorCode::InvalidMessage,
        ErrorCode::EmptyMessage,
        ErrorCode::UsernameTaken,
    ] {
        let mut state = state();
        state.apply(queue("c1", "general"));
        state.apply(refusal(ErrorCode::Unavailable, "c1", 0.0));
        state.apply(refusal(code, "c1", 0.0));
        assert_eq!(
            state.outbox[0].state,
            SendState::Failed {
                reason: format!("refused: {code}")
            }
        );
        assert_eq!(state.next_resend(), None, "{code} schedules nothing");
        assert!(client_ids(state.due_resends(f64::INFINITY)).is_empty());
        assert_eq!(state.resendable().count(), 0);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_message_refused_for_good_waits_for_the_person_whatever_else_arrives() {
    let mut state = state();
    state.apply(queue("c1", "general"));
    state.apply(refusal(ErrorCode::MessageTooLong, "c1", 0.0));
    let failed = state.outbox[0].clone();
    // A second answer to the same message (sent twice over HTTP), and a stray timer.
    state.apply(refusal(ErrorCode::RateLimited, "c1", 0.0));
    state.apply(ChatAction::Resent(vec![ClientId::parse("c1").unwrap()]));
    assert_eq!(state.outbox[0], failed);
    assert_eq!(state.next_resend(), None);
    assert_eq!(state.resendable().count(), 0);

    state.apply(ChatAction::Retry(ClientId::parse("c1").unwrap()));
    assert_eq!(state.outbox[0].state, SendState::Sending);
    assert_eq!(client_ids(state.resendable()), ["c1"]);
}

#[wasm_bindgen_test(unsupported = test)]
fn retry_and_resent_touch_only_the_states_they_leave() {
    let mut state = state();
    state.apply(queue("c1", "general"));
    state.apply(queue("c2", "general"));
    state.apply(refusal(ErrorCode::Unavailable, "c2", 0.0));
    let waiting = state.outbox[1].clone();
    let both = || ["c1", "c2"].map(|id| ClientId::parse(id).unwrap());
    for id in both() {
        state.apply(ChatAction::Retry(id));
    }
    assert_eq!(state.outbox[0].state, SendState::Sending);
    assert_eq!(state.outbox[1], waiting, "Retry is for failed messages");
    state.apply(ChatAction::Resent(both().to_vec()));
    assert_eq!(state.outbox[0].state, SendState::Sending);
    assert_eq!(state.outbox[1].state, SendState::Sending);
    assert_eq!(state.outbox[1].refusals, 1, "the count outlives the wait");
}

#[wasm_bindgen_test(unsupported = test)]
fn only_the_messages_own_confirmation_resolves_it() {
    let mut state = state();
    state.apply(queue("c1", "general"));
    let own = confirmation("general", 4, "c1");
    let not_mine = [
        // Someone else's record under my id (issue 12: an older server sent these).
        ChatRecord {
            username: name("mallory"),
            message: "I quit. Bye all.".into(),
            ..own.clone()
        },
        // My name and id, other text: not what this message says.
        ChatRecord {
            message: "something else".into(),
            ..own.clone()
        },
        // The same id in another room is another message.
        ChatRecord {
            room: room("rust"),
            ..own.clone()
        },
        // A replay of my message: no client_id, so not a confirmation.
        ChatRecord {
            client_id: None,
            ..own.clone()
        },
    ];
    for record in not_mine {
        state.apply(chat(record.clone()));
        assert_eq!(client_ids(state.outbox.iter()), ["c1"], "{record:?}");
    }
    state.apply(chat(own));
    assert!(state.outbox.is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_confirmation_ends_the_wait_and_other_messages_keep_their_own() {
    let mut state = state();
    state.apply(queue("c1", "general"));
    state.apply(queue("c2", "general"));
    state.apply(refusal(ErrorCode::RateLimited, "c1", 0.0));
    state.apply(refusal(ErrorCode::RateLimited, "c2", 0.0));
    state.apply(refusal(ErrorCode::RateLimited, "c2", 0.0));
    assert_eq!(state.outbox[1].refusals, 2, "backoff is per message");
    state.apply(chat(confirmation("general", 1, "c1")));
    assert_eq!(client_ids(state.outbox.iter()), ["c2"]);
    let at = state.next_resend().unwrap();
    assert!(
        (1_000.0..=2_000.0).contains(&at),
        "only c2's own (second) wait is left, got {at}"
    );
    state.apply(chat(confirmation("general", 2, "c2")));
    assert_eq!(state.next_resend(), None);
    assert!(state.outbox.is_empty());
}
