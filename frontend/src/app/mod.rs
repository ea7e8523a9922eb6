//! The app: who is using it decides the screen.
//!
//! [`App`] runs the session ([`use_session`]) and shows, in turn, a loading line, the
//! sign-in screen ([`welcome`]: sign in, create an account, or continue as a guest where the
//! server allows), and the chat ([`chat_screen`]) as a guest or as the signed-in account.
//! The chat screen is keyed by who is chatting, so changing identity starts a fresh chat
//! (new socket, new state) rather than carrying one person's rooms over to another.
//!
//! The operators' console is a build of its own: with the crate feature `console` (trunk's
//! `admin.html`, served at `/admin`) the same session decides between the
//! [`console`](crate::console) for a site admin, its 403 page for a guest or another
//! account, and the sign-in screen for nobody yet, and the chat screens are not compiled in.
//! Without it (the chat, `index.html`) the console is not compiled in, so no chat visitor
//! downloads it. Moving between the two is a plain link to the other page. The chat's
//! panels that a visit may never open (access tokens, room settings, members) are a third
//! build, loaded when one opens ([`crate::panels`]).

#[cfg(not(feature = "console"))]
mod chat_screen;

use crate::{
    account::{
        SessionHandle,
        session::{Session, SessionState},
        use_session,
    },
    components::welcome::{WelcomeProps, welcome},
};
use yew::prelude::*;

/// The root component.
#[component]
pub fn App() -> Html {
    let session = use_session();
    let state: &SessionState = &session.state;
    match &state.session {
        Session::Loading => html! {
            <main class="welcome">
                <p class="welcome-card loading" role="status">{ "Loading…" }</p>
            </main>
        },
        Session::Unreachable(reason) => html! {
            <main class="welcome">
                <div class="welcome-card">
                    <h1>{ "Chinwag" }</h1>
                    <p class="error" role="alert">{ reason }</p>
                    <button type="submit" onclick={session.retry.reform(|_: MouseEvent| ())}>
                        { "Try again" }
                    </button>
                </div>
            </main>
        },
        Session::SignedOut => welcome(&WelcomeProps {
            policy: state.policy,
            status: state.form.clone(),
            notice: state.notice.clone(),
            refused_guest_name: state.refused_guest_name.clone(),
            on_sign_in: session.sign_in.clone(),
            on_sign_up: session.sign_up.clone(),
            on_guest: session.continue_as_guest.clone(),
        }),
        Session::Guest(_) | Session::SignedIn(_) => chosen_screen(&session),
    }
}

/// What someone with a session sees in the console's build: the console, or its 403 page.
#[cfg(feature = "console")]
fn chosen_screen(session: &SessionHandle) -> Html {
    use crate::console::{ConsoleScreen, Forbidden, Visitor};
    match &session.state.session {
        Session::SignedIn(me) if me.admin => html! { <ConsoleScreen me={me.username.clone()} /> },
        Session::SignedIn(me) => {
            html! { <Forbidden visitor={Visitor::Account(me.username.clone())} /> }
        }
        Session::Guest(name) => html! { <Forbidden visitor={Visitor::Guest(name.clone())} /> },
        _ => Html::default(),
    }
}

/// What someone with a session sees in the chat's build: the chat, keyed by who is chatting.
#[cfg(not(feature = "console"))]
fn chosen_screen(session: &SessionHandle) -> Html {
    use chat_screen::ChatScreen;
    match &session.state.session {
        Session::Guest(name) => html! {
            <ChatScreen key={format!("guest:{name}")} me={name.clone()} signed_in=false
                session={session.clone()} />
        },
        Session::SignedIn(me) => html! {
            <ChatScreen key={format!("account:{}", me.username)} me={me.username.clone()}
                signed_in=true admin={me.admin} session={session.clone()} />
        },
        _ => Html::default(),
    }
}
