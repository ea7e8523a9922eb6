//! The account menu's tokens view: [`use_tokens`] joined to the [`TokensPanel`] view. Mounted
//! only while that view shows, so the list loads each time it opens and a fresh secret is
//! forgotten when it closes.

use crate::{account::use_tokens, components::tokens_panel::TokensPanel};
use yew::prelude::*;

/// The tokens panel with its data.
#[component]
pub fn TokensSection() -> Html {
    let tokens = use_tokens();
    html! {
        <TokensPanel list={tokens.state.list.clone()} fresh={tokens.state.fresh.clone()}
            error={tokens.state.error.clone()} creating={tokens.state.creating}
            on_create={tokens.create.clone()} on_revoke={tokens.revoke.clone()}
            on_copy={tokens.copy.clone()} on_dismiss={tokens.dismiss.clone()} />
    }
}
