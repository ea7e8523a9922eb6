//! Personal access tokens: the list (name and date, never a secret), a form to create one,
//! the new token's secret shown once with a Copy button, and revoking (asked twice, since a
//! revoked token stops every program using it).

use crate::{
    account::{
        listing::Listing,
        tokens::{CopyState, FreshToken},
    },
    testid,
};
use chinwag_shared::account::{MAX_TOKEN_NAME_CHARS, TokenInfo};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`TokensPanel`].
#[derive(Properties, PartialEq)]
pub struct TokensPanelProps {
    /// The account's tokens.
    pub list: Listing<TokenInfo>,
    /// The token just created, with its secret.
    pub fresh: Option<FreshToken>,
    /// Why the last create or revoke failed.
    pub error: Option<String>,
    /// Whether a create is on its way.
    pub creating: bool,
    /// Create a token with this name.
    pub on_create: Callback<String>,
    /// Revoke the token with this id.
    pub on_revoke: Callback<String>,
    /// Copy the fresh secret.
    pub on_copy: Callback<()>,
    /// Forget the fresh secret.
    pub on_dismiss: Callback<()>,
}

/// The tokens panel.
#[component]
pub fn TokensPanel(props: &TokensPanelProps) -> Html {
    let draft = use_state(String::new);
    let confirming = use_state(|| None::<String>);
    let secret_ref = use_node_ref();
    {
        // A new secret takes focus, selected, so it can be copied from the keyboard at once.
        let secret_ref = secret_ref.clone();
        let fresh_id = props
            .fresh
            .as_ref()
            .map(|fresh| fresh.created.info.id.clone());
        use_effect_with(fresh_id, move |fresh_id| {
            if fresh_id.is_some()
                && let Some(input) = secret_ref.cast::<HtmlInputElement>()
            {
                let _ = input.focus();
                input.select();
            }
        });
    }
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |event: InputEvent| {
            draft.set(event.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let onsubmit = {
        let (draft, on_create) = (draft.clone(), props.on_create.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let name = draft.trim().to_owned();
            if !name.is_empty() {
                on_create.emit(name);
                draft.set(String::new());
            }
        })
    };
    let list = match &props.list {
        Listing::Loading => html! { <p class="hint" role="status">{ "Loading tokens…" }</p> },
        Listing::Failed(reason) => html! { <p class="error" role="alert">{ reason }</p> },
        Listing::Loaded(tokens) if tokens.is_empty() => {
            html! { <p class="hint">{ "No tokens yet. Programs use them to chat as you." }</p> }
        }
        Listing::Loaded(tokens) => html! {
            <ul class="token-list" aria-label="Your access tokens">
                { for tokens.iter().map(|token| token_row(token, &confirming, &props.on_revoke)) }
            </ul>
        },
    };
    html! {
        <div class="tokens">
            if let Some(fresh) = &props.fresh {
                { fresh_token(fresh, secret_ref, props) }
            }
            { list }
            <form class="prompt" {onsubmit} aria-busy={props.creating.then_some("true")}>
                <label for="token-name">{ "New token's name" }</label>
                <div class="prompt-row">
                    <input id="token-name" value={(*draft).clone()} {oninput} autocomplete="off"
                        placeholder="e.g. my bot" maxlength={MAX_TOKEN_NAME_CHARS.to_string()} />
                    <button type="submit" disabled={props.creating || draft.trim().is_empty()}>
                        { if props.creating { "Creating…" } else { "Create" } }
                    </button>
                </div>
            </form>
            <p class="error" role="alert">{ props.error.clone().unwrap_or_default() }</p>
        </div>
    }
}

/// The new token, its secret and the Copy button.
fn fresh_token(fresh: &FreshToken, secret_ref: NodeRef, props: &TokensPanelProps) -> Html {
    let copy_label = match fresh.copy {
        CopyState::Copied => "Copied ✓",
        CopyState::NotCopied | CopyState::Failed => "Copy",
    };
    let select_all = Callback::from(|event: FocusEvent| {
        event.target_unchecked_into::<HtmlInputElement>().select();
    });
    html! {
        <div class="fresh-token">
            <p>
                <strong>{ format!("“{}” created.", fresh.created.info.name) }</strong>
                { " Copy it now: it will not be shown again." }
            </p>
            <div class="prompt-row">
                <input ref={secret_ref} readonly=true value={fresh.created.token.clone()}
                    data-testid={testid::TOKEN_SECRET} aria-label="Your new access token"
                    onfocus={select_all} spellcheck="false" />
                <button type="button" class="secondary" onclick={props.on_copy.reform(|_: MouseEvent| ())}>
                    { copy_label }
                </button>
            </div>
            <p class="sr-only" role="status">
                { if fresh.copy == CopyState::Copied { "Copied to the clipboard." } else { "" } }
            </p>
            if fresh.copy == CopyState::Failed {
                <p class="error" role="alert">
                    { "The browser would not copy it. Select the token and copy it yourself." }
                </p>
            }
            <button type="button" class="link" onclick={props.on_dismiss.reform(|_: MouseEvent| ())}>
                { "Done, hide it" }
            </button>
        </div>
    }
}

/// One token: its name and date, and Revoke (which asks once more).
fn token_row(
    token: &TokenInfo,
    confirming: &UseStateHandle<Option<String>>,
    on_revoke: &Callback<String>,
) -> Html {
    let asking = confirming.as_deref() == Some(token.id.as_str());
    let ask = {
        let (confirming, id) = (confirming.clone(), token.id.clone());
        Callback::from(move |_: MouseEvent| confirming.set(Some(id.clone())))
    };
    let cancel = {
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| confirming.set(None))
    };
    let revoke = {
        let (confirming, id, on_revoke) = (confirming.clone(), token.id.clone(), on_revoke.clone());
        Callback::from(move |_: MouseEvent| {
            confirming.set(None);
            on_revoke.emit(id.clone());
        })
    };
    html! {
        <li key={token.id.clone()} class="token" data-testid={testid::TOKEN}>
            <span class="token-name">{ token.name.clone() }</span>
            <span class="meta">{ created_on(token.created) }</span>
            if asking {
                <span class="confirm">
                    <button type="button" class="danger" onclick={revoke}
                        aria-label={format!("Yes, revoke {}", token.name)}>{ "Revoke" }</button>
                    <button type="button" class="link" onclick={cancel}>{ "Keep" }</button>
                </span>
            } else {
                <button type="button" class="link" onclick={ask}
                    aria-label={format!("Revoke token {}", token.name)}>{ "Revoke" }</button>
            }
        </li>
    }
}

/// "created 3/12/2026" in the reader's locale.
fn created_on(ms: u64) -> String {
    // f64 holds every millisecond timestamp until the year 287,396 exactly.
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    let shown: String = date
        .to_locale_date_string("default", &wasm_bindgen::JsValue::UNDEFINED)
        .into();
    format!("created {shown}")
}
