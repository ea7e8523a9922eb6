//! The room settings panel, for a moderator: slow mode, the moderators (added and removed
//! by the owner or an admin), the mutes and bans in force (each can be lifted), and the
//! audit log of who did what, newest first, paged back on request.
//!
//! It opens as a panel from the top bar like the members panel: focus moves into it, and
//! Escape or "Close" shuts it. Removing a moderator asks first (an [`ActionMenu`]).

use super::{
    account_menu::focus_first_control,
    action_menu::{ActionMenu, Choice},
    name_prompt::NamePrompt,
};
use crate::{account::attempt::Attempt, account::listing::Listing, testid};
use chinwag_shared::{
    MAX_SLOW_MODE_SECS, MAX_USERNAME_CHARS, RoomName, Username,
    moderation::{AuditAction, AuditEntry, Role, RoomSettings, SanctionKind, SanctionView},
};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`RoomSettingsPanel`].
#[derive(Properties, PartialEq)]
pub struct RoomSettingsPanelProps {
    /// The room's settings and this person's role.
    pub settings: RoomSettings,
    /// The audit log, newest first.
    pub audit: Listing<AuditEntry>,
    /// Whether older audit lines may exist.
    pub audit_has_older: bool,
    /// The mutes and bans in force.
    pub sanctions: Listing<SanctionView>,
    /// Why the last change failed.
    pub error: Option<String>,
    /// Set slow mode to this many seconds.
    pub on_slow_mode: Callback<Attempt<u32>>,
    /// Make the account the attempt names a moderator.
    pub on_add_moderator: Callback<Attempt<String>>,
    /// Take this moderator's role away.
    pub on_remove_moderator: Callback<Username>,
    /// Lift this sanction.
    pub on_lift: Callback<SanctionView>,
    /// Load older audit lines.
    pub on_older_audit: Callback<()>,
    /// Ask for the sanctions and the audit log again.
    pub on_refresh: Callback<()>,
    /// Close the panel.
    pub on_close: Callback<()>,
}

/// The room settings panel.
#[component]
pub fn RoomSettingsPanel(props: &RoomSettingsPanelProps) -> Html {
    let panel_ref = use_node_ref();
    {
        let panel_ref = panel_ref.clone();
        use_effect_with(props.settings.room.clone(), move |_| {
            focus_first_control(&panel_ref)
        });
    }
    let onkeydown = {
        let on_close = props.on_close.clone();
        Callback::from(move |event: KeyboardEvent| {
            // A menu inside handles its own Escape first and stops there.
            if event.key() == "Escape" && !event.default_prevented() {
                event.prevent_default();
                on_close.emit(());
            }
        })
    };
    let room = &props.settings.room;
    html! {
        <section id="room-settings-panel" class="popover settings-panel" ref={panel_ref} {onkeydown}
            aria-label={format!("Settings of #{room}")} data-testid={testid::ROOM_SETTINGS}>
            <h2>{ format!("Settings of #{room}") }</h2>
            <SlowModeForm secs={props.settings.slow_mode_secs} on_submit={props.on_slow_mode.clone()} />
            { moderators(props) }
            <div class="sub-header">
                <h3>{ "Muted and banned" }</h3>
                <button type="button" class="link" onclick={props.on_refresh.reform(|_: MouseEvent| ())}
                    aria-label="Refresh the sanctions and the audit log">{ "Refresh" }</button>
            </div>
            { sanctions(&props.sanctions, &props.on_lift) }
            <p class="error" role="alert">{ props.error.clone().unwrap_or_default() }</p>
            <h3>{ "Audit log" }</h3>
            { audit(room, &props.audit) }
            if props.audit_has_older {
                <button type="button" class="link" onclick={props.on_older_audit.reform(|_: MouseEvent| ())}>
                    { "Load older entries" }
                </button>
            }
            <button type="button" class="link close" onclick={props.on_close.reform(|_: MouseEvent| ())}>
                { "Close" }
            </button>
        </section>
    }
}

