//! One message: sender, text, local time, and whether it is stored, pending, waiting to be
//! re-sent by itself, or refused.
//!
//! The text is a text node, never parsed as HTML, so `<script>` in a message shows literally.
//! The author is a `<bdi>` and the text a `dir="auto"` paragraph: each takes its direction
//! from its own first strong letter, so an Arabic name cannot pull the time beside it into
//! right-to-left order, and no bidi control in either reaches past its own element.

use super::guest_badge::GuestBadge;
use crate::testid;
use chinwag_shared::Username;
use gloo::timers::callback::Interval;
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
}

/// One message in the list.
#[component]
pub fn Message(props: &MessageProps) -> Html {
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
    html! {
        <li class={classes!("message", state, retrying.then_some("retrying"), props.mine.then_some("mine"))}
            data-testid={testid::MESSAGE} data-state={state} data-id={id}>
            <div class="message-head">
                <bdi class="author" data-testid={testid::MESSAGE_AUTHOR}>{ props.author.as_str() }</bdi>
                if props.guest {
                    <GuestBadge />
                }
                { meta }
            </div>
            <p class="text" dir="auto" data-testid={testid::MESSAGE_TEXT}>{ props.text.clone() }</p>
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
