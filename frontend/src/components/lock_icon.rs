//! The padlock beside a private room's name. The drawing is hidden from screen readers,
//! which read "private" instead.

use yew::prelude::*;

/// A padlock, read as "private".
pub fn lock_icon() -> Html {
    html! {
        <span class="lock" title="Private: members only">
            <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false">
                <path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" stroke-width="1.8" />
                <rect x="3" y="7" width="10" height="8" rx="1.5" fill="currentColor" />
            </svg>
            <span class="sr-only">{ "private" }</span>
        </span>
    }
}
