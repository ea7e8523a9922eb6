//! The accounts panel: search accounts by name, and for each one disable or enable it, sign
//! it out everywhere, grant or revoke site admin, and see its open connections.
//!
//! Every change asks first ([`Confirmation`]) and the list is read again after it, so what
//! shows is always the server's word. The signed-in admin's own row offers none of
//! "Disable", "Sign out everywhere" and "Revoke admin" (the server refuses them too):
//! locking oneself out is done from another admin's console, or the command line. Pages
//! follow the server's `Link` to the next one; its cursor is the server's business.

use super::{
    api,
    confirm::{Confirmation, ConsoleContext},
    format,
};
use crate::account::{
    failure::{ApiFailure, Purpose},
    listing::Listing,
};
use crate::testid;
use chinwag_shared::{
    Username,
    console::{AdminAccount, ConnectionView, Transport},
};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`AccountsPanel`].
#[derive(Properties, PartialEq)]
pub struct AccountsPanelProps {
    /// The signed-in admin.
    pub me: Username,
}

/// The accounts panel.
#[component]
pub fn AccountsPanel(props: &AccountsPanelProps) -> Html {
    let context = use_context::<ConsoleContext>();
    let draft = use_state(String::new);
    // The query searched and a counter that asks again for it.
    let search = use_state(|| (String::new(), 0u32));
    let accounts = use_state(Listing::<AdminAccount>::default);
    // The next page's URL, as the server linked it.
    let more = use_state(|| None::<String>);
    let shown_connections = use_state(|| None::<Username>);
    {
        let (accounts, more) = (accounts.clone(), more.clone());
        use_effect_with((*search).clone(), move |(query, _)| {
            let query = query.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::accounts(&query, None).await {
                    Ok((page, next)) => {
                        more.set(next);
                        accounts.set(Listing::Loaded(page));
                    }
                    Err(failure) => {
                        accounts.set(Listing::Failed(failure.message(Purpose::Console)))
                    }
                }
            });
        });
    }
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |event: InputEvent| {
            draft.set(event.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let onsubmit = {
        let (draft, search) = (draft.clone(), search.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            search.set(((*draft).trim().to_owned(), search.1.wrapping_add(1)));
        })
    };
    let reload = {
        let search = search.clone();
        Callback::from(move |()| search.set((search.0.clone(), search.1.wrapping_add(1))))
    };
    let load_more = {
        let (accounts, more) = (accounts.clone(), more.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(url) = (*more).clone() else {
                return;
            };
            let (accounts, more) = (accounts.clone(), more.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok((page, next)) = api::accounts("", Some(&url)).await {
                    more.set(next);
                    let mut all = accounts
                        .items()
                        .map(<[AdminAccount]>::to_vec)
                        .unwrap_or_default();
                    all.extend(page);
                    accounts.set(Listing::Loaded(all));
                }
            });
        })
    };
    let toggle_connections = {
        let shown = shown_connections.clone();
        Callback::from(move |name: Username| {
            shown.set(if shown.as_ref() == Some(&name) {
                None
            } else {
                Some(name)
            })
        })
    };
    let Some(context) = context else {
        return html! {};
    };
    let rows = |list: &[AdminAccount]| -> Html {
        list.iter()
            .map(|account| {
                account_row(
                    account,
                    account.name.as_str().to_lowercase() == props.me.as_str().to_lowercase(),
                    shown_connections.as_ref() == Some(&account.name),
                    &context,
                    &reload,
                    &toggle_connections,
                )
            })
            .collect()
    };
    html! {
        <section class="console-panel" aria-label="Accounts">
            <div class="panel-head">
                <h2>{ "Accounts" }</h2>
                <form class="search" role="search" {onsubmit}>
                    <label for="account-search" class="sr-only">{ "Search accounts by name" }</label>
                    <input id="account-search" type="search" placeholder="Search by name"
                        value={(*draft).clone()} {oninput} data-testid={testid::ACCOUNT_SEARCH} />
                    <button type="submit" data-testid={testid::ACCOUNT_SEARCH_SUBMIT}>{ "Search" }</button>
                </form>
            </div>
            { match &*accounts {
                Listing::Loading => html! { <p class="empty-state" role="status">{ "Loading…" }</p> },
                Listing::Failed(reason) => html! { <p class="error" role="alert">{ reason }</p> },
                Listing::Loaded(list) if list.is_empty() => html! {
                    <p class="empty-state">{
                        if search.0.is_empty() { "No accounts yet.".to_owned() }
                        else { format!("No account's name contains “{}”.", search.0) }
                    }</p>
                },
                Listing::Loaded(list) => html! {
                    <ul class="account-list" data-testid={testid::ACCOUNTS}>{ rows(list) }</ul>
                },
            } }
            if more.is_some() {
                <button type="button" class="secondary" onclick={load_more}>{ "More accounts" }</button>
            }
        </section>
    }
}

