//! The moderation panel: the site-wide mutes and bans in force (whom, why, by whom, until
//! when), lifting one, imposing one by name with a reason and a duration, and the site's
//! audit log (account changes, admin grants, keys, site sanctions), newest first.
//!
//! Imposing and lifting go through the same routes as everywhere else
//! (`PUT|DELETE /api/site/{mutes|bans}/{name}`), so every rule and event of a sanction
//! holds; both ask first, and both lists are read again after each change.

use super::{
    api,
    confirm::{Confirmation, ConsoleContext},
    format,
    rooms::AuditList,
};
use crate::account::{failure::Purpose, listing::Listing};
use crate::testid;
use chinwag_shared::{
    MAX_REASON_CHARS, MAX_USERNAME_CHARS, Username,
    moderation::{AuditEntry, SanctionBody, SanctionKind, SanctionView},
};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The durations offered when imposing a sanction: words and seconds (`None`: until lifted).
pub const DURATIONS: [(&str, Option<u64>); 6] = [
    ("10 minutes", Some(600)),
    ("1 hour", Some(3_600)),
    ("1 day", Some(86_400)),
    ("1 week", Some(7 * 86_400)),
    ("30 days", Some(30 * 86_400)),
    ("until lifted", None),
];

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

/// Props of [`ImposeForm`].
#[derive(Properties, PartialEq)]
struct ImposeFormProps {
    /// Read the lists again once one is imposed.
    on_done: Callback<()>,
}

/// Mute or ban someone on the whole site, by name, with a reason and a duration.
#[component]
fn ImposeForm(props: &ImposeFormProps) -> Html {
    let context = use_context::<ConsoleContext>();
    let name = use_state(String::new);
    let reason = use_state(String::new);
    let kind = use_state(|| SanctionKind::Mute);
    let duration = use_state(|| 1usize);
    let invalid = use_state(|| None::<String>);
    let Some(context) = context else {
        return html! {};
    };
    let on_name = {
        let (name, invalid) = (name.clone(), invalid.clone());
        Callback::from(move |event: InputEvent| {
            name.set(event.target_unchecked_into::<HtmlInputElement>().value());
            invalid.set(None);
        })
    };
    let on_reason = {
        let reason = reason.clone();
        Callback::from(move |event: InputEvent| {
            reason.set(event.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_kind = {
        let kind = kind.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<HtmlSelectElement>().value();
            kind.set(if value == "ban" {
                SanctionKind::Ban
            } else {
                SanctionKind::Mute
            });
        })
    };
    let on_duration = {
        let duration = duration.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<HtmlSelectElement>().value();
            duration.set(value.parse().unwrap_or(1).min(DURATIONS.len() - 1));
        })
    };
    let onsubmit = {
        let (name, reason, kind, duration, invalid) = (
            name.clone(),
            reason.clone(),
            kind.clone(),
            duration.clone(),
            invalid.clone(),
        );
        let (context, on_done) = (context.clone(), props.on_done.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let who = match Username::parse(name.trim()) {
                Ok(who) => who,
                Err(err) => {
                    invalid.set(Some(format!("That is not a name: {err}.")));
                    return;
                }
            };
            let (words, seconds) = DURATIONS[(*duration).min(DURATIONS.len() - 1)];
            let why = reason.trim().to_owned();
            let body = SanctionBody {
                seconds,
                reason: (!why.is_empty()).then_some(why.clone()),
            };
            let kind = *kind;
            let question = impose_question(kind, &who, words, &why);
            let run = {
                let who = who.clone();
                context.request(
                    format!(
                        "{who} is {} on the whole site ({words}).",
                        if kind == SanctionKind::Ban {
                            "banned"
                        } else {
                            "muted"
                        }
                    ),
                    on_done.clone(),
                    move || {
                        let (who, body) = (who.clone(), body.clone());
                        async move { api::impose(kind, &who, &body).await }
                    },
                )
            };
            // Once confirmed, the form empties for the next one.
            let run = {
                let (name, reason) = (name.clone(), reason.clone());
                Callback::from(move |()| {
                    run.emit(());
                    name.set(String::new());
                    reason.set(String::new());
                })
            };
            context.ask.emit(Confirmation {
                question: question.into(),
                confirm: if kind == SanctionKind::Ban {
                    "Ban"
                } else {
                    "Mute"
                }
                .into(),
                danger: true,
                run,
            });
        })
    };
    html! {
        <form class="card impose" {onsubmit} aria-labelledby="impose-title" data-testid={testid::IMPOSE_FORM}>
            <h2 id="impose-title">{ "Mute or ban on the whole site" }</h2>
            <div class="impose-fields">
                <label>
                    <span>{ "Name" }</span>
                    <input type="text" value={(*name).clone()} oninput={on_name} required=true
                        maxlength={MAX_USERNAME_CHARS.to_string()} placeholder="their name"
                        aria-invalid={invalid.is_some().then_some("true")} data-testid={testid::IMPOSE_NAME} />
                </label>
                <label>
                    <span>{ "What" }</span>
                    <select onchange={on_kind} data-testid={testid::IMPOSE_KIND}>
                        <option value="mute" selected={*kind == SanctionKind::Mute}>{ "Mute (may read, not post)" }</option>
                        <option value="ban" selected={*kind == SanctionKind::Ban}>{ "Ban (may not join)" }</option>
                    </select>
                </label>
                <label>
                    <span>{ "For" }</span>
                    <select onchange={on_duration} data-testid={testid::IMPOSE_DURATION}>
                        { for DURATIONS.iter().enumerate().map(|(i, (words, _))| html! {
                            <option value={i.to_string()} selected={i == *duration}>{ *words }</option>
                        }) }
                    </select>
                </label>
                <label class="wide">
                    <span>{ "Reason" }</span>
                    <input type="text" value={(*reason).clone()} oninput={on_reason}
                        maxlength={MAX_REASON_CHARS.to_string()} placeholder="shown to moderators and in the audit log"
                        data-testid={testid::IMPOSE_REASON} />
                </label>
            </div>
            if let Some(invalid) = &*invalid {
                <p class="error" role="alert">{ invalid }</p>
            }
            <button type="submit" data-testid={testid::IMPOSE_SUBMIT}>{ "Impose…" }</button>
        </form>
    }
}

/// "Ban bob on the whole site for 1 hour (spam)?"
fn impose_question(kind: SanctionKind, who: &Username, words: &str, reason: &str) -> String {
    let verb = match kind {
        SanctionKind::Mute => "Mute",
        SanctionKind::Ban => "Ban",
    };
    let span = if words == "until lifted" {
        "until lifted".to_owned()
    } else {
        format!("for {words}")
    };
    let why = if reason.is_empty() {
        String::new()
    } else {
        format!(" ({reason})")
    };
    format!("{verb} {who} on the whole site {span}{why}?")
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_question_names_who_what_how_long_and_why() {
        let bob = Username::parse("bob").unwrap();
        assert_eq!(
            impose_question(SanctionKind::Ban, &bob, "1 hour", "spam"),
            "Ban bob on the whole site for 1 hour (spam)?"
        );
        assert_eq!(
            impose_question(SanctionKind::Mute, &bob, "until lifted", ""),
            "Mute bob on the whole site until lifted?"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn every_offered_duration_is_within_the_servers_limit() {
        for (_, seconds) in DURATIONS {
            assert!(seconds.is_none_or(|s| s <= chinwag_shared::MAX_SANCTION_SECS));
        }
    }
}
