//! [`use_session`]: the hook behind the first screens and the account menu. It asks the
//! server who this is when the app loads, and carries out signing up, in and out, changing
//! the password, and continuing as a guest, dispatching each outcome to the pure
//! [`SessionState`].
//!
//! The guest name is the one thing kept in the browser ([`storage`]); an account's session is
//! the server's HttpOnly cookie, which this code never reads.

use super::{
    api,
    attempt::Attempt,
    failure::Purpose,
    session::{Session, SessionAction, SessionState},
};
use crate::storage;
use chinwag_shared::{Username, account::Credentials};
use std::future::Future;
use yew::prelude::*;

/// What the app gets from [`use_session`].
#[derive(Clone, PartialEq)]
pub struct SessionHandle {
    /// Who this is, what the server allows, and the sign-in form's status.
    pub state: UseReducerHandle<SessionState>,
    /// Ask the server again after it could not be reached.
    pub retry: Callback<()>,
    /// Sign in with a name and password.
    pub sign_in: Callback<Credentials>,
    /// Create an account and sign in to it.
    pub sign_up: Callback<Credentials>,
    /// Chat as a guest under this name (remembered in this browser).
    pub continue_as_guest: Callback<Username>,
    /// A guest goes back to the first screen to pick another name or sign in.
    pub change_name: Callback<()>,
    /// Sign this browser out.
    pub sign_out: Callback<Attempt<()>>,
    /// Sign every session of the account out.
    pub sign_out_everywhere: Callback<Attempt<()>>,
    /// The chat's credential ran out: find out whether the account is still signed in.
    pub credential_expired: Callback<()>,
    /// The server refused the guest's name, for this reason: back to the first screen.
    pub guest_name_refused: Callback<String>,
}

/// Runs the session for the app's lifetime.
#[hook]
pub fn use_session() -> SessionHandle {
    let state = use_reducer(SessionState::default);
    let loading = state.session == Session::Loading;
    {
        let dispatch = state.dispatcher();
        use_effect_with(loading, move |loading| {
            if *loading {
                wasm_bindgen_futures::spawn_local(load(dispatch));
            }
        });
    }
    let dispatch = state.dispatcher();
    SessionHandle {
        retry: dispatch.to_callback().reform(|()| SessionAction::Retry),
        sign_in: submit(&dispatch, Purpose::SignIn),
        sign_up: submit(&dispatch, Purpose::SignUp),
        continue_as_guest: dispatch.to_callback().reform(|name: Username| {
            // If storage refuses, the name still holds for this visit.
            storage::save_username(&name);
            SessionAction::ContinueAsGuest(name)
        }),
        change_name: dispatch.to_callback().reform(|()| {
            storage::forget_username();
            SessionAction::ChangeName
        }),
        guest_name_refused: dispatch.to_callback().reform(|reason: String| {
            // Remembered, the refused name would be tried again on the next visit.
            storage::forget_username();
            SessionAction::GuestNameRefused(reason)
        }),
        sign_out: sign_out_with(&dispatch, api::sign_out),
        sign_out_everywhere: sign_out_with(&dispatch, api::sign_out_everywhere),
        credential_expired: Callback::from(move |()| {
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // A network failure proves nothing: the chat reconnects, and asks again if
                // the next socket is closed for the same reason.
                match api::me().await {
                    Ok(Some(me)) => dispatch.dispatch(SessionAction::SignedIn(me)),
                    Ok(None) => dispatch.dispatch(SessionAction::Expired),
                    Err(_) => {}
                }
            });
        }),
        state,
    }
}

/// Asks what the server allows and who this is, both at once.
async fn load(dispatch: UseReducerDispatcher<SessionState>) {
    // Neither question waits on the other's answer: both go at once, one round trip.
    match futures::join!(api::auth_policy(), api::me()) {
        (Ok(policy), Ok(me)) => dispatch.dispatch(SessionAction::Loaded {
            policy,
            me,
            remembered: storage::load_username(),
        }),
        (Err(failure), _) | (_, Err(failure)) => {
            dispatch.dispatch(SessionAction::LoadFailed(failure.message(Purpose::SignIn)))
        }
    }
}

/// A callback that signs in or up with the credentials it is given.
fn submit(
    dispatch: &UseReducerDispatcher<SessionState>,
    purpose: Purpose,
) -> Callback<Credentials> {
    let dispatch = dispatch.clone();
    Callback::from(move |credentials: Credentials| {
        let dispatch = dispatch.clone();
        dispatch.dispatch(SessionAction::Submitting);
        wasm_bindgen_futures::spawn_local(async move {
            let answer = match purpose {
                Purpose::SignUp => api::sign_up(&credentials).await,
                _ => api::sign_in(&credentials).await,
            };
            dispatch.dispatch(match answer {
                Ok(me) => SessionAction::SignedIn(me),
                Err(failure) => SessionAction::Refused(failure.message(purpose)),
            });
        });
    })
}

/// A callback that runs `request` and, once it worked, shows the sign-in screen.
fn sign_out_with<F, Fut>(
    dispatch: &UseReducerDispatcher<SessionState>,
    request: F,
) -> Callback<Attempt<()>>
where
    F: Fn() -> Fut + Copy + 'static,
    Fut: Future<Output = Result<(), super::failure::ApiFailure>> + 'static,
{
    let dispatch = dispatch.clone();
    Callback::from(move |attempt: Attempt<()>| {
        let dispatch = dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match request().await {
                Ok(()) => {
                    attempt.succeed();
                    dispatch.dispatch(SessionAction::SignedOut);
                }
                Err(failure) => attempt.fail(failure.message(super::failure::Purpose::SignOut)),
            }
        });
    })
}