/// The owner, the moderators, and for the owner or an admin, adding and removing them.
fn moderators(props: &RoomSettingsPanelProps) -> Html {
    let settings = &props.settings;
    let appoints = settings.role >= Role::Owner;
    html! {
        <>
            <h3>{ "Moderators" }</h3>
            if let Some(owner) = &settings.owner {
                <p class="hint">{ "Owner: " }<bdi>{ owner.as_str() }</bdi></p>
            }
            if settings.moderators.is_empty() {
                <p class="hint">{ "No moderators yet." }</p>
            }
            <ul class="member-list">
                { for settings.moderators.iter().map(|who| {
                    let remove = props.on_remove_moderator.reform({
                        let who = who.clone();
                        move |()| who.clone()
                    });
                    html! {
                        <li key={who.as_str()}>
                            <bdi>{ who.as_str() }</bdi>
                            if appoints {
                                <ActionMenu label={format!("Moderator {who}")} choices={vec![Choice::Confirm {
                                    label: "Remove as moderator".into(),
                                    question: format!("Remove {who} as a moderator of #{}?", settings.room).into(),
                                    confirm: "Remove".into(),
                                    run: remove,
                                }]} />
                            }
                        </li>
                    }
                }) }
            </ul>
            if appoints {
                <NamePrompt opener="+ Add a moderator" label="Add a moderator" submit="Add"
                    placeholder="their account name" max_chars={MAX_USERNAME_CHARS}
                    testid="add-moderator" on_submit={props.on_add_moderator.clone()} />
            } else {
                <p class="hint">{ "The owner or an admin appoints moderators." }</p>
            }
        </>
    }
}

/// The mutes and bans in force, each with a way to lift it.
fn sanctions(list: &Listing<SanctionView>, on_lift: &Callback<SanctionView>) -> Html {
    match list {
        Listing::Loading => html! { <p class="hint" role="status">{ "Loading…" }</p> },
        Listing::Failed(reason) => html! { <p class="error" role="alert">{ reason }</p> },
        Listing::Loaded(list) if list.is_empty() => html! { <p class="hint">{ "Nobody." }</p> },
        Listing::Loaded(list) => html! {
            <ul class="member-list">
                { for list.iter().map(|sanction| {
                    let what = match sanction.kind {
                        SanctionKind::Mute => "muted",
                        SanctionKind::Ban => "banned",
                    };
                    let until = match sanction.until {
                        Some(until) => format!("until {}", when(until)),
                        None => "until lifted".to_owned(),
                    };
                    let lift = {
                        let (sanction, on_lift) = (sanction.clone(), on_lift.clone());
                        Callback::from(move |_: MouseEvent| on_lift.emit(sanction.clone()))
                    };
                    html! {
                        <li key={format!("{what}-{}", sanction.username)}>
                            <span class="sanction">
                                <bdi>{ sanction.username.as_str() }</bdi>
                                { format!(" {what} {until}") }
                                if sanction.site { { " (site-wide)" } }
                                <span class="meta">{ " by " }<bdi>{ sanction.by.as_str() }</bdi></span>
                                if !sanction.reason.is_empty() {
                                    <span class="meta">{ format!(" · {}", sanction.reason) }</span>
                                }
                            </span>
                            if !sanction.site {
                                <button type="button" class="link" onclick={lift}
                                    aria-label={format!("Lift {}'s {}", sanction.username, if sanction.kind == SanctionKind::Mute { "mute" } else { "ban" })}>
                                    { "Lift" }
                                </button>
                            }
                        </li>
                    }
                }) }
            </ul>
        },
    }
}

/// The audit log, newest first.
fn audit(room: &RoomName, list: &Listing<AuditEntry>) -> Html {
    match list {
        Listing::Loading => html! { <p class="hint" role="status">{ "Loading…" }</p> },
        Listing::Failed(reason) => html! { <p class="error" role="alert">{ reason }</p> },
        Listing::Loaded(list) if list.is_empty() => {
            html! { <p class="hint">{ format!("Nothing has happened in #{room} yet.") }</p> }
        }
        Listing::Loaded(list) => html! {
            <ol class="audit-log" data-testid={testid::AUDIT_LOG}>
                { for list.iter().map(|entry| html! {
                    <li key={entry.id} data-testid={testid::AUDIT_ENTRY}>
                        <span class="meta">{ when(entry.ts) }</span>
                        { " " }
                        <bdi class="author">{ entry.actor.as_str() }</bdi>
                        { format!(" {}", describe(entry)) }
                    </li>
                }) }
            </ol>
        },
    }
}

/// What an audit line says after its actor: "muted bob (1 hour)".
pub fn describe(entry: &AuditEntry) -> String {
    let subject = entry
        .subject
        .as_ref()
        .map_or_else(|| "someone".to_owned(), ToString::to_string);
    let mut line = match entry.action {
        AuditAction::Delete => match entry.target {
            Some(id) => format!("deleted {subject}'s message #{id}"),
            None => format!("deleted a message of {subject}"),
        },
        AuditAction::Mute => format!("muted {subject}"),
        AuditAction::Unmute => format!("lifted {subject}'s mute"),
        AuditAction::Ban => format!("banned {subject}"),
        AuditAction::Unban => format!("lifted {subject}'s ban"),
        AuditAction::Kick => format!("kicked {subject}"),
        AuditAction::SlowMode => "set slow mode".to_owned(),
        AuditAction::AddModerator => format!("made {subject} a moderator"),
        AuditAction::RemoveModerator => format!("removed {subject} as a moderator"),
        AuditAction::SetOwner => format!("made {subject} the owner"),
        AuditAction::Disable => format!("disabled {subject}'s account"),
        AuditAction::Enable => format!("enabled {subject}'s account"),
        AuditAction::SignOut => format!("signed {subject} out everywhere"),
        AuditAction::GrantAdmin => format!("made {subject} a site admin"),
        AuditAction::RevokeAdmin => format!("took site admin from {subject}"),
        AuditAction::CreateKey => "created an API key".to_owned(),
        AuditAction::RevokeKey => "revoked an API key".to_owned(),
    };
    if !entry.detail.is_empty() {
        line.push_str(&format!(" ({})", entry.detail));
    }
    line
}

