//! Continuing as a guest: pick a name, checked with the same rules the server applies. A
//! guest's name is kept only in this browser, and anyone may pick it another time, except a
//! name an account owns or another browser holds in the room: the server refuses that one
//! when the chat joins, and the form comes back holding it, with the server's reason read
//! out and the field focused.

use crate::{account::session::RefusedName, testid};
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
    /// The name the server just refused, and why, if that is why the form shows.
    #[prop_or_default]
    pub refused: Option<RefusedName>,
}

/// Asks for a guest's name.
#[component]
pub fn UsernameForm(props: &UsernameFormProps) -> Html {
    let draft = use_state(|| {
        props
            .refused
            .as_ref()
            .map_or_else(String::new, |refused| refused.name.to_string())
    });
    let error = use_state(|| props.refused.as_ref().map(|refused| refused.reason.clone()));
    let field = use_node_ref();
    {
        // The refusal is why the person is here: the field to fix it takes focus.
        let (field, refused) = (field.clone(), props.refused.is_some());
        use_effect_with((), move |()| {
            if refused && let Some(input) = field.cast::<HtmlInputElement>() {
                let _ = input.focus();
            }
        });
    }
    let oninput = {
        let (draft, error) = (draft.clone(), error.clone());
        Callback::from(move |event: InputEvent| {
            draft.set(event.target_unchecked_into::<HtmlInputElement>().value());
            error.set(None);
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
            <input id="username" ref={field} data-testid={testid::USERNAME_INPUT}
                value={(*draft).clone()} {oninput} autocomplete="nickname"
                autofocus={props.autofocus} maxlength={MAX_USERNAME_CHARS.to_string()}
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

/// `text` with a capital first letter. ASCII only: the text is a validation error's English,
/// and `char::to_uppercase` would link all of Unicode's case table (about 12 KB of wasm).
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| {
            std::iter::once(first.to_ascii_uppercase())
                .chain(chars)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use chinwag_shared::{Field, Username, ValidationError};
    use wasm_bindgen_test::wasm_bindgen_test;

    // Under `cargo test --target wasm32-unknown-unknown` the combining marks are the
    // browser's (`chinwag_shared::unicode`); natively, unicode-normalization's.
    #[wasm_bindgen_test(unsupported = test)]
    fn the_form_checks_combining_marks_as_the_server_does() {
        let field = Field::Username;
        for name in ["Jose\u{301}", "ana\u{308}\u{301}", "क\u{93F}रण", "Zoë"] {
            assert!(Username::parse(name).is_ok(), "{name:?}");
        }
        assert_eq!(
            Username::parse("\u{301}ada"),
            Err(ValidationError::BadChar {
                field,
                ch: '\u{301}'
            }),
            "a name cannot start with a mark"
        );
        assert_eq!(
            Username::parse("ada\u{301}\u{300}\u{302}"),
            Err(ValidationError::TooManyMarks {
                field,
                on: Some('a')
            }),
        );
        assert!(
            Username::parse("\u{20DD}").is_err(),
            "an enclosing mark is a mark too"
        );
    }
}
