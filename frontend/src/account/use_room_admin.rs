//! [`use_room_admin`]: the hook behind the room settings panel's lists. It asks for the
//! sanctions in force and the newest page of the audit log whenever the room or its
//! settings change (a change of settings is itself an audit line), pages the log back on
//! request, and lifts sanctions, asking for both lists again after each, dispatching every
//! outcome to the pure [`RoomAdminState`].

use super::{
    failure::Purpose,
    moderation_api::{self, AUDIT_PAGE},
    room_admin::{RoomAdminAction, RoomAdminState},
};
use chinwag_shared::{RoomName, moderation::RoomSettings, moderation::SanctionView};
use yew::prelude::*;

/// What the room settings panel gets from [`use_room_admin`].
#[derive(Clone, PartialEq)]
pub struct RoomAdminHandle {
    /// The lists and the last error.
    pub state: UseReducerHandle<RoomAdminState>,
    /// Load the audit page before the oldest line shown.
    pub older_audit: Callback<()>,
    /// Ask for both lists again.
    pub refresh: Callback<()>,
    /// Lift this sanction.
    pub lift: Callback<SanctionView>,
}

/// The lists of `room`, asked for again when the room or its `settings` change.
#[hook]
pub fn use_room_admin(room: RoomName, settings: RoomSettings) -> RoomAdminHandle {
    let state = use_reducer(RoomAdminState::default);
    {
        let dispatch = state.dispatcher();
        use_effect_with((room.clone(), settings), move |(room, _)| {
            dispatch.dispatch(RoomAdminAction::Reload);
            wasm_bindgen_futures::spawn_local(load_lists(dispatch, room.clone()));
        });
    }
    let dispatch = state.dispatcher();
    let older_audit = {
        let (dispatch, room, before) = (dispatch.clone(), room.clone(), state.audit_before());
        Callback::from(move |()| {
            let Some(before) = before else {
                return;
            };
            let (dispatch, room) = (dispatch.clone(), room.clone());
            wasm_bindgen_futures::spawn_local(async move {
                dispatch.dispatch(audit_page(&room, Some(before)).await);
            });
        })
    };
    let refresh = {
        let (dispatch, room) = (dispatch.clone(), room.clone());
        Callback::from(move |()| {
            wasm_bindgen_futures::spawn_local(load_lists(dispatch.clone(), room.clone()));
        })
    };
    let lift = Callback::from(move |sanction: SanctionView| {
        let (dispatch, room) = (dispatch.clone(), room.clone());
        wasm_bindgen_futures::spawn_local(async move {
            match moderation_api::lift(&room, sanction.kind, &sanction.username).await {
                Ok(()) => load_lists(dispatch, room).await,
                Err(failure) => dispatch.dispatch(RoomAdminAction::Failed(
                    failure.message(Purpose::Moderation),
                )),
            }
        });
    });
    RoomAdminHandle {
        state,
        older_audit,
        refresh,
        lift,
    }
}

/// Asks for the sanctions and the newest audit page, and dispatches both answers.
async fn load_lists(dispatch: UseReducerDispatcher<RoomAdminState>, room: RoomName) {
    dispatch.dispatch(match moderation_api::sanctions(&room).await {
        Ok(sanctions) => RoomAdminAction::Sanctions(sanctions),
        Err(failure) => RoomAdminAction::SanctionsFailed(failure.message(Purpose::Moderation)),
    });
    dispatch.dispatch(audit_page(&room, None).await);
}

/// The action for the audit page before `before` (the newest page without it).
async fn audit_page(room: &RoomName, before: Option<u64>) -> RoomAdminAction {
    match moderation_api::audit(room, before).await {
        Ok(entries) => RoomAdminAction::AuditPage {
            entries,
            first: before.is_none(),
            asked: AUDIT_PAGE,
        },
        Err(failure) => RoomAdminAction::AuditFailed(failure.message(Purpose::Moderation)),
    }
}
