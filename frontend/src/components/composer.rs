//! The message input: Enter sends, Shift+Enter adds a line, a counter shows the length limit.
//!
//! It works offline too: what is sent then waits in the outbox (see `chat::state`). What
//! holds the room back ([`Hold`]) disables it and says why under it: a ban or kick, a mute
//! (until when), or slow mode's wait, counted down each second by a timer this component
//! owns (dropped with the effect that started it); when the wait ends it sends again. A
//! room in slow mode says so in the same line while nothing holds it.

use crate::{chat::state::Hold, testid};
use chinwag_shared::{MAX_MESSAGE_CHARS, RoomName};
use gloo::timers::callback::Interval;
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
    /// What holds the room back, as of the last render.
    #[prop_or_default]
    pub hold: Option<Hold>,
    /// The room's slow mode interval in seconds (0: off).
    #[prop_or_default]
    pub slow_mode_secs: u32,
    /// Whether this person moderates the room (exempt from slow mode).
    #[prop_or_default]
    pub moderator: bool,
}

/// The message input.
#[component]
pub fn Composer(props: &ComposerProps) -> Html {
    let draft = use_state(String::new);
    let now = use_clock(props.hold.as_ref().and_then(ends_at));
    let hold = props
        .hold
        .clone()
        .filter(|hold| ends_at(hold).is_none_or(|end| end > now));
    let closed = matches!(hold, Some(Hold::Banned | Hold::Kicked | Hold::Muted { .. }));
    let length = draft.chars().count();
    let sendable = hold.is_none() && !draft.trim().is_empty() && length <= MAX_MESSAGE_CHARS;
    let submit = {
        let (draft, on_send) = (draft.clone(), props.on_send.clone());
        move || {
            if sendable {
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
    let hint = hint(hold.as_ref(), now, props.slow_mode_secs, props.moderator);
    html! {
        <form class={classes!("composer", hold.is_some().then_some("held"))} {onsubmit}>
            if let Some(hint) = hint {
                <p id="composer-hint" class="composer-hint" data-testid={testid::COMPOSER_HINT}>{ hint }</p>
            }
            <div class="composer-row">
                <textarea data-testid={testid::COMPOSER} value={(*draft).clone()} {oninput} {onkeydown}
                    rows="1" placeholder={placeholder.clone()} aria-label={placeholder}
                    disabled={closed}
                    aria-invalid={over.then_some("true")}
                    aria-describedby="composer-count composer-hint" />
                <span id="composer-count" class={classes!("count", over.then_some("over"))}
                    aria-live="polite">
                    { format!("{length} / {MAX_MESSAGE_CHARS}") }
                </span>
                <button type="submit" data-testid={testid::SEND} disabled={!sendable}>{ "Send" }</button>
            </div>
        </form>
    }
}

/// When `hold` ends by itself (ms since the epoch), if it does.
fn ends_at(hold: &Hold) -> Option<f64> {
    match hold {
        Hold::SlowMode { until } => Some(*until),
        Hold::Muted { until: Some(until) } => Some(*until as f64),
        Hold::Banned | Hold::Kicked | Hold::Muted { until: None } => None,
    }
}

/// The line under the composer: why it is held, or that the room is in slow mode.
fn hint(hold: Option<&Hold>, now: f64, slow_mode_secs: u32, moderator: bool) -> Option<String> {
    Some(match hold {
        Some(Hold::Banned) => "You are banned from this room.".to_owned(),
        Some(Hold::Kicked) => "You were removed from this room. Rejoin to write here.".to_owned(),
        Some(Hold::Muted { until: None }) => {
            "You are muted here until a moderator lifts it.".to_owned()
        }
        Some(Hold::Muted { until: Some(until) }) => {
            format!("You are muted here until {}.", clock_time(*until as f64))
        }
        Some(Hold::SlowMode { until }) => format!(
            "Slow mode: you can send again in {} s.",
            seconds_left(*until, now)
        ),
        None if slow_mode_secs == 0 => return None,
        None if moderator => {
            format!("Slow mode is on ({slow_mode_secs} s between messages); moderators are exempt.")
        }
        None => format!("Slow mode: one message every {slow_mode_secs} s."),
    })
}

/// Whole seconds from `now` until `until`, rounded up (0 once past).
fn seconds_left(until: f64, now: f64) -> u32 {
    // Saturating float → int conversion; whole seconds keep float formatting out.
    ((until - now) / 1_000.0).ceil().max(0.0) as u32
}

/// "14:05" in the reader's locale and timezone.
fn clock_time(ms: f64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    date.to_locale_time_string("default").into()
}

/// The time now (ms since the epoch), ticking each second while something ends at `end`:
/// the interval belongs to the effect and is dropped when `end` changes or the composer goes.
#[hook]
fn use_clock(end: Option<f64>) -> f64 {
    let now = use_state(js_sys::Date::now);
    {
        let now = now.setter();
        use_effect_with(end.map(f64::to_bits), move |end| {
            now.set(js_sys::Date::now());
            let tick = end.map(|_| Interval::new(1_000, move || now.set(js_sys::Date::now())));
            move || drop(tick)
        });
    }
    *now
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_hint_says_why_the_composer_waits_and_counts_slow_mode_down() {
        let slow = Hold::SlowMode { until: 12_000.0 };
        assert_eq!(
            hint(Some(&slow), 1_500.0, 30, false).as_deref(),
            Some("Slow mode: you can send again in 11 s.")
        );
        assert_eq!(
            hint(Some(&Hold::Banned), 0.0, 0, false).as_deref(),
            Some("You are banned from this room.")
        );
        assert_eq!(
            hint(None, 0.0, 30, false).as_deref(),
            Some("Slow mode: one message every 30 s.")
        );
        assert!(hint(None, 0.0, 30, true).unwrap().contains("exempt"));
        assert_eq!(hint(None, 0.0, 0, false), None, "nothing to say");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn only_timed_holds_end_by_themselves() {
        assert_eq!(ends_at(&Hold::SlowMode { until: 5.0 }), Some(5.0));
        assert_eq!(ends_at(&Hold::Muted { until: Some(7) }), Some(7.0));
        assert_eq!(ends_at(&Hold::Muted { until: None }), None);
        assert_eq!(ends_at(&Hold::Kicked), None);
        assert_eq!(seconds_left(1_000.0, 5_000.0), 0, "never below zero");
    }
}
