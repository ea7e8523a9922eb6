//! [`use_members`]: the hook behind the members panel of a private room. It lists the
//! members whenever the room changes, and adds and removes them (the owner only; the server
//! refuses anyone else with `forbidden`), dispatching each outcome to the pure
//! [`MembersState`]. After every add or removal that went through it asks for the list
//! again rather than editing it in place, so the panel shows what the server holds.

use super::{
    api,
    attempt::Attempt,
    failure::Purpose,
    members::{MembersAction, MembersState},
};
use chinwag_shared::{RoomName, Username};
use yew::prelude::*;

/// What the members panel gets from [`use_members`].
#[derive(Clone, PartialEq)]
pub struct MembersHandle {
    /// The members and the last error.
    pub state: UseReducerHandle<MembersState>,
    /// Add the account named in the attempt.
    pub add: Callback<Attempt<String>>,
    /// Remove this member.
    pub remove: Callback<Username>,
}

/// The members of `room`, reloaded when it changes.
#[hook]
pub fn use_members(room: RoomName) -> MembersHandle {
    let state = use_reducer(MembersState::default);
    {
        let dispatch = state.dispatcher();
        use_effect_with(room.clone(), move |room| {
            dispatch.dispatch(MembersAction::Reload);
            wasm_bindgen_futures::spawn_local(list(dispatch, room.clone()));
        });
    }
    let dispatch = state.dispatcher();
    let add = {
        let (dispatch, room) = (dispatch.clone(), room.clone());
        Callback::from(move |attempt: Attempt<String>| {
            let who = match Username::parse(attempt.input.trim()) {
                Ok(who) => who,
                Err(err) => return attempt.fail(format!("That name is not allowed: {err}.")),
            };
            let (dispatch, room) = (dispatch.clone(), room.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::add_member(&room, &who).await {
                    Ok(()) => {
                        attempt.succeed();
                        dispatch.dispatch(MembersAction::Changed);
                        list(dispatch, room).await;
                    }
                    Err(failure) => attempt.fail(failure.message(Purpose::Members)),
                }
            });
        })
    };
    let remove = Callback::from(move |who: Username| {
        let (dispatch, room) = (dispatch.clone(), room.clone());
        wasm_bindgen_futures::spawn_local(async move {
            match api::remove_member(&room, &who).await {
                Ok(()) => {
                    dispatch.dispatch(MembersAction::Changed);
                    list(dispatch, room).await;
                }
                Err(failure) => {
                    dispatch.dispatch(MembersAction::Failed(failure.message(Purpose::Members)))
                }
            }
        });
    });
    MembersHandle { state, add, remove }
}

/// Asks for `room`'s members and dispatches the answer.
async fn list(dispatch: UseReducerDispatcher<MembersState>, room: RoomName) {
    dispatch.dispatch(match api::members(&room).await {
        Ok(members) => MembersAction::Listed(members),
        Err(failure) => MembersAction::ListFailed(failure.message(Purpose::Members)),
    });
}
