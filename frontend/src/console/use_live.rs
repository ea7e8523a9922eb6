//! [`use_live`]: the console's live feed, `GET /api/admin/live`, read with the browser's
//! own `EventSource` (server-sent events) and dispatched into the pure [`LiveState`].
//!
//! The browser reconnects a dropped stream by itself (and the server starts each new
//! stream with a `snapshot`, so nothing is missed or counted twice). A refusal (401 or
//! 403, or any answer that is not an event stream) closes it for good; the console then
//! offers to try again, which opens a new one. The `EventSource` and its four closures live
//! in a [`LiveSource`] owned by the effect, so leaving the console closes the stream and
//! detaches every handler: nothing leaks or fires late.

use super::live::{LiveAction, LiveState};
use chinwag_shared::console::{LiveSnapshot, LiveTick};
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{Event, EventSource, MessageEvent};
use yew::prelude::*;

/// The stream's route.
const LIVE_URL: &str = "/api/admin/live";

/// What the console gets from [`use_live`].
#[derive(Clone, PartialEq)]
pub struct LiveHandle {
    /// The live numbers and how the stream stands.
    pub state: UseReducerHandle<LiveState>,
    /// Open a new stream (after the server refused one).
    pub reconnect: Callback<()>,
}

/// Reads the live stream while the calling component is mounted.
#[hook]
pub fn use_live() -> LiveHandle {
    let state = use_reducer(LiveState::default);
    // Each bump opens a fresh stream.
    let generation = use_state(|| 0u32);
    {
        let dispatch = state.dispatcher();
        use_effect_with(*generation, move |_| {
            let source = LiveSource::open(dispatch.clone());
            if source.is_none() {
                dispatch.dispatch(LiveAction::Closed);
            }
            move || drop(source)
        });
    }
    let reconnect = {
        let generation = generation.clone();
        Callback::from(move |()| generation.set(generation.wrapping_add(1)))
    };
    LiveHandle { state, reconnect }
}

/// An open `EventSource` and its handlers; dropping it detaches them and closes it.
struct LiveSource {
    source: EventSource,
    _on_open: Closure<dyn FnMut(Event)>,
    on_snapshot: Closure<dyn FnMut(MessageEvent)>,
    on_tick: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl LiveSource {
    /// Opens the stream; `None` if the browser would not (it has no `EventSource`).
    fn open(dispatch: UseReducerDispatcher<LiveState>) -> Option<Self> {
        let source = EventSource::new(LIVE_URL).ok()?;
        let on_open = {
            let dispatch = dispatch.clone();
            Closure::<dyn FnMut(Event)>::new(move |_: Event| dispatch.dispatch(LiveAction::Opened))
        };
        let on_snapshot = {
            let dispatch = dispatch.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if let Some(snapshot) = decode::<LiveSnapshot>(&event) {
                    dispatch.dispatch(LiveAction::Snapshot(snapshot));
                }
            })
        };
        let on_tick = {
            let dispatch = dispatch.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if let Some(tick) = decode::<LiveTick>(&event) {
                    dispatch.dispatch(LiveAction::Tick(tick));
                }
            })
        };
        let on_error = {
            let source = source.clone();
            Closure::<dyn FnMut(Event)>::new(move |_: Event| {
                // CLOSED means refused for good; CONNECTING means the browser retries.
                dispatch.dispatch(if source.ready_state() == EventSource::CLOSED {
                    LiveAction::Closed
                } else {
                    LiveAction::Dropped
                });
            })
        };
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let listened = source
            .add_event_listener_with_callback("snapshot", on_snapshot.as_ref().unchecked_ref())
            .and_then(|()| {
                source.add_event_listener_with_callback("tick", on_tick.as_ref().unchecked_ref())
            });
        let live = Self {
            source,
            _on_open: on_open,
            on_snapshot,
            on_tick,
            _on_error: on_error,
        };
        // Without its listeners the stream is useless; dropping `live` closes it.
        listened.ok().map(|()| live)
    }
}

impl Drop for LiveSource {
    fn drop(&mut self) {
        self.source.set_onopen(None);
        self.source.set_onerror(None);
        let _ = self.source.remove_event_listener_with_callback(
            "snapshot",
            self.on_snapshot.as_ref().unchecked_ref(),
        );
        let _ = self
            .source
            .remove_event_listener_with_callback("tick", self.on_tick.as_ref().unchecked_ref());
        // The closures drop after this, once nothing can call them.
        self.source.close();
    }
}

/// The JSON `data` of an event; an event that does not decode is logged and skipped.
fn decode<T: DeserializeOwned>(event: &MessageEvent) -> Option<T> {
    let text = event.data().as_string()?;
    match serde_json::from_str(&text) {
        Ok(value) => Some(value),
        Err(err) => {
            gloo::console::warn!(format!("undecodable live event: {err}"));
            None
        }
    }
}
