//! The members of a private room: who they are (the owner marked), and for the owner a field
//! to add an account by name and a Remove button beside everyone else.
//!
//! A moderator of the room also gets a menu beside everyone else to mute, kick or ban them.
//! It opens as a panel from the top bar; Escape or "Close" shuts it, and focus moves into it
//! when it opens.

use super::{account_menu::focus_first_control, name_prompt::NamePrompt, person_menu::PersonMenu};
use crate::{account::attempt::Attempt, account::listing::Listing, chat::acts::ModAct, testid};
use chinwag_shared::{MAX_USERNAME_CHARS, RoomName, Username, account::Member};
use yew::prelude::*;

/// Props of [`MembersPanel`].
#[derive(Properties, PartialEq)]
pub struct MembersPanelProps {
    /// The private room.
    pub room: RoomName,
    /// Its members.
    pub members: Listing<Member>,
    /// Whether this person owns the room (adds and removes).
    pub owner: bool,
    /// Why the last removal failed.
    pub error: Option<String>,
    /// Add the account named in the attempt.
    pub on_add: Callback<Attempt<String>>,
    /// Remove this member.
    pub on_remove: Callback<Username>,
    /// Close the panel.
    pub on_close: Callback<()>,
    /// This person (no menu beside them).
    #[prop_or_default]
    pub me: Option<Username>,
    /// For a moderator: carry out a sanction on a member.
    #[prop_or_default]
    pub on_sanction: Option<Callback<ModAct>>,
}

/// The members panel.
#[component]
pub fn MembersPanel(props: &MembersPanelProps) -> Html {
    let panel_ref = use_node_ref();
    {
        let panel_ref = panel_ref.clone();
        use_effect_with(props.room.clone(), move |_| focus_first_control(&panel_ref));
    }
    let onkeydown = {
        let on_close = props.on_close.clone();
        Callback::from(move |event: KeyboardEvent| {
            // A menu inside handles its own Escape first and stops there.
            if event.key() == "Escape" && !event.default_prevented() {
                event.prevent_default();
                on_close.emit(());
            }
        })
    };
    let list = match &props.members {
        Listing::Loading => html! { <p class="hint" role="status">{ "Loading members…" }</p> },
        Listing::Failed(reason) => html! { <p class="error" role="alert">{ reason }</p> },
        Listing::Loaded(members) => html! {
            <ul class="member-list" data-testid={testid::MEMBERS}>
                { for members.iter().map(|member| member_row(member, props)) }
            </ul>
        },
    };
    html! {
        <section id="members-panel" class="popover members-panel" ref={panel_ref} {onkeydown}
            aria-label={format!("Members of #{}", props.room)}>
            <h2>{ format!("Members of #{}", props.room) }</h2>
            { list }
            if props.owner {
                <NamePrompt label="Add a member" submit="Add" placeholder="their name"
                    max_chars={MAX_USERNAME_CHARS} testid="add-member"
                    on_submit={props.on_add.clone()} />
            } else {
                <p class="hint">{ "Only the owner adds and removes members." }</p>
            }
            <p class="error" role="alert">{ props.error.clone().unwrap_or_default() }</p>
            <button type="button" class="link close" onclick={props.on_close.reform(|_: MouseEvent| ())}>
                { "Close" }
            </button>
        </section>
    }
}

fn member_row(member: &Member, props: &MembersPanelProps) -> Html {
    let remove = {
        let (who, on_remove) = (member.username.clone(), props.on_remove.clone());
        Callback::from(move |_: MouseEvent| on_remove.emit(who.clone()))
    };
    html! {
        <li key={member.username.as_str()} data-testid={testid::MEMBER}>
            <bdi>{ member.username.as_str() }</bdi>
            if member.owner {
                <span class="tag">{ "owner" }</span>
            }
            if let (Some(on_sanction), false) = (&props.on_sanction, props.me.as_ref() == Some(&member.username)) {
                <PersonMenu who={member.username.clone()} on_sanction={on_sanction.clone()} />
            }
            if props.owner && !member.owner {
                <button type="button" class="link" onclick={remove}
                    aria-label={format!("Remove {} from #{}", member.username, props.room)}>
                    { "Remove" }
                </button>
            }
        </li>
    }
}
