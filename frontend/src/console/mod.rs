//! The operators' console at `/admin`, for site admins: how the site is doing now, and what
//! an admin can do about it. It is the app built with the feature `console` (trunk's
//! `admin.html`, into `dist/admin/`), so the chat's own bundle carries none of it.
//!
//! [`ConsoleScreen`] is what that build shows once it knows who is there: the console for a
//! site admin, the [`forbidden`] page (403) for anyone else. The console has
//! four panels behind tabs (the tab is kept in the URL's fragment, so `/admin#accounts`
//! opens there and a reload stays put):
//!
//! - [`now`]: live numbers and charts of the last 15 minutes, from the server-sent event
//!   stream that [`use_live`] reads into the pure [`live::LiveState`] (drawn by [`chart`]),
//!   and one row per node ([`nodes`]);
//! - [`rooms`]: every room, busiest first, and a room's audit log;
//! - [`accounts`]: search, disable and enable, sign out everywhere, grant and revoke admin,
//!   and an account's connections;
//! - [`moderation`]: site-wide mutes and bans (lift; impose with [`impose`]), and the site
//!   audit log.
//!
//! Every change asks first in the console's own dialog ([`confirm`]) and says how it went
//! above the panels. [`api`] holds the routes; [`format`] how numbers and times read. The
//! live stream stays open while another tab shows, so the charts have no hole on return.

mod accounts;
mod api;
mod chart;
mod confirm;
mod forbidden;
mod format;
mod impose;
mod live;
mod moderation;
mod nodes;
mod now;
mod rooms;
mod use_live;

pub use forbidden::{Forbidden, Visitor};

use crate::testid;
use accounts::AccountsPanel;
use chinwag_shared::Username;
use confirm::{ConfirmDialog, Confirmation, ConsoleContext, Outcome};
use live::Stream;
use moderation::ModerationPanel;
use now::NowPanel;
use rooms::RoomsPanel;
use use_live::use_live;
use yew::prelude::*;

/// A panel of the console.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tab {
    Now,
    Rooms,
    Accounts,
    Moderation,
}

impl Tab {
    /// Every tab, in order.
    pub const ALL: [Tab; 4] = [Tab::Now, Tab::Rooms, Tab::Accounts, Tab::Moderation];

    /// Its name on screen.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Now => "Now",
            Tab::Rooms => "Rooms",
            Tab::Accounts => "Accounts",
            Tab::Moderation => "Moderation",
        }
    }

    /// Its URL fragment (without `#`).
    pub fn fragment(self) -> &'static str {
        match self {
            Tab::Now => "now",
            Tab::Rooms => "rooms",
            Tab::Accounts => "accounts",
            Tab::Moderation => "moderation",
        }
    }

    /// The tab a fragment (`#rooms`, `rooms`, or anything else) names; "Now" by default.
    pub fn from_fragment(fragment: &str) -> Tab {
        let fragment = fragment.trim_start_matches('#');
        Tab::ALL
            .into_iter()
            .find(|tab| tab.fragment() == fragment)
            .unwrap_or(Tab::Now)
    }
}

/// Props of [`ConsoleScreen`].
#[derive(Properties, PartialEq)]
pub struct ConsoleScreenProps {
    /// The signed-in site admin.
    pub me: Username,
}

