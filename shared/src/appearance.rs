//! How text looks on screen: the Unicode rules that keep a name or a message from looking like
//! something it is not.
//!
//! [`crate::names`] calls these while validating; nothing else does. Four ways text can lie:
//! - *Invisible characters.* [`is_default_ignorable`] is Unicode's Default_Ignorable_Code_Point
//!   (zero-width spaces, joiners, bidi controls, variation selectors, tags, and the Hangul
//!   fillers, which are letters by category yet draw nothing). [`is_blank`] adds whitespace and
//!   U+2800 BRAILLE PATTERN BLANK: text made only of these shows as nothing.
//! - *Reordering.* An embedding, override or isolate left open (U+202A–U+202E, U+2066–U+2068)
//!   reverses what follows it, so `"\u{202E}evil.com/"` reads `/moc.live`;
//!   [`first_unpaired_bidi`] finds one (UAX #9 ends them all at a paragraph break).
//! - *Stacked marks.* [`check_marks`] caps the combining marks added to letters, per letter
//!   and in all.
//! - *Mixed scripts.* [`first_script_clash`] finds the first character with no script in
//!   common with those before it (UTS #39 single-script), as the Cyrillic `а` in `аlice`.
//!
//! Invariant: each rule reads the text as given and changes nothing; refusing is the caller's
//! choice, and what passes is stored and shown exactly as the person typed it.

use crate::{
    limits::{MAX_NAME_MARKS, MAX_NAME_MARKS_PER_CHAR},
    unicode::is_combining_mark,
};
#[cfg(not(target_arch = "wasm32"))]
use unicode_security::mixed_script::AugmentedScriptSet;

/// Whether `ch` has Unicode's Default_Ignorable_Code_Point property: a renderer that does not
/// support it shows nothing at all.
pub(crate) fn is_default_ignorable(ch: char) -> bool {
    // DerivedCoreProperties.txt, Unicode 16, written out: 17 ranges cost the browser client
    // nothing, where asking unicode-security (`identifier_type`) links its table of every
    // code point's identifier type. The test below checks these against that table.
    matches!(ch,
        '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Whether `ch` draws nothing visible: whitespace, a default-ignorable, or the braille blank
/// (a pattern with no dots, which fonts draw as an empty cell).
pub(crate) fn is_blank(ch: char) -> bool {
    ch.is_whitespace() || is_default_ignorable(ch) || ch == '\u{2800}'
}

/// Which closing character an opening bidi control needs (UAX #9 §2.1–2.4).
fn bidi_closer(ch: char) -> Option<char> {
    match ch {
        // LRE, RLE, LRO, RLO end at PDF.
        '\u{202A}'..='\u{202E}' if ch != '\u{202C}' => Some('\u{202C}'),
        // LRI, RLI, FSI end at PDI.
        '\u{2066}'..='\u{2068}' => Some('\u{2069}'),
        _ => None,
    }
}

/// The first bidi control in `text` that is not closed in the order it was opened on its own
/// line, or a closer with nothing to close. Balanced pairs are left alone: they are how
/// right-to-left text is written, and their effect ends where they do.
pub(crate) fn first_unpaired_bidi(text: &str) -> Option<char> {
    for line in text.split(['\n', '\r', '\u{85}', '\u{2029}']) {
        let mut open: Vec<(char, char)> = Vec::new();
        for ch in line.chars() {
            if let Some(closer) = bidi_closer(ch) {
                open.push((ch, closer));
            } else if matches!(ch, '\u{202C}' | '\u{2069}') {
                match open.pop() {
                    Some((_, closer)) if closer == ch => {}
                    Some((opener, _)) => return Some(opener),
                    None => return Some(ch),
                }
            }
        }
        if let Some(&(opener, _)) = open.first() {
            return Some(opener);
        }
    }
    None
}

/// Why a name's combining marks are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MarkExcess {
    /// The name starts with a mark, which would sit on whatever is drawn before the name.
    NoBase,
    /// One character carries more than [`MAX_NAME_MARKS_PER_CHAR`] marks.
    Stacked(char),
    /// More than [`MAX_NAME_MARKS`] marks in all.
    TooMany,
}

/// Checks a name's combining marks: none first, at most [`MAX_NAME_MARKS_PER_CHAR`] on one
/// base character and [`MAX_NAME_MARKS`] in all. Counted as typed: a precomposed letter
/// (`ễ`, polytonic Greek `ᾂ`) carries none, and `ễ` typed decomposed carries two. A name can
/// then stack a precomposed letter's marks plus two; a cap on decomposed marks low enough to
/// stop that would refuse Vietnamese or Greek names. Counting after NFC composition would
/// also admit `α` and three marks typed decomposed, but would link the normalization tables
/// into the browser client (125 KB of its wasm, measured) for that alone.
pub(crate) fn check_marks(name: &str) -> Result<(), MarkExcess> {
    let mut marks = 0usize;
    let mut current: Option<(char, usize)> = None;
    for ch in name.chars() {
        if is_combining_mark(ch) {
            let Some((base, on_base)) = current.as_mut() else {
                return Err(MarkExcess::NoBase);
            };
            *on_base += 1;
            marks += 1;
            if *on_base > MAX_NAME_MARKS_PER_CHAR {
                return Err(MarkExcess::Stacked(*base));
            }
        } else {
            current = Some((ch, 0));
        }
    }
    if marks > MAX_NAME_MARKS {
        return Err(MarkExcess::TooMany);
    }
    Ok(())
}

/// The first character of `text` that shares no script with every character before it, per
/// UTS #39's resolved script set: digits, punctuation and spaces (script Common) and marks
/// (Inherited) go with any script, and Han goes with Hiragana, Katakana, Hangul or Bopomofo
/// as Japanese, Korean and Chinese are written.
///
/// Not built for the browser (wasm32): its script tables are about 39 KB of the client's wasm
/// (18 KB gzipped, measured), which the client would carry only to say early what the server
/// says anyway. A name that mixes scripts passes the client's check, and the server refuses it
/// with `invalid_username` and this rule's explanation, which the client shows.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn first_script_clash(text: &str) -> Option<char> {
    let mut scripts = AugmentedScriptSet::default();
    text.chars().find(|&ch| {
        scripts.intersect_with(AugmentedScriptSet::for_char(ch));
        scripts.is_empty()
    })
}

