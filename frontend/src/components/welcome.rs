//! The first screen: sign in or create an account, and continue as a guest where the server
//! allows guests. Which parts show follows the server's [`AuthPolicy`].

use super::{account_form::AccountForm, username_form::UsernameForm};
use crate::account::session::{FormStatus, RefusedName};
use chinwag_shared::{
    Username,
    account::{AuthPolicy, Credentials},
};
use yew::prelude::*;

/// What [`welcome`] shows and whom it tells.
pub struct WelcomeProps {
    /// What the server allows.
    pub policy: AuthPolicy,
    /// The sign-in form's last request.
    pub status: FormStatus,
    /// Why the person is here again (a session that ended), if not by choice.
    pub notice: Option<String>,
    /// The guest name the server just refused, if that is why the person is here.
    pub refused_guest_name: Option<RefusedName>,
    /// Sign in.
    pub on_sign_in: Callback<Credentials>,
    /// Create an account.
    pub on_sign_up: Callback<Credentials>,
    /// Chat as a guest under this name.
    pub on_guest: Callback<Username>,
}

/// The sign-in screen.
pub fn welcome(props: &WelcomeProps) -> Html {
    // A server that allows neither accounts to be created nor guests still signs in: its
    // accounts come from elsewhere.
    let guests = props.policy.guests;
    html! {
        <main class="welcome">
            <div class="welcome-card">
                <h1>{ "Chinwag" }</h1>
                <p class="tagline">{ "Real-time chat." }</p>
                if let Some(notice) = &props.notice {
                    <p class="notice-box" role="status">{ notice }</p>
                }
                <AccountForm sign_up_allowed={props.policy.sign_up} status={props.status.clone()}
                    on_sign_in={props.on_sign_in.clone()} on_sign_up={props.on_sign_up.clone()} />
                if guests {
                    <div class="or" aria-hidden="true"><span>{ "or" }</span></div>
                    <UsernameForm on_submit={props.on_guest.clone()}
                        refused={props.refused_guest_name.clone()} />
                }
            </div>
        </main>
    }
}