/// The console, for a signed-in site admin.
#[component]
pub fn ConsoleScreen(props: &ConsoleScreenProps) -> Html {
    let live = use_live();
    let tab = use_state(|| {
        let hash = web_sys::window()
            .and_then(|window| window.location().hash().ok())
            .unwrap_or_default();
        Tab::from_fragment(&hash)
    });
    let asking = use_state(|| None::<Confirmation>);
    let outcome = use_state(|| None::<Outcome>);
    let context = ConsoleContext {
        ask: {
            let asking = asking.clone();
            Callback::from(move |confirmation| asking.set(Some(confirmation)))
        },
        report: {
            let outcome = outcome.clone();
            Callback::from(move |said| outcome.set(Some(said)))
        },
    };
    let pick = |to: Tab| {
        let (tab, outcome) = (tab.clone(), outcome.clone());
        Callback::from(move |_: MouseEvent| {
            tab.set(to);
            outcome.set(None);
            if let Some(window) = web_sys::window() {
                // A fragment change neither reloads nor leaves the page.
                let _ = window.location().set_hash(to.fragment());
            }
        })
    };
    let close_dialog = {
        let asking = asking.clone();
        Callback::from(move |()| asking.set(None))
    };
    let dismiss = {
        let outcome = outcome.clone();
        Callback::from(move |_: MouseEvent| outcome.set(None))
    };
    let state = &live.state;
    let panel = match *tab {
        Tab::Now => {
            html! { <NowPanel live={(**state).clone()} on_reconnect={live.reconnect.clone()} /> }
        }
        Tab::Rooms => html! { <RoomsPanel /> },
        Tab::Accounts => html! { <AccountsPanel me={props.me.clone()} /> },
        Tab::Moderation => html! { <ModerationPanel /> },
    };
    let live_badge = match state.stream {
        Stream::Live => ("badge open", "live"),
        Stream::Connecting | Stream::Reconnecting => ("badge connecting", "connecting"),
        Stream::Closed => ("badge offline", "stopped"),
    };
    html! {
        <ContextProvider<ConsoleContext> context={context}>
            <div class="console" data-testid={testid::CONSOLE}>
                <header class="topbar console-bar">
                    <h1>{ "Chinwag" }<span class="console-word">{ " console" }</span></h1>
                    if !state.node.is_empty() {
                        <span class="hint node-name" title="The node answering">{ "node " }<code>{ &state.node }</code></span>
                    }
                    <span class={live_badge.0} data-testid={testid::LIVE_STATUS}
                        data-state={format!("{:?}", state.stream).to_lowercase()}>{ live_badge.1 }</span>
                    <span class="console-me"><bdi class="me">{ props.me.as_str() }</bdi></span>
                    <a href="/" class="back-link" data-testid={testid::BACK_TO_CHAT}>{ "← Chat" }</a>
                </header>
                <nav class="console-tabs" role="tablist" aria-label="Console panels">
                    { for Tab::ALL.into_iter().map(|each| html! {
                        <button type="button" role="tab" aria-selected={(each == *tab).to_string()}
                            class={classes!("console-tab", (each == *tab).then_some("current"))}
                            onclick={pick(each)} data-testid={testid::CONSOLE_TAB} data-tab={each.fragment()}>
                            { each.label() }
                        </button>
                    }) }
                </nav>
                <div class="console-body">
                    if let Some(said) = &*outcome {
                        { outcome_line(said, dismiss) }
                    }
                    { panel }
                </div>
                if let Some(confirmation) = &*asking {
                    <ConfirmDialog confirmation={confirmation.clone()} on_close={close_dialog} />
                }
            </div>
        </ContextProvider<ConsoleContext>>
    }
}

/// How the last change went, with a way to dismiss it.
fn outcome_line(said: &Outcome, dismiss: Callback<MouseEvent>) -> Html {
    let (class, role, text) = match said {
        Outcome::Done(text) => ("banner info", "status", text),
        Outcome::Failed(text) => ("banner barred", "alert", text),
    };
    html! {
        <div {class} {role} data-testid={testid::CONSOLE_OUTCOME}>
            <p>{ text }</p>
            <button type="button" class="link" onclick={dismiss} aria-label="Dismiss this message">{ "Dismiss" }</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn a_fragment_names_its_tab_and_anything_else_opens_now() {
        for tab in Tab::ALL {
            assert_eq!(Tab::from_fragment(&format!("#{}", tab.fragment())), tab);
            assert_eq!(Tab::from_fragment(tab.fragment()), tab);
        }
        assert_eq!(Tab::from_fragment(""), Tab::Now);
        assert_eq!(Tab::from_fragment("#<script>"), Tab::Now);
    }
}