/// One account: its name and marks, what it has, and what can be done to it.
fn account_row(
    account: &AdminAccount,
    is_me: bool,
    connections_shown: bool,
    context: &ConsoleContext,
    reload: &Callback<()>,
    toggle_connections: &Callback<Username>,
) -> Html {
    let name = account.name.clone();
    let offer = |change: Change| {
        let (ask, name) = (context.ask.clone(), name.clone());
        let run = {
            let name = name.clone();
            context.request(change.done(&name), reload.clone(), move || {
                change.send(name.clone())
            })
        };
        Callback::from(move |_: MouseEvent| {
            ask.emit(Confirmation {
                question: change.question(&name).into(),
                confirm: change.confirm().into(),
                danger: change.takes_away(),
                run: run.clone(),
            })
        })
    };
    let (disable, enable, sign_out, grant, revoke) = (
        offer(Change::Disable),
        offer(Change::Enable),
        offer(Change::SignOut),
        offer(Change::GrantAdmin),
        offer(Change::RevokeAdmin),
    );
    let show_connections = {
        let (toggle, name) = (toggle_connections.clone(), name.clone());
        Callback::from(move |_: MouseEvent| toggle.emit(name.clone()))
    };
    html! {
        <li key={name.to_string()} class={classes!("account-row", account.disabled.then_some("disabled"))}
            data-testid={testid::ACCOUNT_ROW} data-name={name.to_string()} data-disabled={account.disabled.to_string()}
            data-admin={account.admin.to_string()}>
            <div class="account-who">
                <bdi class="account-name">{ name.as_str() }</bdi>
                if is_me { <span class="tag">{ "you" }</span> }
                if account.admin { <span class="tag">{ "admin" }</span> }
                if account.disabled { <span class="tag bad">{ "disabled" }</span> }
                <span class="meta">
                    { format!("joined {} · {} connection{}", format::day(account.created),
                        account.connections, if account.connections == 1 { "" } else { "s" }) }
                </span>
            </div>
            <div class="account-actions">
                <button type="button" class="secondary" onclick={show_connections}
                    aria-expanded={connections_shown.to_string()} data-testid={testid::ACCOUNT_CONNECTIONS}>
                    { "Connections" }
                </button>
                if account.disabled {
                    <button type="button" class="secondary" onclick={enable} data-testid={testid::ACCOUNT_ENABLE}>{ "Enable" }</button>
                } else if !is_me {
                    <button type="button" class="secondary danger-text" onclick={disable} data-testid={testid::ACCOUNT_DISABLE}>{ "Disable" }</button>
                }
                if !account.disabled && !is_me {
                    <button type="button" class="secondary" onclick={sign_out} data-testid={testid::ACCOUNT_SIGN_OUT}>{ "Sign out everywhere" }</button>
                }
                if !account.admin {
                    <button type="button" class="secondary" onclick={grant} data-testid={testid::ACCOUNT_GRANT_ADMIN}>{ "Grant admin" }</button>
                } else if !is_me {
                    <button type="button" class="secondary" onclick={revoke} data-testid={testid::ACCOUNT_REVOKE_ADMIN}>{ "Revoke admin" }</button>
                }
            </div>
            if connections_shown {
                <Connections name={name.clone()} />
            }
        </li>
    }
}

/// What the console can do to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Disable,
    Enable,
    SignOut,
    GrantAdmin,
    RevokeAdmin,
}

impl Change {
    /// The question the confirmation asks, naming the account and what follows.
    fn question(self, name: &Username) -> String {
        match self {
            Change::Disable => format!(
                "Disable {name}? They are signed out everywhere at once, their open tabs and \
                 programs are disconnected, and they cannot sign in until enabled again."
            ),
            Change::Enable => format!("Enable {name}? They can sign in again."),
            Change::SignOut => format!(
                "Sign {name} out everywhere? Every browser and program signed in as them is \
                 disconnected; they can sign in again."
            ),
            Change::GrantAdmin => format!(
                "Make {name} a site admin? They can moderate every room and open this console."
            ),
            Change::RevokeAdmin => format!("Take site admin away from {name}?"),
        }
    }

