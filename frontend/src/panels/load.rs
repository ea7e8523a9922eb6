//! Loading the panels' bundle into the page, once: [`panels`] resolves to its exports.
//!
//! The first call adds `<script type="module" src="/panels/boot.js">`; `boot.js` starts the
//! bundle's wasm and dispatches `chinwag-panels` on the window with the exports as `detail`,
//! or `chinwag-panels-failed` if the wasm would not start. Every caller awaits the same
//! promise. A failed load is forgotten, so the next panel opened tries again (with a fresh
//! `?attempt=` on `boot.js`, which the browser would otherwise remember as failed).

use gloo::events::EventListener;
use js_sys::{Promise, Reflect};
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// The panels' start script, which names their content-hash-free files.
const BOOT: &str = "/panels/boot.js";

thread_local! {
    /// The load under way or done, if one was started and did not fail.
    static LOAD: RefCell<Option<Promise>> = const { RefCell::new(None) };
    /// Loads started in this page, for `?attempt=`.
    static ATTEMPTS: Cell<u32> = const { Cell::new(0) };
}

/// The panels' bundle's exports, loading it first if no earlier call did; `Err` with what
/// went wrong.
pub async fn panels() -> Result<JsValue, JsValue> {
    let promise = LOAD.with(|load| load.borrow_mut().get_or_insert_with(start).clone());
    let loaded = JsFuture::from(promise).await;
    if loaded.is_err() {
        LOAD.with(|load| *load.borrow_mut() = None);
    }
    loaded
}

/// Adds the start script; the promise settles on its first word.
fn start() -> Promise {
    let attempt = ATTEMPTS.with(|attempts| {
        attempts.set(attempts.get() + 1);
        attempts.get()
    });
    Promise::new(&mut |resolve, reject| {
        let window = gloo::utils::window();
        let document = gloo::utils::document();
        let script = match document.create_element("script") {
            Ok(script) => script,
            Err(err) => {
                let _ = reject.call1(&JsValue::NULL, &err);
                return;
            }
        };
        // Each listener outlives this function, as the page's own script would; a settled
        // promise ignores a second word.
        EventListener::once(&window, "chinwag-panels", move |event| {
            let exports = Reflect::get(event, &JsValue::from_str("detail")).unwrap_or_default();
            let _ = resolve.call1(&JsValue::NULL, &exports);
        })
        .forget();
        let refused = reject.clone();
        EventListener::once(&window, "chinwag-panels-failed", move |_| {
            let _ = refused.call1(&JsValue::NULL, &"the panels would not start".into());
        })
        .forget();
        EventListener::once(&script, "error", move |_| {
            let _ = reject.call1(&JsValue::NULL, &"the panels could not be downloaded".into());
        })
        .forget();
        let src = if attempt == 1 {
            BOOT.to_owned()
        } else {
            format!("{BOOT}?attempt={attempt}")
        };
        let _ = script.set_attribute("type", "module");
        let _ = script.set_attribute("src", &src);
        if let Some(body) = document.body() {
            let _ = body.append_child(&script);
        }
    })
}
