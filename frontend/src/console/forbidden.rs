//! The page `/admin` shows to anyone who is not a site admin: a guest, or an account
//! without the role. It says so plainly (with the status the server would give, 403) and
//! links back to the chat; it never shows a number of the console.

use crate::testid;
use chinwag_shared::Username;
use yew::prelude::*;

/// Who came to the console without the right to it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Visitor {
    /// Chatting as a guest under this name.
    Guest(Username),
    /// Signed in to this account, which is not a site admin.
    Account(Username),
}

/// Props of [`Forbidden`].
#[derive(Properties, PartialEq)]
pub struct ForbiddenProps {
    /// Who it is.
    pub visitor: Visitor,
}

/// The 403 page.
#[component]
pub fn Forbidden(props: &ForbiddenProps) -> Html {
    let why = match &props.visitor {
        Visitor::Guest(name) => format!(
            "You are chatting as the guest {name}. Only a site admin's account may open it."
        ),
        Visitor::Account(name) => {
            format!("You are signed in as {name}, which is not a site admin.")
        }
    };
    html! {
        <main class="welcome">
            <div class="welcome-card forbidden" data-testid={testid::CONSOLE_FORBIDDEN}>
                <p class="status-code" aria-hidden="true">{ "403" }</p>
                <h1>{ "Site admins only" }</h1>
                <p>{ "The console shows how the whole site is doing and changes accounts, so it is for the site's admins." }</p>
                <p class="hint">{ why }</p>
                <a class="button-link" href="/" data-testid={testid::BACK_TO_CHAT}>{ "Back to the chat" }</a>
            </div>
        </main>
    }
}
