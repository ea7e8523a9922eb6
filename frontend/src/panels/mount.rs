//! The panels' bundle's one export: [`mount`] a panel into an element of the chat's page,
//! with [`Mounted`] to update its props and take it away (see [`super`] for the protocol).

use super::{
    members_section::MembersSection,
    password_section::PasswordSection,
    room_settings_section::RoomSettingsSection,
    tokens_section::TokensSection,
    wire::{PanelEvent, PanelProps},
};
use wasm_bindgen::prelude::*;
use yew::{AppHandle, prelude::*};

/// Props of [`PanelRoot`].
#[derive(Properties, PartialEq)]
struct PanelRootProps {
    panel: PanelProps,
    on_event: Callback<PanelEvent>,
}

/// The root of one mounted panel: the section its props name.
#[component]
fn PanelRoot(props: &PanelRootProps) -> Html {
    let on_event = props.on_event.clone();
    match &props.panel {
        PanelProps::Password => html! { <PasswordSection /> },
        PanelProps::Tokens => html! { <TokensSection /> },
        PanelProps::RoomSettings { settings } => html! {
            <RoomSettingsSection settings={settings.clone()} {on_event} />
        },
        PanelProps::Members {
            room,
            me,
            moderator,
        } => html! {
            <MembersSection room={room.clone()} me={me.clone()} moderator={*moderator} {on_event} />
        },
    }
}

/// Readies the bundle, before any panel is mounted.
///
/// yew numbers the apps of one wasm instance from 1, and brands the DOM with the number
/// (`__yew_subtree_id`) to tell whose event is whose; the chat's instance numbers its one
/// app 1 too. A panel numbered 1 would have the chat's yew take the panel's events for its
/// own and run whichever of its listeners shares a panel element's listener number. So one
/// empty app is mounted and taken away first, on an element outside the page, and the
/// panels are numbered from 2. (The chat mounts no other app: no portal, no second renderer.)
// Called by the panels' build's `main` only; the chat's tests compile this module too.
#[cfg_attr(not(feature = "panels"), allow(dead_code))]
pub fn start() {
    let Ok(spare) = gloo::utils::document().create_element("div") else {
        return;
    };
    yew::Renderer::<Spare>::with_root(spare).render().destroy();
}

/// The app that takes number 1.
#[component]
fn Spare() -> Html {
    html! {}
}

/// A panel on the page, until [`Mounted::unmount`].
#[wasm_bindgen]
pub struct Mounted {
    app: Option<AppHandle<PanelRoot>>,
    on_event: Callback<PanelEvent>,
}

/// Renders the panel `props` (a [`PanelProps`] as JSON) into `element`; `events` is called
/// with each [`PanelEvent`] as JSON. Props this release cannot read are an error, and nothing
/// is rendered.
#[wasm_bindgen]
pub fn mount(
    element: web_sys::Element,
    props: &str,
    events: js_sys::Function,
) -> Result<Mounted, JsError> {
    let panel = read(props)?;
    let on_event = Callback::from(move |event: PanelEvent| {
        // The chat's handler does not throw; if it did, the panel has nothing better to do.
        let _ = events.call1(&JsValue::NULL, &JsValue::from_str(&event.to_json()));
    });
    let root = PanelRootProps {
        panel,
        on_event: on_event.clone(),
    };
    let app = yew::Renderer::<PanelRoot>::with_root_and_props(element, root).render();
    Ok(Mounted {
        app: Some(app),
        on_event,
    })
}

#[wasm_bindgen]
impl Mounted {
    /// Shows the panel with new props (a [`PanelProps`] as JSON).
    pub fn update(&mut self, props: &str) -> Result<(), JsError> {
        let panel = read(props)?;
        if let Some(app) = &mut self.app {
            app.update(PanelRootProps {
                panel,
                on_event: self.on_event.clone(),
            });
        }
        Ok(())
    }

    /// Takes the panel off the page; its requests still under way are dropped when they end.
    pub fn unmount(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
    }
}

fn read(props: &str) -> Result<PanelProps, JsError> {
    serde_json::from_str(props).map_err(|err| JsError::new(&format!("panel props: {err}")))
}
