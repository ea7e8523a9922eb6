//! One message: sender, text, local time, and whether it is stored, pending, waiting to be
//! re-sent by itself, or refused; "(edited)" once edited, and a tombstone ("message
//! deleted", "by NAME" for a moderator) once deleted. A stored message has an actions menu
//! ([`ActionMenu`]) with what this person may do to it: edit their own (inline: Enter
//! saves, Shift+Enter adds a line, Escape cancels), delete it, and as a moderator delete
//! anyone's and mute, kick or ban its author. Mentions of the reader are marked. A message a
//! backend posted through the server API is marked "bot" (or "system", the system's own).
//!
//! The text is a text node, never parsed as HTML, so `<script>` in a message shows literally.
//! The author is a `<bdi>` and the text a `dir="auto"` paragraph: each takes its direction
//! from its own first strong letter, so an Arabic name cannot pull the time beside it into
//! right-to-left order, and no bidi control in either reaches past its own element.

use super::{
    action_menu::{ActionMenu, Choice},
    guest_badge::guest_badge,
    mention_text::mention_text,
    person_menu::sanction_choices,
};
use crate::{chat::acts::ModAct, testid};
use chinwag_shared::{MAX_MESSAGE_CHARS, Username, mentions};
use gloo::timers::callback::Interval;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// Where a message stands. The last three are a pending send's
/// [`SendState`](crate::chat::state::SendState)s (`Sending` shows as `Pending`), each with
/// the callbacks its buttons need.
#[derive(Clone, PartialEq)]
pub enum Delivery {
    /// Stored by the server under this id at this time (Unix ms).
    Confirmed {
        /// The record's id.
        id: u64,
        /// Server time in Unix ms.
        ts: u64,
    },
    /// Sent or queued, not yet confirmed.
    Pending,
    /// Refused for now (the server was unavailable or the sender over its rate limit); it goes
    /// again by itself at `at`.
    Retrying {
        /// When it goes again (ms since the epoch).
        at: f64,
        /// Forget it instead.
        discard: Callback<()>,
    },
    /// Refused by the server, with its reason.
    Failed {
        /// The server's explanation.
        reason: String,
        /// Send it again.
        retry: Callback<()>,
        /// Forget it.
        discard: Callback<()>,
    },
}

/// Props of [`Message`].
#[derive(Properties, PartialEq)]
pub struct MessageProps {
    /// Who wrote it.
    pub author: Username,
    /// What they wrote.
    pub text: AttrValue,
    /// Where it stands.
    pub delivery: Delivery,
    /// Whether this person wrote it.
    pub mine: bool,
    /// Whether its author was a guest (not signed in) when they wrote it.
    #[prop_or_default]
    pub guest: bool,
    /// Set when a backend posted it through the server API: "bot", or "system" for the
    /// system's own messages.
    #[prop_or_default]
    pub bot: Option<&'static str>,
    /// The reader, whose mentions are marked.
    #[prop_or_default]
    pub reader: Option<Username>,
    /// Whether its author edited it.
    #[prop_or_default]
    pub edited: bool,
    /// Set once it is deleted: by whom, if a moderator did it.
    #[prop_or_default]
    pub deleted: Option<Option<Username>>,
    /// What this person may do to it.
    #[prop_or_default]
    pub actions: MessageActions,
}

/// What the reader may do to a stored message, and the callbacks that do it (shared by
/// every message of the list, so a message's props change only when the message does).
#[derive(Clone, PartialEq, Default)]
pub struct MessageActions {
    /// Whether it may replace the text (the author's own, signed in).
    pub edit: bool,
    /// Whether it may delete it (the author signed in, or a moderator).
    pub delete: bool,
    /// Whether it may mute, kick or ban the author (a moderator, of someone else's).
    pub sanction: bool,
    /// Replace message `id`'s text.
    pub on_edit: Callback<(u64, String)>,
    /// Delete message `id`.
    pub on_delete: Callback<u64>,
    /// Sanction someone.
    pub on_sanction: Callback<ModAct>,
}

