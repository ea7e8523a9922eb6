//! Signing in or creating an account: one form with a toggle between the two.
//!
//! Creating an account checks the name with the server's own rules and shows the password
//! rule before anything is typed, so most refusals never need a round trip. The server's
//! refusals (taken name, wrong password, too many tries) arrive as [`FormStatus::Refused`]
//! and are read out through `role="alert"`.

use crate::{
    account::{
        password::{PASSWORD_RULE, check_new_password},
        session::FormStatus,
    },
    testid,
};
use chinwag_shared::{
    MAX_USERNAME_CHARS, Username,
    account::{Credentials, MAX_PASSWORD_BYTES},
};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`AccountForm`].
#[derive(Properties, PartialEq)]
pub struct AccountFormProps {
    /// Whether the server lets people create accounts; if not, the form only signs in.
    pub sign_up_allowed: bool,
    /// The last request's status.
    pub status: FormStatus,
    /// Sign in with these credentials.
    pub on_sign_in: Callback<Credentials>,
    /// Create an account with these credentials.
    pub on_sign_up: Callback<Credentials>,
}

/// Which of the two the form does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    SignIn,
    SignUp,
}

/// The sign-in and sign-up form.
#[component]
pub fn AccountForm(props: &AccountFormProps) -> Html {
    let mode = use_state(|| Mode::SignIn);
    let name = use_state(String::new);
    let password = use_state(String::new);
    // A problem found before sending; the server's own refusal comes in `props.status`.
    let local_error = use_state(|| None::<String>);
    // Whether the person changed something since the server's last refusal, which then no
    // longer describes what the form holds.
    let edited = use_state(|| false);
    let mode_now = if props.sign_up_allowed {
        *mode
    } else {
        Mode::SignIn
    };
    let input = |state: &UseStateHandle<String>| {
        let (state, local_error, edited) = (state.clone(), local_error.clone(), edited.clone());
        Callback::from(move |event: InputEvent| {
            state.set(event.target_unchecked_into::<HtmlInputElement>().value());
            local_error.set(None);
            edited.set(true);
        })
    };
    let switch = |to: Mode| {
        let (mode, local_error, edited) = (mode.clone(), local_error.clone(), edited.clone());
        Callback::from(move |_: MouseEvent| {
            mode.set(to);
            local_error.set(None);
            edited.set(true);
        })
    };
    let onsubmit = {
        let (name, password, local_error) = (name.clone(), password.clone(), local_error.clone());
        let edited = edited.clone();
        let (on_sign_in, on_sign_up) = (props.on_sign_in.clone(), props.on_sign_up.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            edited.set(false);
            match check(mode_now, &name, &password) {
                Ok(credentials) => match mode_now {
                    Mode::SignIn => on_sign_in.emit(credentials),
                    Mode::SignUp => on_sign_up.emit(credentials),
                },
                Err(problem) => local_error.set(Some(problem)),
            }
        })
    };
    let busy = props.status == FormStatus::Busy;
    let error = (*local_error).clone().or(match &props.status {
        FormStatus::Refused(reason) if !*edited => Some(reason.clone()),
        FormStatus::Refused(_) => None,
        FormStatus::Idle | FormStatus::Busy => None,
    });
    let signing_up = mode_now == Mode::SignUp;
    let (heading, action, busy_text) = if signing_up {
        ("Create an account", "Create account", "Creating…")
    } else {
        ("Sign in", "Sign in", "Signing in…")
    };
    let rule_problem = signing_up
        .then(|| check_new_password(&password).err())
        .flatten()
        .filter(|_| !password.is_empty());
    html! {
        <form class="account-form" {onsubmit} aria-labelledby="account-heading"
            aria-busy={busy.then_some("true")}>
            if props.sign_up_allowed {
                <div class="mode-switch" role="group" aria-label="Sign in or create an account">
                    <button type="button" data-testid={testid::SIGN_IN_MODE}
                        aria-pressed={(!signing_up).to_string()} onclick={switch(Mode::SignIn)}>
                        { "Sign in" }
                    </button>
                    <button type="button" data-testid={testid::SIGN_UP_MODE}
                        aria-pressed={signing_up.to_string()} onclick={switch(Mode::SignUp)}>
                        { "Create account" }
                    </button>
                </div>
            }
            // With the switch above, the heading would say its pressed button's words again.
            <h2 id="account-heading" class={classes!(props.sign_up_allowed.then_some("sr-only"))}>
                { heading }
            </h2>
            <label for="account-name">{ "Name" }</label>
            <input id="account-name" data-testid={testid::ACCOUNT_NAME} value={(*name).clone()}
                oninput={input(&name)} autocomplete="username" required=true
                autofocus=true
                maxlength={MAX_USERNAME_CHARS.to_string()}
                aria-invalid={error.is_some().then_some("true")}
                aria-describedby="account-error" />
            <label for="account-password">{ "Password" }</label>
            <input id="account-password" type="password" data-testid={testid::ACCOUNT_PASSWORD}
                value={(*password).clone()} oninput={input(&password)} required=true
                autocomplete={if signing_up { "new-password" } else { "current-password" }}
                aria-invalid={error.is_some().then_some("true")}
                aria-describedby={if signing_up { "password-rule account-error" } else { "account-error" }} />
            if signing_up {
                <p id="password-rule" class={classes!("hint", rule_problem.is_some().then_some("warn"))}>
                    { rule_problem.map_or_else(|| PASSWORD_RULE.to_owned(), |problem| problem.to_string()) }
                </p>
            }
            <button type="submit" data-testid={testid::ACCOUNT_SUBMIT} disabled={busy}>
                { if busy { busy_text } else { action } }
            </button>
            <p id="account-error" class="error" role="alert" data-testid={testid::ACCOUNT_ERROR}>
                { error.unwrap_or_default() }
            </p>
        </form>
    }
}

/// The credentials to send, or the sentence saying what to fix first.
fn check(mode: Mode, name: &str, password: &str) -> Result<Credentials, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Enter your name.".to_owned());
    }
    match mode {
        Mode::SignIn if password.is_empty() => return Err("Enter your password.".to_owned()),
        // A password over the limit cannot be right; the server would refuse it unhashed.
        Mode::SignIn if password.len() > MAX_PASSWORD_BYTES => {
            return Err("Wrong name or password.".to_owned());
        }
        Mode::SignIn => {}
        Mode::SignUp => {
            if let Err(err) = Username::parse(name) {
                return Err(format!("That name is not allowed: {err}."));
            }
            check_new_password(password).map_err(|problem| problem.to_string())?;
        }
    }
    Ok(Credentials {
        username: name.to_owned(),
        password: password.to_owned(),
    })
}
