//! The members panel of the private room on screen: [`use_members`] joined to the
//! [`MembersPanel`] view.

use crate::{account::use_members, chat::acts::ModAct, components::members_panel::MembersPanel};
use chinwag_shared::{RoomName, Username};
use yew::prelude::*;

/// Props of [`MembersSection`].
#[derive(Properties, PartialEq)]
pub struct MembersSectionProps {
    /// The private room.
    pub room: RoomName,
    /// This person.
    pub me: Username,
    /// Close the panel.
    pub on_close: Callback<()>,
    /// For a moderator of the room: carry out a sanction on a member.
    #[prop_or_default]
    pub on_sanction: Option<Callback<ModAct>>,
}

/// The members panel with its data.
#[component]
pub fn MembersSection(props: &MembersSectionProps) -> Html {
    let members = use_members(props.room.clone());
    html! {
        <MembersPanel room={props.room.clone()} members={members.state.list.clone()}
            owner={members.state.is_owner(&props.me)} error={members.state.error.clone()}
            on_add={members.add.clone()} on_remove={members.remove.clone()}
            on_close={props.on_close.clone()} me={props.me.clone()}
            on_sanction={props.on_sanction.clone()} />
    }
}
