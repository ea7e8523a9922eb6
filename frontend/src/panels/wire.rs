//! What the chat and the panels' bundle say to each other, as JSON text (see [`super`]).
//!
//! Both sides are built from one source, but a page kept by the service worker may be a
//! release older than the `/panels/` files the server sends it. So each side reads what the
//! other writes leniently: a panel it does not know is shown as unavailable, and an event
//! it does not know is dropped.

use chinwag_shared::{RoomName, Username, moderation::RoomSettings};
use serde::{Deserialize, Serialize};

/// Which panel to show, with what it shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PanelProps {
    /// The account's password form (the account menu's "Change password").
    Password,
    /// The account's access tokens (the account menu's "Access tokens").
    Tokens,
    /// A room's settings, for a moderator of it.
    RoomSettings {
        /// As the chat last read them; a change the chat hears of comes as an update.
        settings: RoomSettings,
    },
    /// A private room's members.
    Members {
        /// The room.
        room: RoomName,
        /// This person (no menu beside their own name).
        me: Username,
        /// Whether this person moderates the room (a menu to mute, kick or ban beside others).
        moderator: bool,
    },
}

/// What a panel tells the chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PanelEvent {
    /// "Close" or Escape: the chat takes the panel away.
    Close,
    /// The room's settings as the server answered a change the panel made.
    Settings(RoomSettings),
    /// Something was done: the chat's info line says it.
    Done(String),
    /// Something failed: the chat's banner says why.
    Failed(String),
}

impl PanelProps {
    /// As JSON.
    pub fn to_json(&self) -> String {
        // Names, numbers and strings only: writing it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl PanelEvent {
    /// As JSON (the panels' side writes these).
    #[cfg(any(feature = "panels", test))]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::moderation::Role;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn settings() -> RoomSettings {
        RoomSettings {
            room: RoomName::parse("general").unwrap(),
            owner: Some(Username::parse("ada").unwrap()),
            moderators: vec![Username::parse("bob").unwrap()],
            slow_mode_secs: 30,
            role: Role::Owner,
            read: Some(7),
            muted_until: None,
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn props_and_events_read_back_as_written() {
        for props in [
            PanelProps::Password,
            PanelProps::Tokens,
            PanelProps::RoomSettings {
                settings: settings(),
            },
            PanelProps::Members {
                room: RoomName::parse("team").unwrap(),
                me: Username::parse("bob").unwrap(),
                moderator: true,
            },
        ] {
            let back: PanelProps = serde_json::from_str(&props.to_json()).unwrap();
            assert_eq!(back, props);
        }
        for event in [
            PanelEvent::Close,
            PanelEvent::Settings(settings()),
            PanelEvent::Done("bob is muted for 1 hour.".to_owned()),
            PanelEvent::Failed("Could not do that.".to_owned()),
        ] {
            let back: PanelEvent = serde_json::from_str(&event.to_json()).unwrap();
            assert_eq!(back, event);
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn what_a_release_does_not_know_is_not_read() {
        assert!(serde_json::from_str::<PanelProps>(r#""Polls""#).is_err());
        assert!(serde_json::from_str::<PanelEvent>(r#"{"Confetti":3}"#).is_err());
    }
}
