//! The account menu's password view: the [`PasswordForm`], whose change goes to the server
//! from here (the session cookie rides along) and whose outcome the form shows. Its first
//! field takes focus when it shows, as the menu gives each view it opens.

use crate::{
    account::{api, attempt::Attempt, failure::Purpose},
    components::{account_menu::focus_first_control, password_form::PasswordForm},
};
use chinwag_shared::account::PasswordChange;
use yew::prelude::*;

/// The password form with its request.
#[component]
pub fn PasswordSection() -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with((), move |()| focus_first_control(&node));
    }
    let on_submit = Callback::from(|attempt: Attempt<PasswordChange>| {
        wasm_bindgen_futures::spawn_local(async move {
            match api::change_password(&attempt.input).await {
                Ok(()) => attempt.succeed(),
                Err(failure) => attempt.fail(failure.message(Purpose::ChangePassword)),
            }
        });
    });
    html! { <div class="panel-point" ref={node}><PasswordForm {on_submit} /></div> }
}
