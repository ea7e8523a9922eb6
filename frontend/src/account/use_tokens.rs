//! [`use_tokens`]: the hook behind the tokens panel. It lists the account's access tokens
//! when the panel opens, creates and revokes them, and copies a fresh secret to the
//! clipboard, dispatching each outcome to the pure [`TokensState`].

use super::{
    api,
    failure::Purpose,
    tokens::{TokensAction, TokensState},
};
use crate::clipboard;
use chinwag_shared::account::NewToken;
use yew::prelude::*;

/// What the tokens panel gets from [`use_tokens`].
#[derive(Clone, PartialEq)]
pub struct TokensHandle {
    /// The list, the fresh secret, and the last error.
    pub state: UseReducerHandle<TokensState>,
    /// Create a token with this name.
    pub create: Callback<String>,
    /// Revoke the token with this id.
    pub revoke: Callback<String>,
    /// Copy the fresh secret to the clipboard.
    pub copy: Callback<()>,
    /// Forget the fresh secret.
    pub dismiss: Callback<()>,
}

/// Loads the tokens when the calling component mounts, and acts on them.
#[hook]
pub fn use_tokens() -> TokensHandle {
    let state = use_reducer(TokensState::default);
    {
        let dispatch = state.dispatcher();
        use_effect_with((), move |()| {
            wasm_bindgen_futures::spawn_local(async move {
                dispatch.dispatch(match api::tokens().await {
                    Ok(tokens) => TokensAction::Listed(tokens),
                    Err(failure) => TokensAction::ListFailed(failure.message(Purpose::Tokens)),
                });
            });
        });
    }
    let dispatch = state.dispatcher();
    let create = {
        let dispatch = dispatch.clone();
        Callback::from(move |name: String| {
            let dispatch = dispatch.clone();
            dispatch.dispatch(TokensAction::Creating);
            wasm_bindgen_futures::spawn_local(async move {
                dispatch.dispatch(match api::create_token(&NewToken { name }).await {
                    Ok(created) => TokensAction::Created(created),
                    Err(failure) => TokensAction::Failed(failure.message(Purpose::Tokens)),
                });
            });
        })
    };
    let revoke = {
        let dispatch = dispatch.clone();
        Callback::from(move |id: String| {
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                dispatch.dispatch(match api::revoke_token(&id).await {
                    Ok(()) => TokensAction::Revoked(id),
                    Err(failure) => TokensAction::Failed(failure.message(Purpose::Tokens)),
                });
            });
        })
    };
    let copy = {
        let (dispatch, secret) = (
            dispatch.clone(),
            state
                .fresh
                .as_ref()
                .map(|fresh| fresh.created.token.clone()),
        );
        Callback::from(move |()| {
            let (dispatch, secret) = (dispatch.clone(), secret.clone());
            if let Some(secret) = secret {
                wasm_bindgen_futures::spawn_local(async move {
                    let copied = clipboard::copy_text(&secret).await;
                    dispatch.dispatch(TokensAction::Copied(copied));
                });
            }
        })
    };
    TokensHandle {
        create,
        revoke,
        copy,
        dismiss: dispatch.to_callback().reform(|()| TokensAction::Dismiss),
        state,
    }
}
