//! Continuing as a guest: pick a name, checked with the same rules the server applies. A
//! guest's name is kept only in this browser, and anyone may pick it another time.

use crate::testid;
use chinwag_shared::{MAX_USERNAME_CHARS, Username};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`UsernameForm`].
#[derive(Properties, PartialEq)]
pub struct UsernameFormProps {
    /// Called with a valid name.
    pub on_submit: Callback<Username>,
    /// Whether the field takes focus when the screen opens (when no sign-in form is above it).
    #[prop_or_default]
    pub autofocus: bool,
}

/// Asks for a guest's name.
#[component]
pub fn UsernameForm(props: &UsernameFormProps) -> Html {
    let draft = use_state(String::new);
    let error = use_state(|| None::<String>);
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |event: InputEvent| {
            draft.set(event.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let onsubmit = {
        let (draft, error, on_submit) = (draft.clone(), error.clone(), props.on_submit.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            match Username::parse(draft.trim()) {
                Ok(name) => on_submit.emit(name),
                Err(err) => error.set(Some(capitalize(&err.to_string()))),
            }
        })
    };
    html! {
        <form class="guest-form" {onsubmit} aria-labelledby="guest-heading">
            <h2 id="guest-heading">{ "Continue as a guest" }</h2>
            <label for="username">{ "Your name" }</label>
            <input id="username" data-testid={testid::USERNAME_INPUT} value={(*draft).clone()}
                {oninput} autocomplete="nickname" autofocus={props.autofocus}
                maxlength={MAX_USERNAME_CHARS.to_string()}
                aria-invalid={error.is_some().then_some("true")}
                aria-describedby="username-hint username-error" />
            <p id="username-hint" class="hint">{ "No password. Names of accounts are taken." }</p>
            <button type="submit" data-testid={testid::USERNAME_SUBMIT}>{ "Start chatting" }</button>
            if let Some(message) = &*error {
                <p id="username-error" class="error" role="alert" data-testid={testid::USERNAME_ERROR}>
                    { message }
                </p>
            }
        </form>
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