/// One message in the list.
#[component]
pub fn Message(props: &MessageProps) -> Html {
    let editing = use_state(|| None::<String>);
    let (state, id, meta) = match &props.delivery {
        Delivery::Confirmed { id, ts } => ("confirmed", Some(id.to_string()), time_of(*ts)),
        Delivery::Pending => (
            "pending",
            None,
            html! { <span class="meta">{ "sending…" }</span> },
        ),
        // Still pending to the end-to-end tests: nothing is asked of the person.
        Delivery::Retrying { .. } => (
            "pending",
            None,
            html! { <span class="meta">{ "not sent yet" }</span> },
        ),
        Delivery::Failed { .. } => (
            "failed",
            None,
            html! { <span class="meta">{ "not sent" }</span> },
        ),
    };
    let retrying = matches!(props.delivery, Delivery::Retrying { .. });
    let mentions_me = props.deleted.is_none()
        && props
            .reader
            .as_ref()
            .is_some_and(|me| !props.mine && mentions(&props.text, me));
    let menu = match (&props.delivery, &props.deleted, &*editing) {
        (Delivery::Confirmed { id, .. }, None, None) => menu(*id, props, &editing),
        _ => html! {},
    };
    let body = if let Some(by) = &props.deleted {
        html! {
            <p class="text tombstone" data-testid={testid::MESSAGE_TEXT}>
                <em>{ "message deleted" }</em>
                if let Some(by) = by {
                    { " by " }<bdi>{ by.as_str() }</bdi>
                }
            </p>
        }
    } else if let (Some(draft), Delivery::Confirmed { id, .. }) = (&*editing, &props.delivery) {
        let id = *id;
        let save = props.actions.on_edit.reform(move |text| (id, text));
        html! { <EditBox draft={AttrValue::from(draft.clone())} editing={editing.clone()} {save} /> }
    } else {
        html! {
            <p class="text" dir="auto" data-testid={testid::MESSAGE_TEXT}>
                if let Some(reader) = &props.reader {
                    { mention_text(&props.text, reader) }
                } else {
                    { props.text.clone() }
                }
            </p>
        }
    };
    html! {
        <li class={classes!("message", state, retrying.then_some("retrying"), props.mine.then_some("mine"),
                mentions_me.then_some("mentions-me"), props.deleted.is_some().then_some("deleted"))}
            data-testid={testid::MESSAGE} data-state={state} data-id={id}
            data-deleted={props.deleted.is_some().then_some("true")}
            data-edited={props.edited.then_some("true")}>
            <div class="message-head">
                <bdi class="author" data-testid={testid::MESSAGE_AUTHOR}>{ props.author.as_str() }</bdi>
                if props.guest {
                    { guest_badge() }
                }
                if let Some(kind) = props.bot {
                    <span class="guest-badge bot-badge" data-testid={testid::BOT_BADGE}
                        title="Posted by a program through the server API, not by a person">
                        { kind }
                    </span>
                }
                { meta }
                if props.edited && props.deleted.is_none() {
                    <span class="meta edited" data-testid={testid::MESSAGE_EDITED}>{ "(edited)" }</span>
                }
                { menu }
            </div>
            { body }
            if let Delivery::Failed { reason, retry, discard } = &props.delivery {
                <p class="failure" role="alert">
                    { reason.clone() }
                    <button class="link" onclick={retry.reform(|_: MouseEvent| ())}>{ "Retry" }</button>
                    <button class="link" onclick={discard.reform(|_: MouseEvent| ())}>{ "Discard" }</button>
                </p>
            }
            if let Delivery::Retrying { at, discard } = &props.delivery {
                <p class="retry-wait">
                    <RetryCountdown at={*at} />
                    <button class="link" onclick={discard.reform(|_: MouseEvent| ())}>{ "Discard" }</button>
                </p>
            }
        </li>
    }
}

/// The actions menu of stored message `id`, with what `props.actions` offers.
fn menu(id: u64, props: &MessageProps, editing: &UseStateHandle<Option<String>>) -> Html {
    let actions = &props.actions;
    let author = &props.author;
    let mut choices = Vec::new();
    if actions.edit {
        let (editing, text) = (editing.clone(), props.text.to_string());
        choices.push(Choice::Now {
            label: "Edit".into(),
            run: Callback::from(move |()| editing.set(Some(text.clone()))),
        });
    }
    if actions.delete {
        let question = if props.mine {
            "Delete your message? This cannot be undone.".to_owned()
        } else {
            format!("Delete {author}'s message? This cannot be undone.")
        };
        choices.push(Choice::Confirm {
            label: "Delete".into(),
            question: question.into(),
            confirm: "Delete".into(),
            run: actions.on_delete.reform(move |()| id),
        });
    }
    if actions.sanction {
        choices.extend(sanction_choices(author, &actions.on_sanction));
    }
    if choices.is_empty() {
        return html! {};
    }
    html! {
        <ActionMenu label={format!("Actions for {author}'s message")} {choices}
            testid={testid::MESSAGE_MENU} />
    }
}

