//! Two Unicode lookups the rules need, answered by the browser's own tables in the browser
//! client: [`lowercase`] (the full lowercase mapping, for `@mention` matching and typed room
//! names) and [`is_combining_mark`] (General_Category Mark, for the name rules).
//!
//! Natively they are Rust's `str::to_lowercase` and unicode-normalization's lookup. In the
//! browser (wasm32) they are JavaScript's `String.prototype.toLowerCase` and the regular
//! expression `\p{M}`: the same Unicode definitions (full mapping with the final sigma; the
//! three Mark categories), without the tables, which were about 22 KB of the client's wasm
//! (11 KB each, measured). What the browser decides with them is advisory: the server
//! checks names with the native lookups, and the two can differ only for characters the
//! browser's Unicode version and Rust's assign differently, which are new and rare.

#[cfg(not(target_arch = "wasm32"))]
pub use unicode_normalization::char::is_combining_mark;

/// `text` with every letter mapped to lowercase, by Unicode's full mapping (`İ` becomes `i`
/// and a combining dot; a final capital sigma becomes `ς`).
#[cfg(not(target_arch = "wasm32"))]
pub fn lowercase(text: &str) -> String {
    text.to_lowercase()
}

/// `text` with every letter mapped to lowercase, by Unicode's full mapping (`İ` becomes `i`
/// and a combining dot; a final capital sigma becomes `ς`).
#[cfg(target_arch = "wasm32")]
pub fn lowercase(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    String::from(js_sys::JsString::from(text).to_lower_case())
}

/// Whether `ch` is a combining mark (General_Category Mn, Mc or Me).
#[cfg(target_arch = "wasm32")]
pub fn is_combining_mark(ch: char) -> bool {
    // No mark comes before the combining diacritics block: names typed in Latin letters and
    // digits never ask the browser.
    if ch < '\u{300}' {
        return false;
    }
    thread_local! {
        static MARK: js_sys::RegExp = js_sys::RegExp::new(r"^\p{M}$", "u");
    }
    MARK.with(|mark| mark.test(ch.encode_utf8(&mut [0; 4])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercase_maps_fully_with_the_final_sigma() {
        assert_eq!(lowercase("Ada"), "ada");
        assert_eq!(lowercase("ÀDA"), "àda");
        assert_eq!(lowercase("ΟΔΥΣΣΕΥΣ"), "οδυσσευς");
        assert_eq!(lowercase("\u{130}"), "i\u{307}");
        assert_eq!(lowercase("\u{212A}"), "k", "the Kelvin sign is a capital K");
    }

    #[test]
    fn the_marks_are_the_three_mark_categories() {
        for mark in ['\u{301}', '\u{93F}', '\u{20DD}'] {
            assert!(is_combining_mark(mark), "{mark:?}");
        }
        for other in ['a', '\u{2FF}', 'é', '1', '\u{200D}'] {
            assert!(!is_combining_mark(other), "{other:?}");
        }
    }
}