    /// The confirming button's word.
    fn confirm(self) -> &'static str {
        match self {
            Change::Disable => "Disable",
            Change::Enable => "Enable",
            Change::SignOut => "Sign out",
            Change::GrantAdmin => "Grant admin",
            Change::RevokeAdmin => "Revoke admin",
        }
    }

    /// Whether it takes something away (its button is red).
    fn takes_away(self) -> bool {
        matches!(
            self,
            Change::Disable | Change::SignOut | Change::RevokeAdmin
        )
    }

    /// What the console says once it is done.
    fn done(self, name: &Username) -> String {
        match self {
            Change::Disable => format!("Disabled {name}; they are signed out everywhere."),
            Change::Enable => format!("Enabled {name}."),
            Change::SignOut => format!("Signed {name} out everywhere."),
            Change::GrantAdmin => format!("{name} is a site admin now."),
            Change::RevokeAdmin => format!("{name} is no longer a site admin."),
        }
    }

    /// Asks the server to do it.
    async fn send(self, name: Username) -> Result<(), ApiFailure> {
        match self {
            Change::Disable => api::set_disabled(&name, true).await,
            Change::Enable => api::set_disabled(&name, false).await,
            Change::SignOut => api::sign_out_everywhere(&name).await,
            Change::GrantAdmin => api::set_admin(&name, true).await,
            Change::RevokeAdmin => api::set_admin(&name, false).await,
        }
    }
}

/// Props of [`Connections`].
#[derive(Properties, PartialEq)]
struct ConnectionsProps {
    name: Username,
}

/// An account's open connections: how, from where, since when, in which rooms, on which node.
#[component]
fn Connections(props: &ConnectionsProps) -> Html {
    let list = use_state(Listing::<ConnectionView>::default);
    {
        let list = list.clone();
        use_effect_with(props.name.clone(), move |name| {
            let name = name.clone();
            wasm_bindgen_futures::spawn_local(async move {
                list.set(match api::connections(&name).await {
                    Ok(found) => Listing::Loaded(found),
                    Err(failure) => Listing::Failed(failure.message(Purpose::Console)),
                });
            });
        });
    }
    let now = format::now_ms();
    html! {
        <div class="connections" data-testid={testid::CONNECTIONS}>
            { match &*list {
                Listing::Loading => html! { <p class="hint" role="status">{ "Loading…" }</p> },
                Listing::Failed(reason) => html! { <p class="error" role="alert">{ reason }</p> },
                Listing::Loaded(found) if found.is_empty() => html! {
                    <p class="empty-state">{ format!("{} has no open connection.", props.name) }</p>
                },
                Listing::Loaded(found) => html! {
                    <ul>
                        { for found.iter().map(|connection| {
                            let how = match connection.transport {
                                Transport::WebSocket => "WebSocket",
                                Transport::LongPoll => "long-poll",
                            };
                            let rooms = connection.rooms.iter().map(|room| format!("#{room}")).collect::<Vec<_>>().join(" ");
                            html! {
                                <li data-testid={testid::CONNECTION}>
                                    <strong>{ how }</strong>
                                    { format!(" from {} · since {} · on {}", connection.address, format::ago(connection.since, now), connection.node) }
                                    if !rooms.is_empty() { <span class="meta">{ format!(" · {rooms}") }</span> }
                                </li>
                            }
                        }) }
                    </ul>
                },
            } }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn each_change_names_the_account_and_says_what_follows() {
        let bob = Username::parse("bob").unwrap();
        let all = [
            Change::Disable,
            Change::Enable,
            Change::SignOut,
            Change::GrantAdmin,
            Change::RevokeAdmin,
        ];
        for change in all {
            assert!(change.question(&bob).contains("bob"), "{change:?}");
            assert!(change.done(&bob).contains("bob"), "{change:?}");
        }
        assert!(
            Change::Disable
                .question(&bob)
                .contains("signed out everywhere")
        );
        let red: Vec<_> = all.into_iter().filter(|c| c.takes_away()).collect();
        assert_eq!(red, [Change::Disable, Change::SignOut, Change::RevokeAdmin]);
    }
}
