//! [`PanelHost`]: where the chat shows a panel of the panels' bundle (see [`super`]). It
//! loads the bundle ([`super::load`]), mounts the panel into an element of its own, hands it
//! new props as they change, and takes it away when the host goes. Until then it says the
//! panel is loading; if the bundle would not load, it says so, with "Try again" and "Close".

use super::{
    load,
    wire::{PanelEvent, PanelProps},
};
use crate::testid;
use js_sys::{Function, Reflect};
use std::{cell::Cell, rc::Rc};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use yew::prelude::*;

/// Props of [`PanelHost`].
#[derive(Properties, PartialEq)]
pub struct PanelHostProps {
    /// The panel and what it shows.
    pub panel: PanelProps,
    /// What the panel tells the chat.
    #[prop_or_default]
    pub on_event: Callback<PanelEvent>,
}

/// Whether the panel is on the page yet.
#[derive(Clone, PartialEq)]
enum Phase {
    Loading,
    Shown,
    /// It could not be: why, in words.
    Failed(String),
}

/// A mounted panel: the bundle's handle, and the function it calls with events (which must
/// live as long as the panel).
struct Mount {
    handle: JsValue,
    _events: Closure<dyn Fn(String)>,
}

impl Mount {
    /// Calls the handle's method `name` with `args`; a missing method does nothing.
    fn call(&self, name: &str, args: &[&JsValue]) {
        let Some(method) = Reflect::get(&self.handle, &JsValue::from_str(name))
            .ok()
            .and_then(|method| method.dyn_into::<Function>().ok())
        else {
            return;
        };
        let _ = match args {
            [] => method.call0(&self.handle),
            [first, ..] => method.call1(&self.handle, first),
        };
    }
}

/// A panel from the panels' bundle.
#[component]
pub fn PanelHost(props: &PanelHostProps) -> Html {
    let point = use_node_ref();
    let phase = use_state(|| Phase::Loading);
    let mounted = use_mut_ref(|| None::<Mount>);
    let on_event = use_mut_ref(Callback::<PanelEvent>::noop);
    *on_event.borrow_mut() = props.on_event.clone();
    let json = props.panel.to_json();
    let latest = use_mut_ref(String::new);
    latest.borrow_mut().clone_from(&json);
    // Each "Try again" is a new attempt, which loads and mounts afresh.
    let attempt = use_state(|| 0_u32);
    {
        let (point, phase, mounted) = (point.clone(), phase.clone(), mounted.clone());
        use_effect_with(*attempt, move |_| {
            let alive = Rc::new(Cell::new(true));
            {
                let (alive, mounted) = (Rc::clone(&alive), mounted.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let exports = load::panels().await;
                    if !alive.get() {
                        return;
                    }
                    let mount = exports.and_then(|exports| {
                        mount_into(&exports, &point, &latest.borrow(), on_event)
                    });
                    match mount {
                        Ok(mount) => {
                            *mounted.borrow_mut() = Some(mount);
                            phase.set(Phase::Shown);
                        }
                        Err(err) => phase.set(Phase::Failed(words(&err))),
                    }
                });
            }
            move || {
                alive.set(false);
                if let Some(mount) = mounted.borrow_mut().take() {
                    mount.call("unmount", &[]);
                }
            }
        });
    }
    use_effect_with(json, move |json| {
        if let Some(mount) = &*mounted.borrow() {
            mount.call("update", &[&JsValue::from_str(json)]);
        }
    });
    html! {
        <div class="panel-host">
            <div class="panel-point" ref={point}></div>
            { match &*phase {
                Phase::Loading => html! {
                    <p class="panel-loading" role="status">{ "Loading…" }</p>
                },
                Phase::Shown => html! {},
                Phase::Failed(why) => {
                    let retry = {
                        let (attempt, phase) = (attempt.clone(), phase.clone());
                        Callback::from(move |_: MouseEvent| {
                            phase.set(Phase::Loading);
                            attempt.set(*attempt + 1);
                        })
                    };
                    // What the panel's own "Close" would tell the chat.
                    let close = props.on_event.reform(|_: MouseEvent| PanelEvent::Close);
                    html! {
                        <div class="panel-loading" role="alert">
                            <p class="error">{ format!("This panel could not be loaded ({why}).") }</p>
                            <div class="panel-loading-actions">
                                <button type="button" class="secondary" onclick={retry}
                                    data-testid={testid::PANEL_RETRY}>{ "Try again" }</button>
                                <button type="button" class="link" onclick={close}
                                    data-testid={testid::PANEL_CLOSE}>{ "Close" }</button>
                            </div>
                        </div>
                    }
                }
            } }
        </div>
    }
}

/// Mounts the panel `json` into `point` with the bundle's `mount`; its events go to the
/// host's latest `on_event`, after the bundle's own handler has returned.
fn mount_into(
    exports: &JsValue,
    point: &NodeRef,
    json: &str,
    on_event: Rc<std::cell::RefCell<Callback<PanelEvent>>>,
) -> Result<Mount, JsValue> {
    let mount = Reflect::get(exports, &JsValue::from_str("mount"))?
        .dyn_into::<Function>()
        .map_err(|_| JsValue::from_str("the panels have no mount"))?;
    let element = point
        .get()
        .ok_or_else(|| JsValue::from_str("the panel's place is gone"))?;
    let events = Closure::<dyn Fn(String)>::new(move |event: String| {
        // One this release does not know is dropped (see `wire`).
        if let Ok(event) = serde_json::from_str::<PanelEvent>(&event) {
            let on_event = on_event.borrow().clone();
            // Not inside the panel's own handler: closing the panel unmounts it.
            wasm_bindgen_futures::spawn_local(async move { on_event.emit(event) });
        }
    });
    let handle = mount.call3(
        &JsValue::NULL,
        &element,
        &JsValue::from_str(json),
        events.as_ref(),
    )?;
    Ok(Mount {
        handle,
        _events: events,
    })
}

/// What went wrong, in words: a string as it is, an `Error`'s message, else a general word.
fn words(err: &JsValue) -> String {
    err.as_string()
        .or_else(|| {
            err.dyn_ref::<js_sys::Error>()
                .map(|error| String::from(error.message()))
        })
        .unwrap_or_else(|| "the panels failed".to_owned())
}
