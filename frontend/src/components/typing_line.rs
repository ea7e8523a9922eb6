//! "alice is typing…" under the message list.
//!
//! Names are `<bdi>` elements rather than part of one string: inside a single text run, a
//! right-to-left name would carry " is typing…" into its own direction.

use crate::testid;
use chinwag_shared::Username;
use yew::prelude::*;

/// One line naming who is typing in the current room (`names`); empty (but keeping its
/// height) when nobody is.
pub fn typing_line(names: &[Username]) -> Html {
    let name = |name: &Username| html! { <bdi>{ name.as_str() }</bdi> };
    let line = match names {
        [] => html! {},
        [one] => html! { <>{ name(one) }{ " is typing…" }</> },
        [one, two] => html! { <>{ name(one) }{ " and " }{ name(two) }{ " are typing…" }</> },
        _ => html! { "Several people are typing…" },
    };
    html! { <p class="typing" data-testid={testid::TYPING}>{ line }</p> }
}
