//! Copying text to the clipboard, best effort.
//!
//! The Clipboard API exists only in secure contexts (https, or localhost) and may ask for
//! permission, so copying answers whether it worked instead of failing: the caller then asks
//! the person to select the text by hand.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Puts `text` on the clipboard; `false` if the browser has no clipboard here or refused.
pub async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    // `navigator.clipboard` is undefined outside secure contexts; calling a method on it
    // would throw, so look before touching it.
    let clipboard = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("clipboard"));
    let Ok(clipboard) = clipboard else {
        return false;
    };
    if clipboard.is_undefined() || clipboard.is_null() {
        return false;
    }
    let clipboard: web_sys::Clipboard = clipboard.unchecked_into();
    JsFuture::from(clipboard.write_text(text)).await.is_ok()
}
