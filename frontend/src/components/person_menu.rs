//! A moderator's menu beside a person (in the presence and members panels): mute, kick or
//! ban them, each confirmed ([`ActionMenu`]). [`sanction_choices`] is the same list the
//! message menu offers about a message's author.

use super::action_menu::{ActionMenu, Choice};
use crate::{
    chat::acts::{ModAct, Sanction},
    testid,
};
use chinwag_shared::Username;
use yew::prelude::*;

/// Props of [`PersonMenu`].
#[derive(Properties, PartialEq)]
pub struct PersonMenuProps {
    /// Whom.
    pub who: Username,
    /// Carry out a sanction.
    pub on_sanction: Callback<ModAct>,
}

/// The moderator's menu for one person.
#[component]
pub fn PersonMenu(props: &PersonMenuProps) -> Html {
    html! {
        <ActionMenu label={format!("Moderate {}", props.who)}
            choices={sanction_choices(&props.who, &props.on_sanction)}
            testid={testid::PERSON_MENU} />
    }
}

/// Mute (for how long?), kick (sure?) and ban (for how long?) `who`.
pub fn sanction_choices(who: &Username, on_sanction: &Callback<ModAct>) -> Vec<Choice> {
    let act = |make: fn(Option<u64>) -> Sanction| {
        let (who, on_sanction) = (who.clone(), on_sanction.clone());
        Callback::from(move |seconds| {
            on_sanction.emit(ModAct {
                who: who.clone(),
                sanction: make(seconds),
            })
        })
    };
    vec![
        Choice::Timed {
            label: format!("Mute {who}").into(),
            question: format!("Mute {who} for how long?").into(),
            run: act(|seconds| Sanction::Mute { seconds }),
        },
        Choice::Confirm {
            label: format!("Kick {who}").into(),
            question: Sanction::Kick.question(who).into(),
            confirm: "Kick".into(),
            run: act(|_| Sanction::Kick).reform(|()| None),
        },
        Choice::Timed {
            label: format!("Ban {who}").into(),
            question: format!("Ban {who} for how long?").into(),
            run: act(|seconds| Sanction::Ban { seconds }),
        },
    ]
}