#[derive(Properties, PartialEq)]
struct EditBoxProps {
    /// The text when editing began.
    draft: AttrValue,
    /// The message's editing state: `None` ends editing.
    editing: UseStateHandle<Option<String>>,
    /// Save the new text.
    save: Callback<String>,
}

/// The inline editor: Enter saves a changed text, Shift+Enter adds a line, Escape cancels.
#[component]
fn EditBox(props: &EditBoxProps) -> Html {
    let field = use_node_ref();
    let text = use_state(|| props.draft.to_string());
    {
        let field = field.clone();
        use_effect_with((), move |()| {
            if let Some(field) = field.cast::<HtmlTextAreaElement>() {
                let _ = field.focus();
                let end = field.value().encode_utf16().count() as u32;
                let _ = field.set_selection_range(end, end);
            }
        });
    }
    let length = text.chars().count();
    let savable = !text.trim().is_empty() && length <= MAX_MESSAGE_CHARS;
    let save = {
        let (text, editing, save, draft) = (
            text.clone(),
            props.editing.clone(),
            props.save.clone(),
            props.draft.clone(),
        );
        move || {
            if text.trim().is_empty() || text.chars().count() > MAX_MESSAGE_CHARS {
                return;
            }
            if *text != *draft {
                save.emit((*text).clone());
            }
            editing.set(None);
        }
    };
    let cancel = {
        let editing = props.editing.clone();
        move || editing.set(None)
    };
    let onkeydown = {
        let (save, cancel) = (save.clone(), cancel.clone());
        Callback::from(move |event: KeyboardEvent| match event.key().as_str() {
            "Enter" if !event.shift_key() && !event.is_composing() => {
                event.prevent_default();
                save();
            }
            "Escape" => {
                event.prevent_default();
                cancel();
            }
            _ => {}
        })
    };
    let oninput = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| {
            text.set(event.target_unchecked_into::<HtmlTextAreaElement>().value());
        })
    };
    html! {
        <div class="edit-box">
            <textarea ref={field} value={(*text).clone()} {oninput} {onkeydown} rows="2"
                aria-label="Edit your message" aria-describedby="edit-hint"
                aria-invalid={(length > MAX_MESSAGE_CHARS).then_some("true")}
                data-testid={testid::EDIT_INPUT} />
            <div class="edit-actions">
                <span id="edit-hint" class="hint">{ "Enter to save · Escape to cancel" }</span>
                <button type="button" class="secondary" onclick={Callback::from(move |_: MouseEvent| cancel())}>{ "Cancel" }</button>
                <button type="submit" disabled={!savable} data-testid={testid::EDIT_SAVE}
                    onclick={Callback::from(move |_: MouseEvent| save())}>{ "Save" }</button>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct RetryCountdownProps {
    /// When the message goes again (ms since the epoch).
    at: f64,
}

/// "Retrying in 3 s", counting down each second, then "Retrying…". Not a live region: a
/// screen reader would read out every second.
#[component]
fn RetryCountdown(props: &RetryCountdownProps) -> Html {
    let now = use_state(js_sys::Date::now);
    {
        let now = now.setter();
        use_effect_with(props.at, move |_| {
            now.set(js_sys::Date::now());
            let tick = Interval::new(1_000, move || now.set(js_sys::Date::now()));
            move || drop(tick)
        });
    }
    // Saturating float → int conversion (a past time is 0); whole seconds also keep float
    // formatting out of the binary.
    let seconds = ((props.at - *now) / 1_000.0).ceil() as u32;
    let text = if seconds > 0 {
        format!("Retrying in {seconds} s")
    } else {
        "Retrying…".to_owned()
    };
    html! { <span>{ text }</span> }
}

/// `<time>` in the reader's locale and timezone.
fn time_of(ts: u64) -> Html {
    // f64 holds every millisecond timestamp until the year 287,396 exactly.
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts as f64));
    let shown: String = date.to_locale_time_string("default").into();
    let iso: String = date.to_iso_string().into();
    html! { <time class="meta" datetime={iso}>{ shown }</time> }
}
