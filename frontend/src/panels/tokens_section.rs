//! The account menu's tokens view: [`use_tokens`] joined to the [`TokensPanel`] view. Mounted
//! only while that view shows, so the list loads each time it opens and a fresh secret is
//! forgotten when it closes. Its first field takes focus when it shows, as the menu gives
//! each view it opens.

use crate::{
    account::use_tokens,
    components::{account_menu::focus_first_control, tokens_panel::TokensPanel},
};
use yew::prelude::*;

/// The tokens panel with its data.
#[component]
pub fn TokensSection() -> Html {
    let tokens = use_tokens();
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with((), move |()| focus_first_control(&node));
    }
    html! {
        <div class="panel-point" ref={node}>
        <TokensPanel list={tokens.state.list.clone()} fresh={tokens.state.fresh.clone()}
            error={tokens.state.error.clone()} creating={tokens.state.creating}
            on_create={tokens.create.clone()} on_revoke={tokens.revoke.clone()}
            on_copy={tokens.copy.clone()} on_dismiss={tokens.dismiss.clone()} />
        </div>
    }
}
