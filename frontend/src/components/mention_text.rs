//! A message's text with each `@name` that mentions the reader marked (`<mark>`), by the
//! same rule the server counts mentions with ([`chinwag_shared::mentions`]). Every part is
//! a text node: nothing in a message is ever read as HTML.

use chinwag_shared::{Username, mentions};
use yew::prelude::*;

/// `text` with the mentions of its reader `me` marked.
pub fn mention_text(text: &str, me: &Username) -> Html {
    html! {
        { for split_mentions(text, me).into_iter().map(|(marked, part)| {
            if marked {
                html! { <mark class="mention-of-me">{ part.to_owned() }</mark> }
            } else {
                html! { { part.to_owned() } }
            }
        }) }
    }
}

/// `text` cut into parts, each saying whether it is an `@name` mentioning `me`; joined,
/// the parts are `text` again.
pub fn split_mentions<'a>(text: &'a str, me: &Username) -> Vec<(bool, &'a str)> {
    let mut parts = Vec::new();
    let mut from = 0;
    for (at, _) in text.match_indices('@') {
        if at < from {
            continue;
        }
        let rest = &text[at + 1..];
        let end = rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.'))
            .map_or(rest.len(), |(index, _)| index);
        let word = rest[..end].trim_end_matches('.');
        let candidate = &text[at..at + 1 + word.len()];
        if !word.is_empty() && mentions(candidate, me) {
            if at > from {
                parts.push((false, &text[from..at]));
            }
            parts.push((true, candidate));
            from = at + candidate.len();
        }
    }
    if from < text.len() {
        parts.push((false, &text[from..]));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn only_the_readers_mentions_are_marked_and_the_text_is_kept_whole() {
        let ada = Username::parse("Ada").unwrap();
        let text = "@ada, ask @adam or @ADA. (@bob)";
        let parts = split_mentions(text, &ada);
        assert_eq!(
            parts,
            [
                (true, "@ada"),
                (false, ", ask @adam or "),
                (true, "@ADA"),
                (false, ". (@bob)"),
            ]
        );
        assert_eq!(parts.iter().map(|(_, p)| *p).collect::<String>(), text);
        assert_eq!(split_mentions("no one", &ada), [(false, "no one")]);
        assert!(split_mentions("", &ada).is_empty());
    }

    // In the browser, case is folded by JavaScript's `toLowerCase` (`chinwag_shared::unicode`).
    #[wasm_bindgen_test(unsupported = test)]
    fn mentions_fold_case_beyond_ascii() {
        let zoe = Username::parse("Zoë").unwrap();
        assert_eq!(
            split_mentions("hi @ZOË and @zoe", &zoe),
            [(false, "hi "), (true, "@ZOË"), (false, " and @zoe")]
        );
        let odysseus = Username::parse("Οδυσσευς").unwrap();
        assert_eq!(
            split_mentions("@ΟΔΥΣΣΕΥΣ", &odysseus),
            [(true, "@ΟΔΥΣΣΕΥΣ")]
        );
    }
}