/// A date and time in the reader's locale.
fn when(ms: u64) -> String {
    // f64 holds every millisecond timestamp until the year 287,396 exactly.
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
        .into()
}

#[derive(Properties, PartialEq)]
struct SlowModeFormProps {
    /// The interval now, in seconds.
    secs: u32,
    /// Set it.
    on_submit: Callback<Attempt<u32>>,
}

/// Where the slow mode form stands.
#[derive(Clone, PartialEq)]
enum Saving {
    Idle,
    Busy,
    Saved,
    Failed(String),
}

/// Slow mode's seconds between one person's messages (0: off), saved on submit.
#[component]
fn SlowModeForm(props: &SlowModeFormProps) -> Html {
    let draft = use_state(|| props.secs.to_string());
    let saving = use_state(|| Saving::Idle);
    {
        let draft = draft.clone();
        use_effect_with(props.secs, move |secs| draft.set(secs.to_string()));
    }
    let parsed = draft
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|secs| *secs <= MAX_SLOW_MODE_SECS);
    let oninput = {
        let (draft, saving) = (draft.clone(), saving.clone());
        Callback::from(move |event: InputEvent| {
            draft.set(event.target_unchecked_into::<HtmlInputElement>().value());
            saving.set(Saving::Idle);
        })
    };
    let onsubmit = {
        let (saving, on_submit) = (saving.clone(), props.on_submit.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(secs) = parsed else {
                return;
            };
            saving.set(Saving::Busy);
            let saving = saving.clone();
            on_submit.emit(Attempt {
                input: secs,
                settle: Callback::from(move |outcome: Result<(), String>| {
                    saving.set(match outcome {
                        Ok(()) => Saving::Saved,
                        Err(reason) => Saving::Failed(reason),
                    })
                }),
            });
        })
    };
    let status = match &*saving {
        Saving::Idle | Saving::Busy => String::new(),
        Saving::Saved => "Saved.".to_owned(),
        Saving::Failed(reason) => reason.clone(),
    };
    html! {
        <form class="prompt" {onsubmit}>
            <label for="slow-mode-secs">{ "Slow mode" }</label>
            <div class="prompt-row">
                <input id="slow-mode-secs" type="number" min="0" max={MAX_SLOW_MODE_SECS.to_string()}
                    inputmode="numeric" value={(*draft).clone()} {oninput}
                    aria-describedby="slow-mode-hint slow-mode-status"
                    aria-invalid={parsed.is_none().then_some("true")}
                    data-testid={testid::SLOW_MODE_INPUT} />
                <button type="submit" disabled={parsed.is_none() || *saving == Saving::Busy}>{ "Save" }</button>
            </div>
            <p id="slow-mode-hint" class="hint">
                { format!("Seconds between one person's messages, 0 to {MAX_SLOW_MODE_SECS}; 0 turns it off. Moderators are exempt.") }
            </p>
            <p id="slow-mode-status" role="status"
                class={classes!(if matches!(*saving, Saving::Failed(_)) { "error" } else { "success" })}>
                { status }
            </p>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn audit_lines_name_what_was_done_to_whom() {
        let name = |raw| Username::parse(raw).unwrap();
        let entry = AuditEntry {
            id: 1,
            ts: 0,
            actor: name("mod"),
            action: AuditAction::Delete,
            subject: Some(name("bob")),
            target: Some(7),
            detail: String::new(),
            key: None,
        };
        assert_eq!(describe(&entry), "deleted bob's message #7");
        let muted = AuditEntry {
            action: AuditAction::Mute,
            detail: "3600 s".into(),
            key: None,
            ..entry
        };
        assert_eq!(describe(&muted), "muted bob (3600 s)");
        let disabled = AuditEntry {
            action: AuditAction::Disable,
            detail: String::new(),
            ..muted.clone()
        };
        assert_eq!(describe(&disabled), "disabled bob's account");
        let key = AuditEntry {
            action: AuditAction::CreateKey,
            subject: None,
            detail: "deploy bot".into(),
            ..muted
        };
        assert_eq!(describe(&key), "created an API key (deploy bot)");
    }
}
