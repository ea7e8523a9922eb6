//! The room settings panel of the room on screen, for a moderator: [`use_room_admin`]'s
//! lists joined to the settings the chat hands over and the [`RoomSettingsPanel`] view.
//!
//! Slow mode and the moderators are changed here, over the HTTP API; the settings the
//! server answers with go back to the chat ([`PanelEvent::Settings`]), whose reducer keeps
//! them (the composer's slow mode, the moderators' menus), and come back in as props.

use super::wire::PanelEvent;
use crate::{
    account::{attempt::Attempt, failure::Purpose, moderation_api, use_room_admin},
    components::room_settings_panel::RoomSettingsPanel,
};
use chinwag_shared::{MAX_SLOW_MODE_SECS, RoomName, Username, moderation::RoomSettings};
use yew::prelude::*;

/// Props of [`RoomSettingsSection`].
#[derive(Properties, PartialEq)]
pub struct RoomSettingsSectionProps {
    /// The room's settings, as the chat last read them.
    pub settings: RoomSettings,
    /// Where the panel's news go: closed, new settings, a refusal.
    pub on_event: Callback<PanelEvent>,
}

/// The room settings panel with its data.
#[component]
pub fn RoomSettingsSection(props: &RoomSettingsSectionProps) -> Html {
    let admin = use_room_admin(props.settings.room.clone(), props.settings.clone());
    let state = &admin.state;
    let room = &props.settings.room;
    let on_event = &props.on_event;
    html! {
        <RoomSettingsPanel settings={props.settings.clone()} audit={state.audit.clone()}
            audit_has_older={state.audit_has_older} sanctions={state.sanctions.clone()}
            error={state.error.clone()} on_slow_mode={slow_mode(room, on_event)}
            on_add_moderator={add_moderator(room, on_event)}
            on_remove_moderator={remove_moderator(room, on_event)}
            on_lift={admin.lift.clone()} on_older_audit={admin.older_audit.clone()}
            on_refresh={admin.refresh.clone()}
            on_close={on_event.reform(|()| PanelEvent::Close)} />
    }
}

/// Sets `room`'s slow mode to the attempt's seconds.
fn slow_mode(room: &RoomName, on_event: &Callback<PanelEvent>) -> Callback<Attempt<u32>> {
    let (room, on_event) = (room.clone(), on_event.clone());
    Callback::from(move |attempt: Attempt<u32>| {
        if attempt.input > MAX_SLOW_MODE_SECS {
            return attempt.fail(format!("At most {MAX_SLOW_MODE_SECS} seconds."));
        }
        let (room, on_event) = (room.clone(), on_event.clone());
        wasm_bindgen_futures::spawn_local(async move {
            match moderation_api::set_slow_mode(&room, attempt.input).await {
                Ok(settings) => {
                    attempt.succeed();
                    on_event.emit(PanelEvent::Settings(settings));
                }
                Err(failure) => attempt.fail(failure.message(Purpose::Moderation)),
            }
        });
    })
}

/// Makes the account the attempt names a moderator of `room`.
fn add_moderator(room: &RoomName, on_event: &Callback<PanelEvent>) -> Callback<Attempt<String>> {
    let (room, on_event) = (room.clone(), on_event.clone());
    Callback::from(move |attempt: Attempt<String>| {
        let who = match Username::parse(attempt.input.trim()) {
            Ok(who) => who,
            Err(err) => return attempt.fail(format!("That name is not allowed: {err}.")),
        };
        let (room, on_event) = (room.clone(), on_event.clone());
        wasm_bindgen_futures::spawn_local(async move {
            match moderation_api::set_moderator(&room, &who, true).await {
                Ok(settings) => {
                    attempt.succeed();
                    on_event.emit(PanelEvent::Settings(settings));
                }
                Err(failure) => attempt.fail(failure.message(Purpose::Moderation)),
            }
        });
    })
}

/// Takes a moderator's role in `room` away; a refusal goes to the chat's banner.
fn remove_moderator(room: &RoomName, on_event: &Callback<PanelEvent>) -> Callback<Username> {
    let (room, on_event) = (room.clone(), on_event.clone());
    Callback::from(move |who: Username| {
        let (room, on_event) = (room.clone(), on_event.clone());
        wasm_bindgen_futures::spawn_local(async move {
            on_event.emit(
                match moderation_api::set_moderator(&room, &who, false).await {
                    Ok(settings) => PanelEvent::Settings(settings),
                    Err(failure) => PanelEvent::Failed(format!(
                        "Could not remove {who} as a moderator: {}",
                        failure.message(Purpose::Moderation)
                    )),
                },
            );
        });
    })
}