/// The UTS #39 confusable skeleton of `text` lowercased: equal for names a reader cannot
/// tell apart (`Alice`, `alice`, `аlice` with a Cyrillic `а`, `a1ice`). Lowercasing goes
/// first, so every case spelling of a name has one skeleton (`ΟΔΥΣΣΕΥΣ` lowercases to the
/// final-sigma `οδυσσευς`). The price: a capital `I` becomes `i` before the skeleton could
/// read it as `l`, so `AIice` is not `Alice`; folding `i` into `l` would catch it, but would
/// also make `Ian` and `Lan` one name.
pub(crate) fn hold_skeleton(text: &str) -> String {
    unicode_security::skeleton(&text.to_lowercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ignorable_agrees_with_the_uts39_identifier_types() {
        use unicode_security::{GeneralSecurityProfile, general_security_profile::IdentifierType};
        // UTS #39 types every assigned default-ignorable `Default_Ignorable`, except U+206A–
        // U+206F and U+E0001, which it types `Deprecated`; the rest of the property is
        // unassigned. A newer Unicode in the crate that adds one shows up here.
        let wrong: Vec<char> = (0..=u32::from(char::MAX))
            .filter_map(char::from_u32)
            .filter(|&ch| {
                let typed = ch.identifier_type();
                let expected = typed == Some(IdentifierType::Default_Ignorable)
                    || (typed.is_none() && matches!(ch, '\u{2065}' | '\u{FFF0}'..='\u{FFF8}' | '\u{E0000}'..='\u{E0FFF}'))
                    || matches!(ch, '\u{206A}'..='\u{206F}' | '\u{E0001}');
                is_default_ignorable(ch) != expected
            })
            .collect();
        assert_eq!(wrong, []);
    }

    #[test]
    fn fillers_spaces_and_the_braille_blank_are_blank_and_letters_are_not() {
        for ch in [
            '\u{3164}', '\u{FFA0}', '\u{200B}', '\u{2800}', '\u{3000}', ' ', '\u{FE0F}',
        ] {
            assert!(is_blank(ch), "U+{:04X} draws nothing", u32::from(ch));
        }
        for ch in ['a', '.', '\u{2801}', 'ㄱ', '\u{301}'] {
            assert!(!is_blank(ch), "U+{:04X} is visible", u32::from(ch));
        }
    }

    #[test]
    fn only_bidi_controls_left_open_or_closed_out_of_order_are_unpaired() {
        assert_eq!(first_unpaired_bidi("evil.com/"), None);
        assert_eq!(first_unpaired_bidi("\u{202E}evil.com/"), Some('\u{202E}'));
        assert_eq!(first_unpaired_bidi("ok\u{2067}שלום\u{2069} ok"), None);
        assert_eq!(
            first_unpaired_bidi("a\u{202B}b\u{2066}c\u{2069}d\u{202C}"),
            None
        );
        assert_eq!(
            first_unpaired_bidi("a\u{202B}b\u{2066}c\u{202C}d\u{2069}"),
            Some('\u{2066}'),
            "crossed pairs"
        );
        assert_eq!(first_unpaired_bidi("stray \u{2069}"), Some('\u{2069}'));
        assert_eq!(
            first_unpaired_bidi("\u{202E}line one\n\u{202C}line two"),
            Some('\u{202E}'),
            "a line break ends every embedding, so a pair cannot span lines"
        );
        assert_eq!(first_unpaired_bidi("\u{200F}marks are fine\u{200E}"), None);
    }

    #[test]
    fn marks_are_capped_per_character_and_overall() {
        assert_eq!(check_marks("Nguyễn"), Ok(()));
        assert_eq!(check_marks("Nguye\u{302}\u{303}n"), Ok(()), "ễ decomposed");
        assert_eq!(
            check_marks("x\u{302}\u{303}"),
            Ok(()),
            "no precomposed form: two"
        );
        assert_eq!(check_marks("कृष्ण"), Ok(()));
        assert_eq!(check_marks("ᾂὝῄ"), Ok(()), "polytonic Greek");
        assert_eq!(check_marks("\u{301}a"), Err(MarkExcess::NoBase));
        let zalgo = format!("a{}", "\u{301}".repeat(20));
        assert_eq!(check_marks(&zalgo), Err(MarkExcess::Stacked('a')));
        assert_eq!(
            check_marks("x\u{302}\u{303}\u{301}"),
            Err(MarkExcess::Stacked('x'))
        );
        assert_eq!(
            check_marks("ễ\u{301}\u{301}\u{301}"),
            Err(MarkExcess::Stacked('ễ')),
            "marks added to a precomposed letter count"
        );
        let dense = "x\u{301}\u{300}".repeat(MAX_NAME_MARKS / 2);
        assert_eq!(check_marks(&dense), Ok(()));
        assert_eq!(
            check_marks(&format!("{dense}x\u{301}")),
            Err(MarkExcess::TooMany)
        );
    }

    #[test]
    fn no_letter_unicode_precomposes_is_refused_for_its_own_marks() {
        let refused: Vec<char> = (0..=u32::from(char::MAX))
            .filter_map(char::from_u32)
            .filter(|&ch| ch.is_alphanumeric() && !is_combining_mark(ch))
            .filter(|ch| check_marks(&ch.to_string()).is_err())
            .collect();
        assert_eq!(refused, []);
    }

    #[test]
    fn one_script_per_name_with_common_characters_mixing_in() {
        for name in [
            "alice",
            "Иван_2",
            "Ζωή-1",
            "李小龍",
            "山田たろう",
            "김민준 李",
            "مريم.3",
        ] {
            assert_eq!(first_script_clash(name), None, "{name}");
        }
        assert_eq!(first_script_clash("\u{430}lice"), Some('l'));
        assert_eq!(first_script_clash("p\u{430}ypal"), Some('\u{430}'));
        assert_eq!(first_script_clash("Tom李"), Some('李'));
    }

    #[test]
    fn case_and_look_alikes_share_a_skeleton_and_different_names_do_not() {
        let alice = hold_skeleton("alice");
        for same in ["Alice", "ALICE", "\u{430}lice", "a1ice", "ａｌｉｃｅ"] {
            assert_eq!(hold_skeleton(same), alice, "{same}");
        }
        for other in ["alicia", "bob", "alice2", "malice", "Алиса"] {
            assert_ne!(hold_skeleton(other), alice, "{other}");
        }
        assert_eq!(hold_skeleton("ΟΔΥΣΣΕΥΣ"), hold_skeleton("Οδυσσευς"));
    }
}
