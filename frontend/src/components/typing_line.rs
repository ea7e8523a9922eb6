//! "alice is typing…" under the message list.

use crate::testid;
use chinwag_shared::Username;
use yew::prelude::*;

/// Props of [`TypingLine`].
#[derive(Properties, PartialEq)]
pub struct TypingLineProps {
    /// Who is typing in the current room.
    pub names: Vec<Username>,
}

/// One line naming who is typing; empty (but keeping its height) when nobody is.
#[component]
pub fn TypingLine(props: &TypingLineProps) -> Html {
    let text = match props.names.as_slice() {
        [] => String::new(),
        [one] => format!("{one} is typing…"),
        [one, two] => format!("{one} and {two} are typing…"),
        _ => "Several people are typing…".to_owned(),
    };
    html! { <p class="typing" data-testid={testid::TYPING}>{ text }</p> }
}
