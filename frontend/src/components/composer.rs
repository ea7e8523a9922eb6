//! The message input: Enter sends, Shift+Enter adds a line, a counter shows the length limit.
//!
//! It works offline too: what is sent then waits in the outbox (see `chat::state`).

use crate::testid;
use chinwag_shared::{MAX_MESSAGE_CHARS, RoomName};
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// Props of [`Composer`].
#[derive(Properties, PartialEq)]
pub struct ComposerProps {
    /// The room messages go to.
    pub room: RoomName,
    /// How the room is named in the placeholder ("#general", "@bob"); `#room` if not given.
    #[prop_or_default]
    pub label: Option<AttrValue>,
    /// Send a message.
    pub on_send: Callback<String>,
    /// The person typed something.
    pub on_typing: Callback<()>,
}

/// The message input.
#[component]
pub fn Composer(props: &ComposerProps) -> Html {
    let draft = use_state(String::new);
    let length = draft.chars().count();
    let sendable = !draft.trim().is_empty() && length <= MAX_MESSAGE_CHARS;
    let submit = {
        let (draft, on_send) = (draft.clone(), props.on_send.clone());
        move || {
            if !draft.trim().is_empty() && draft.chars().count() <= MAX_MESSAGE_CHARS {
                on_send.emit((*draft).clone());
                draft.set(String::new());
            }
        }
    };
    let oninput = {
        let (draft, on_typing) = (draft.clone(), props.on_typing.clone());
        Callback::from(move |event: InputEvent| {
            draft.set(event.target_unchecked_into::<HtmlTextAreaElement>().value());
            on_typing.emit(());
        })
    };
    let onkeydown = {
        let submit = submit.clone();
        Callback::from(move |event: KeyboardEvent| {
            // Enter while an input method is composing belongs to the IME, not to us.
            if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
                event.prevent_default();
                submit();
            }
        })
    };
    let onsubmit = Callback::from(move |event: SubmitEvent| {
        event.prevent_default();
        submit();
    });
    let over = length > MAX_MESSAGE_CHARS;
    let placeholder = match &props.label {
        Some(label) => format!("Message {label}"),
        None => format!("Message #{}", props.room),
    };
    html! {
        <form class="composer" {onsubmit}>
            <textarea data-testid={testid::COMPOSER} value={(*draft).clone()} {oninput} {onkeydown}
                rows="1" placeholder={placeholder.clone()} aria-label={placeholder}
                aria-invalid={over.then_some("true")} aria-describedby="composer-count" />
            <span id="composer-count" class={classes!("count", over.then_some("over"))}
                aria-live="polite">
                { format!("{length} / {MAX_MESSAGE_CHARS}") }
            </span>
            <button type="submit" data-testid={testid::SEND} disabled={!sendable}>{ "Send" }</button>
        </form>
    }
}
