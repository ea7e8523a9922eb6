//! Imposing a site-wide mute or ban by name, with a reason and a duration, from the
//! moderation panel: the form checks the name is one, words the confirmation ("Ban bob on
//! the whole site for 1 hour (spam)?"), and only once confirmed sends
//! `PUT /api/site/{mutes|bans}/{name}` and empties itself.

use super::{
    api,
    confirm::{Confirmation, ConsoleContext},
};
use crate::testid;
use chinwag_shared::{
    MAX_REASON_CHARS, MAX_USERNAME_CHARS, Username,
    moderation::{SanctionBody, SanctionKind},
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

/// Props of [`ImposeForm`].
#[derive(Properties, PartialEq)]
pub struct ImposeFormProps {
    /// Read the lists again once one is imposed.
    pub on_done: Callback<()>,
}

/// Mute or ban someone on the whole site, by name, with a reason and a duration.
#[component]
pub fn ImposeForm(props: &ImposeFormProps) -> Html {
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
