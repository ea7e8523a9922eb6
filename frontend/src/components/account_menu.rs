//! The account menu in the top bar: who is signed in, signing out (here or everywhere), the
//! password form, the access tokens, and for a site admin a link to the console (`/admin`).
//!
//! A disclosure, not an ARIA menu: its panel holds forms, which a `role="menu"` may not. The
//! button says whether it is open (`aria-expanded`); opening it, or moving to one of its
//! views, puts focus on the first control inside, and Escape or "Close" shuts it and gives
//! focus back to the button.

use crate::{account::attempt::Attempt, testid};
use chinwag_shared::Username;
use gloo::events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

/// Props of [`AccountMenu`].
#[derive(Properties, PartialEq)]
pub struct AccountMenuProps {
    /// The signed-in account.
    pub me: Username,
    /// Whether it is a site admin (the menu links to the console).
    #[prop_or_default]
    pub admin: bool,
    /// Sign this browser out.
    pub on_sign_out: Callback<Attempt<()>>,
    /// Sign every session out.
    pub on_sign_out_everywhere: Callback<Attempt<()>>,
    /// The password form, mounted only while its view shows.
    pub password: Html,
    /// The access tokens panel, mounted only while its view shows (so it loads on opening).
    pub tokens: Html,
}

/// What the open menu shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Main,
    Password,
    Tokens,
}

/// The account menu.
#[component]
pub fn AccountMenu(props: &AccountMenuProps) -> Html {
    let open = use_state(|| false);
    let view = use_state(|| View::Main);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let toggle_ref = use_node_ref();
    let panel_ref = use_node_ref();
    let first_render = use_mut_ref(|| true);
    {
        let (toggle_ref, panel_ref) = (toggle_ref.clone(), panel_ref.clone());
        use_effect_with((*open, *view), move |(open, _)| {
            if std::mem::replace(&mut *first_render.borrow_mut(), false) {
                return;
            }
            if *open {
                focus_first_control(&panel_ref);
            } else if let Some(toggle) = toggle_ref.cast::<HtmlElement>() {
                let _ = toggle.focus();
            }
        });
    }
    let close = {
        let (open, view, error) = (open.clone(), view.clone(), error.clone());
        Callback::from(move |()| {
            open.set(false);
            view.set(View::Main);
            error.set(None);
        })
    };
    let on_toggle = {
        let (open, close) = (open.clone(), close.clone());
        Callback::from(move |_: MouseEvent| {
            if *open {
                close.emit(());
            } else {
                open.set(true);
            }
        })
    };
    // Escape anywhere in the menu closes it, in its password and tokens views too. Those are
    // another yew app's (the panels' bundle, `crate::panels`), whose events this app's own
    // listeners do not see, so this one is the browser's own listener on the menu.
    let menu_ref = use_node_ref();
    {
        let (menu_ref, close) = (menu_ref.clone(), close.clone());
        use_effect_with((), move |()| {
            let listener = menu_ref.cast::<Element>().map(|menu| {
                EventListener::new(&menu, "keydown", move |event| {
                    let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    if event.key() == "Escape" {
                        event.prevent_default();
                        close.emit(());
                    }
                })
            });
            move || drop(listener)
        });
    }
    let show = |to: View| {
        let (view, error) = (view.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            view.set(to);
            error.set(None);
        })
    };
    let sign_out = |request: &Callback<Attempt<()>>| {
        let (request, busy, error) = (request.clone(), busy.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            busy.set(true);
            error.set(None);
            let (busy, error) = (busy.clone(), error.clone());
            request.emit(Attempt {
                input: (),
                settle: Callback::from(move |outcome: Result<(), String>| {
                    busy.set(false);
                    error.set(outcome.err());
                }),
            });
        })
    };
    let panel = match *view {
        View::Main => html! {
            <>
                <p class="signed-in-as">{ "Signed in as " }<strong><bdi>{ props.me.as_str() }</bdi></strong></p>
                <ul class="menu-items">
                    if props.admin {
                        <li><a class="menu-link" href="/admin" data-testid={testid::CONSOLE_LINK}>
                            { "Console" }<span class="hint">{ " · the site's live numbers, rooms and accounts" }</span>
                        </a></li>
                    }
                    <li><button type="button" data-testid={testid::CHANGE_PASSWORD} onclick={show(View::Password)}>
                        { "Change password" }
                    </button></li>
                    <li><button type="button" data-testid={testid::ACCESS_TOKENS} onclick={show(View::Tokens)}>
                        { "Access tokens" }
                    </button></li>
                    <li><button type="button" data-testid={testid::SIGN_OUT} disabled={*busy}
                        onclick={sign_out(&props.on_sign_out)}>
                        { "Sign out" }
                    </button></li>
                    <li><button type="button" data-testid={testid::SIGN_OUT_EVERYWHERE} disabled={*busy}
                        onclick={sign_out(&props.on_sign_out_everywhere)}
                        aria-describedby="everywhere-hint">
                        { "Sign out everywhere" }
                    </button>
                    <p id="everywhere-hint" class="hint">{ "Every browser signed in to this account, this one too." }</p></li>
                </ul>
                if let Some(error) = &*error {
                    <p class="error" role="alert">{ error }</p>
                }
            </>
        },
        View::Password => html! {
            <>
                { sub_header("Change password", show(View::Main)) }
                { props.password.clone() }
            </>
        },
        View::Tokens => html! {
            <>
                { sub_header("Access tokens", show(View::Main)) }
                { props.tokens.clone() }
            </>
        },
    };
    html! {
        <div class="account" ref={menu_ref}>
            <button type="button" class="menu-toggle" ref={toggle_ref} onclick={on_toggle}
                data-testid={testid::ACCOUNT_MENU} aria-expanded={open.to_string()}
                aria-controls="account-panel">
                <bdi class="me">{ props.me.as_str() }</bdi>
                <span class="caret" aria-hidden="true">{ "▾" }</span>
                <span class="sr-only">{ ", account menu" }</span>
            </button>
            if *open {
                <section id="account-panel" class="popover" ref={panel_ref} aria-label="Account">
                    { panel }
                    <button type="button" class="link close" onclick={close.reform(|_: MouseEvent| ())}>
                        { "Close" }
                    </button>
                </section>
            }
        </div>
    }
}

/// The title of a view inside the menu, with the way back.
fn sub_header(title: &str, back: Callback<MouseEvent>) -> Html {
    html! {
        <div class="sub-header">
            <button type="button" class="link" onclick={back} aria-label="Back to the account menu">
                { "← Back" }
            </button>
            <h2>{ title }</h2>
        </div>
    }
}

/// Focuses the first field inside `panel`, or its first button if it has no field.
pub(crate) fn focus_first_control(panel: &NodeRef) {
    let Some(panel) = panel.cast::<Element>() else {
        return;
    };
    let first = ["input", "button:not([disabled])"]
        .into_iter()
        .find_map(|selector| panel.query_selector(selector).ok().flatten())
        .and_then(|element| element.dyn_into::<HtmlElement>().ok());
    if let Some(first) = first {
        let _ = first.focus();
    }
}
