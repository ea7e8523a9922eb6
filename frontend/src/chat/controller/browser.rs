//! The browser around the chat: network and visibility events, the page's URL, and desktop
//! notifications.
//!
//! `online` and the tab becoming visible retry at once ([`Controller::connect_now`]);
//! `offline` shows as the status; `visibilitychange` also tells the reducer, which counts
//! unread messages while the tab is hidden. `?transport=websocket|longpoll|poll` in the page's
//! URL forces one transport. Notifications are best effort: a browser without the API, or a
//! person who said no, gets none, and nothing fails.

use super::{Controller, with};
use crate::chat::{
    state::{ChatAction, Status},
    transport::TransportKind,
};
use gloo::events::EventListener;
use std::{cell::RefCell, rc::Rc};
use web_sys::{Notification, NotificationOptions, NotificationPermission, VisibilityState};

/// The listeners the controller attached to the window and the document.
#[derive(Default)]
pub(super) struct Browser {
    listeners: RefCell<Vec<EventListener>>,
}

impl Browser {
    /// Detaches every listener.
    pub(super) fn stop(&self) {
        self.listeners.borrow_mut().clear();
    }
}

impl Controller {
    /// Listens for `online`, `offline` and `visibilitychange`.
    pub(super) fn listen_to_the_browser(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let mut listeners = self.browser.listeners.borrow_mut();
        let weak = Rc::downgrade(self);
        listeners.push(EventListener::new(&window, "online", move |_| {
            with(&weak, |this| this.connect_now());
        }));
        let weak = Rc::downgrade(self);
        listeners.push(EventListener::new(&window, "offline", move |_| {
            with(&weak, |this| {
                this.dispatch.dispatch(ChatAction::Status(Status::Offline))
            });
        }));
        if let Some(document) = window.document() {
            let weak = Rc::downgrade(self);
            listeners.push(EventListener::new(
                &document,
                "visibilitychange",
                move |_| {
                    with(&weak, |this| this.on_visibility_change());
                },
            ));
        }
    }

    fn on_visibility_change(self: &Rc<Self>) {
        let hidden = page_hidden();
        self.dispatch
            .dispatch(ChatAction::PageVisibility { hidden });
        if !hidden {
            self.connect_now();
        }
    }
}

/// The transport named by `?transport=` in the page's URL, if any.
pub(super) fn forced_transport() -> Option<TransportKind> {
    let search = web_sys::window()?.location().search().ok()?;
    transport_in_query(&search)
}

/// The transport a query string such as `?room=x&transport=longpoll` names, if any.
fn transport_in_query(search: &str) -> Option<TransportKind> {
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("transport="))
        .and_then(TransportKind::parse)
}

/// Whether the browser believes it has a network (true where it cannot say).
pub(super) fn online() -> bool {
    web_sys::window().is_none_or(|window| window.navigator().on_line())
}

/// Whether the tab is hidden.
pub(super) fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .is_some_and(|document| document.visibility_state() == VisibilityState::Hidden)
}

/// Whether the person allowed desktop notifications.
pub fn notifications_allowed() -> bool {
    Notification::permission() == NotificationPermission::Granted
}

/// Asks the person whether the chat may show desktop notifications.
pub(in crate::chat) fn request_notification_permission() {
    // Browsers without the Notification API make this an error; then there is nothing to ask.
    let _unsupported = Notification::request_permission();
}

/// Shows a desktop notification, if allowed.
pub(super) fn notify(title: &str, body: &str) {
    if !notifications_allowed() {
        return;
    }
    let options = NotificationOptions::new();
    options.set_body(body);
    let _blocked = Notification::new_with_options(title, &options);
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_transport_parameter_is_found_anywhere_in_the_query() {
        let cases = [
            ("?transport=longpoll", Some(TransportKind::LongPoll)),
            ("?room=x&transport=poll", Some(TransportKind::Poll)),
            ("?transport=ws&room=x", Some(TransportKind::WebSocket)),
            ("", None),
            ("?room=x", None),
            ("?transport=carrier-pigeon", None),
            ("?mytransport=poll", None),
        ];
        for (search, kind) in cases {
            assert_eq!(transport_in_query(search), kind, "{search}");
        }
    }
}
