//! The members panel of the private room on screen: [`use_members`] joined to the
//! [`MembersPanel`] view. A moderator's sanction on a member is carried out here
//! ([`acts::carry_out`]), and what came of it goes to the chat's info line or banner.

use super::wire::PanelEvent;
use crate::{
    account::use_members,
    chat::acts::{self, ModAct},
    components::members_panel::MembersPanel,
};
use chinwag_shared::{RoomName, Username};
use yew::prelude::*;

/// Props of [`MembersSection`].
#[derive(Properties, PartialEq)]
pub struct MembersSectionProps {
    /// The private room.
    pub room: RoomName,
    /// This person.
    pub me: Username,
    /// Whether this person moderates the room (sanctions on members).
    pub moderator: bool,
    /// Where the panel's news go: closed, a sanction done or refused.
    pub on_event: Callback<PanelEvent>,
}

/// The members panel with its data.
#[component]
pub fn MembersSection(props: &MembersSectionProps) -> Html {
    let members = use_members(props.room.clone());
    let on_sanction = props.moderator.then(|| {
        let (room, on_event) = (props.room.clone(), props.on_event.clone());
        Callback::from(move |act: ModAct| {
            let (room, on_event) = (room.clone(), on_event.clone());
            wasm_bindgen_futures::spawn_local(async move {
                on_event.emit(match acts::carry_out(&room, &act).await {
                    Ok(done) => PanelEvent::Done(done),
                    Err(refused) => PanelEvent::Failed(refused),
                });
            });
        })
    });
    html! {
        <MembersPanel room={props.room.clone()} members={members.state.list.clone()}
            owner={members.state.is_owner(&props.me)} error={members.state.error.clone()}
            on_add={members.add.clone()} on_remove={members.remove.clone()}
            on_close={props.on_event.reform(|()| PanelEvent::Close)} me={props.me.clone()}
            {on_sanction} />
    }
}
