//! The first screen: pick a name, checked with the same rules the server applies.

use crate::testid;
use chinwag_shared::{MAX_USERNAME_CHARS, Username};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`UsernameForm`].
#[derive(Properties, PartialEq)]
pub struct UsernameFormProps {
    /// Called with a valid name.
    pub on_submit: Callback<Username>,
}

/// Asks for a username.
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
        <main class="welcome">
            <form class="welcome-card" {onsubmit}>
                <h1>{ "Chinwag" }</h1>
                <p>{ "Real-time chat. Pick a name to start." }</p>
                <label for="username">{ "Your name" }</label>
                <input id="username" data-testid={testid::USERNAME_INPUT} value={(*draft).clone()}
                    {oninput} autocomplete="nickname" autofocus=true
                    maxlength={MAX_USERNAME_CHARS.to_string()}
                    aria-invalid={error.is_some().then_some("true")}
                    aria-describedby="username-error" />
                <button type="submit" data-testid={testid::USERNAME_SUBMIT}>{ "Start chatting" }</button>
                if let Some(message) = &*error {
                    <p id="username-error" class="error" role="alert" data-testid={testid::USERNAME_ERROR}>
                        { message }
                    </p>
                }
            </form>
        </main>
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
