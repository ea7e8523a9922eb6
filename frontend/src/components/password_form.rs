//! Changing the password: the current one, then the new one, with the rule shown before
//! anything is typed. On success the server signs the account's other sessions out; this
//! one stays, and the form says so.

use crate::account::{
    attempt::Attempt,
    password::{PASSWORD_RULE, check_new_password},
};
use chinwag_shared::account::PasswordChange;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`PasswordForm`].
#[derive(Properties, PartialEq)]
pub struct PasswordFormProps {
    /// Change the password.
    pub on_submit: Callback<Attempt<PasswordChange>>,
}

/// Where the form stands.
#[derive(Clone, PartialEq)]
enum Stage {
    Editing { error: Option<String> },
    Busy,
    Changed,
}

/// The password form.
#[component]
pub fn PasswordForm(props: &PasswordFormProps) -> Html {
    let current = use_state(String::new);
    let new = use_state(String::new);
    let stage = use_state(|| Stage::Editing { error: None });
    let input = |field: &UseStateHandle<String>| {
        let field = field.clone();
        Callback::from(move |event: InputEvent| {
            field.set(event.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let onsubmit = {
        let (current, new, stage) = (current.clone(), new.clone(), stage.clone());
        let on_submit = props.on_submit.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *stage == Stage::Busy {
                return;
            }
            if current.is_empty() {
                stage.set(Stage::Editing {
                    error: Some("Enter your current password.".to_owned()),
                });
                return;
            }
            if let Err(problem) = check_new_password(&new) {
                stage.set(Stage::Editing {
                    error: Some(problem.to_string()),
                });
                return;
            }
            stage.set(Stage::Busy);
            let (stage, current_field, new_field) = (stage.clone(), current.clone(), new.clone());
            on_submit.emit(Attempt {
                input: PasswordChange {
                    current: (*current).clone(),
                    new: (*new).clone(),
                },
                settle: Callback::from(move |outcome: Result<(), String>| match outcome {
                    Ok(()) => {
                        current_field.set(String::new());
                        new_field.set(String::new());
                        stage.set(Stage::Changed);
                    }
                    Err(error) => stage.set(Stage::Editing { error: Some(error) }),
                }),
            });
        })
    };
    let busy = *stage == Stage::Busy;
    let error = match &*stage {
        Stage::Editing { error } => error.clone(),
        Stage::Busy | Stage::Changed => None,
    };
    let rule = match check_new_password(&new) {
        Err(problem) if !new.is_empty() => problem.to_string(),
        _ => PASSWORD_RULE.to_owned(),
    };
    html! {
        <form class="stacked-form" {onsubmit} aria-busy={busy.then_some("true")}>
            <label for="current-password">{ "Current password" }</label>
            <input id="current-password" type="password" autocomplete="current-password"
                value={(*current).clone()} oninput={input(&current)}
                aria-describedby="password-form-error" />
            <label for="new-password">{ "New password" }</label>
            <input id="new-password" type="password" autocomplete="new-password"
                value={(*new).clone()} oninput={input(&new)}
                aria-describedby="new-password-rule password-form-error" />
            <p id="new-password-rule" class="hint">{ rule }</p>
            <button type="submit" disabled={busy}>
                { if busy { "Changing…" } else { "Change password" } }
            </button>
            <p id="password-form-error" class="error" role="alert">{ error.unwrap_or_default() }</p>
            if *stage == Stage::Changed {
                <p class="success" role="status">
                    { "Password changed. Your other sessions were signed out; this one stays." }
                </p>
            }
        </form>
    }
}
