//! The moderation panel: the site-wide mutes and bans in force (whom, why, by whom, until
//! when), lifting one, imposing one by name with a reason and a duration, and the site's
//! audit log (account changes, admin grants, keys, site sanctions), newest first.
//!
//! Imposing ([`ImposeForm`]) and lifting go through the same routes as everywhere else
//! (`PUT|DELETE /api/site/{mutes|bans}/{name}`), so every rule and event of a sanction
//! holds; both ask first, and both lists are read again after each change.

use super::{
    api,
    confirm::{Confirmation, ConsoleContext},
    format,
    impose::ImposeForm,
    rooms::AuditList,
};
use crate::account::{failure::Purpose, listing::Listing};
use crate::testid;
use chinwag_shared::moderation::{AuditEntry, SanctionKind, SanctionView};
use yew::prelude::*;

/// The moderation panel.
#[component]
pub fn ModerationPanel() -> Html {
    let context = use_context::<ConsoleContext>();
    let sanctions = use_state(Listing::<SanctionView>::default);
    let audit = use_state(Listing::<AuditEntry>::default);
    let audit_more = use_state(|| false);
    let generation = use_state(|| 0u32);
    {
        let (sanctions, audit, audit_more) = (sanctions.clone(), audit.clone(), audit_more.clone());
        use_effect_with(*generation, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                sanctions.set(match api::sanctions().await {
                    Ok(list) => Listing::Loaded(list),
                    Err(failure) => Listing::Failed(failure.message(Purpose::Console)),
                });
                match api::audit(None).await {
                    Ok(page) => {
                        audit_more.set(page.len() >= api::AUDIT_PAGE);
                        audit.set(Listing::Loaded(page));
                    }
                    Err(failure) => audit.set(Listing::Failed(failure.message(Purpose::Console))),
                }
            });
        });
    }
    let reload = {
        let generation = generation.clone();
        Callback::from(move |()| generation.set(generation.wrapping_add(1)))
    };
    let older = {
        let (audit, audit_more) = (audit.clone(), audit_more.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(before) = audit.items().and_then(|items| items.last()).map(|e| e.id) else {
                return;
            };
            let (audit, audit_more) = (audit.clone(), audit_more.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(page) = api::audit(Some(before)).await {
                    audit_more.set(page.len() >= api::AUDIT_PAGE);
                    let mut all = audit
                        .items()
                        .map(<[AuditEntry]>::to_vec)
                        .unwrap_or_default();
                    all.extend(page.into_iter().filter(|entry| entry.id < before));
                    audit.set(Listing::Loaded(all));
                }
            });
        })
    };
    let Some(context) = context else {
        return html! {};
    };
    let now = format::now_ms();
    html! {
        <section class="console-panel" aria-label="Moderation">
            <div class="panel-head">
                <h2>{ "Site-wide mutes and bans" }</h2>
                <button type="button" class="secondary" onclick={reload.reform(|_: MouseEvent| ())}>{ "Refresh" }</button>
            </div>
            { match &*sanctions {
                Listing::Loading => html! { <p class="empty-state" role="status">{ "Loading…" }</p> },
                Listing::Failed(reason) => html! { <p class="error" role="alert">{ reason }</p> },
                Listing::Loaded(list) if list.is_empty() => html! {
                    <p class="empty-state">{ "Nobody is muted or banned on the whole site." }</p>
                },
                Listing::Loaded(list) => html! {
                    <table class="data cards" data-testid={testid::SITE_SANCTIONS}>
                        <thead>
                            <tr>
                                <th scope="col">{ "Who" }</th>
                                <th scope="col">{ "What" }</th>
                                <th scope="col">{ "Why" }</th>
                                <th scope="col">{ "By" }</th>
                                <th scope="col">{ "Until" }</th>
                                <th scope="col"><span class="sr-only">{ "Lift" }</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            { for list.iter().map(|sanction| sanction_row(sanction, &context, &reload, now)) }
                        </tbody>
                    </table>
                },
            } }
            <ImposeForm on_done={reload.clone()} />
            <section class="card" aria-labelledby="site-audit-title">
                <h2 id="site-audit-title">{ "Site audit log" }</h2>
                <AuditList entries={(*audit).clone()} empty="No site-wide action has been taken yet." />
                if *audit_more {
                    <button type="button" class="link" onclick={older}>{ "Older entries" }</button>
                }
            </section>
        </section>
    }
}

/// "mute" or "ban".
fn noun(kind: SanctionKind) -> &'static str {
    match kind {
        SanctionKind::Mute => "mute",
        SanctionKind::Ban => "ban",
    }
}

/// One sanction in force, with "Lift".
fn sanction_row(
    sanction: &SanctionView,
    context: &ConsoleContext,
    reload: &Callback<()>,
    now: u64,
) -> Html {
    let (kind, name) = (sanction.kind, sanction.username.clone());
    let lift = {
        let run = context.request(
            format!("Lifted {name}'s site-wide {}.", noun(kind)),
            reload.clone(),
            {
                let name = name.clone();
                move || {
                    let name = name.clone();
                    async move { api::lift(kind, &name).await }
                }
            },
        );
        let (ask, question) = (
            context.ask.clone(),
            format!("Lift {name}'s site-wide {}?", noun(kind)),
        );
        Callback::from(move |_: MouseEvent| {
            ask.emit(Confirmation {
                question: question.clone().into(),
                confirm: "Lift".into(),
                danger: false,
                run: run.clone(),
            })
        })
    };
    let until = match sanction.until {
        Some(until) if until > now => format!(
            "{} (in {})",
            format::when(until),
            format::duration((until - now) / 1_000)
        ),
        Some(until) => format::when(until),
        None => "until lifted".to_owned(),
    };
    html! {
        <tr key={format!("{}-{name}", noun(kind))} data-testid={testid::SITE_SANCTION} data-name={name.to_string()}
            data-kind={noun(kind)}>
            <td data-label="Who">
                <bdi>{ name.as_str() }</bdi>
                if sanction.guest { <span class="tag muted">{ "guest" }</span> }
            </td>
            <td data-label="What"><span class={classes!("tag", (kind == SanctionKind::Ban).then_some("bad"))}>{ noun(kind) }</span></td>
            <td data-label="Why">{ if sanction.reason.is_empty() { "–".to_owned() } else { sanction.reason.clone() } }</td>
            <td data-label="By"><bdi>{ sanction.by.as_str() }</bdi></td>
            <td data-label="Until">{ until }</td>
            <td data-label="">
                <button type="button" class="secondary" onclick={lift} data-testid={testid::SANCTION_LIFT}
                    aria-label={format!("Lift {name}'s {}", noun(kind))}>{ "Lift" }</button>
            </td>
        </tr>
    }
}
