//! The small "guest" mark beside the name of someone who is not signed in, in messages and
//! in the presence list. Its title says what it means; screen readers read the word.

use crate::testid;
use yew::prelude::*;

/// Marks the name before it as a guest's.
pub fn guest_badge() -> Html {
    html! {
        <span class="guest-badge" data-testid={testid::GUEST_BADGE}
            title="Not signed in: anyone could pick this name">
            { "guest" }
        </span>
    }
}
