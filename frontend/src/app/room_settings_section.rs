//! The room settings panel of the room on screen, for a moderator: [`use_room_admin`]'s
//! lists joined to the chat's settings and callbacks and the [`RoomSettingsPanel`] view.

use crate::{
    account::{attempt::Attempt, use_room_admin},
    components::room_settings_panel::RoomSettingsPanel,
};
use chinwag_shared::{Username, moderation::RoomSettings};
use yew::prelude::*;

/// Props of [`RoomSettingsSection`].
#[derive(Properties, PartialEq)]
pub struct RoomSettingsSectionProps {
    /// The room's settings, as the chat last read them.
    pub settings: RoomSettings,
    /// Set slow mode.
    pub on_slow_mode: Callback<Attempt<u32>>,
    /// Add a moderator.
    pub on_add_moderator: Callback<Attempt<String>>,
    /// Remove a moderator.
    pub on_remove_moderator: Callback<Username>,
    /// Close the panel.
    pub on_close: Callback<()>,
}

/// The room settings panel with its data.
#[component]
pub fn RoomSettingsSection(props: &RoomSettingsSectionProps) -> Html {
    let admin = use_room_admin(props.settings.room.clone(), props.settings.clone());
    let state = &admin.state;
    html! {
        <RoomSettingsPanel settings={props.settings.clone()} audit={state.audit.clone()}
            audit_has_older={state.audit_has_older} sanctions={state.sanctions.clone()}
            error={state.error.clone()} on_slow_mode={props.on_slow_mode.clone()}
            on_add_moderator={props.on_add_moderator.clone()}
            on_remove_moderator={props.on_remove_moderator.clone()}
            on_lift={admin.lift.clone()} on_older_audit={admin.older_audit.clone()}
            on_refresh={admin.refresh.clone()}
            on_close={props.on_close.clone()} />
    }
}
