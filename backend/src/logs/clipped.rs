//! [`Clipped`]: a client-supplied value, shortened and made inert for a log line.
//!
//! Anything a client sends can be as long as the transport allows: actix accepts a request
//! head of up to 128 KiB, so one `Origin` header could be 120 KB, and logging it whole let
//! 2,000 requests add 240 MB to stderr (issue 12). Every request value that reaches a log goes
//! through `Clipped`, which writes at most [`MAX_LOGGED_CHARS`] characters and then a marker
//! saying how many bytes were left out. Control characters (newlines, ESC, bidi overrides) are
//! written escaped, so a value can neither forge a log line nor drive a terminal; bytes that
//! are not UTF-8 are written as `\xNN`. Bound: one value costs at most
//! `MAX_LOGGED_CHARS` × 10 bytes (`\u{202e}` is the longest escape) plus the marker.
//!
//! Values already parsed into bounded types (`RoomName`, `Username`: short, no controls) are
//! safe as they are; wrapping them anyway keeps "every client value goes through `Clipped`"
//! easy to check with grep.

use std::fmt::{self, Write};

/// Characters of a client value a log line shows; the rest is counted, not written.
pub const MAX_LOGGED_CHARS: usize = 128;

/// A client-supplied value as a log field: `field = %Clipped::new(value)`. `Debug` writes the
/// same as `Display`, so `?` is just as safe.
#[derive(Clone, Copy)]
pub struct Clipped<'a>(&'a [u8]);

impl<'a> Clipped<'a> {
    /// Wraps text (a header read as a string, an error detail that quotes input).
    pub fn new(value: &'a str) -> Self {
        Self(value.as_bytes())
    }

    /// Wraps raw bytes, such as a header value that need not be UTF-8.
    pub fn bytes(value: &'a [u8]) -> Self {
        Self(value)
    }

    /// Writes the kept prefix, escaped; returns how many bytes of the value it covered.
    fn write_prefix(&self, out: &mut impl Write) -> Result<usize, fmt::Error> {
        let mut shown = 0;
        let mut covered = 0;
        for chunk in self.0.utf8_chunks() {
            for ch in chunk.valid().chars() {
                if shown == MAX_LOGGED_CHARS {
                    return Ok(covered);
                }
                write_inert(out, ch)?;
                shown += 1;
                covered += ch.len_utf8();
            }
            for byte in chunk.invalid() {
                if shown == MAX_LOGGED_CHARS {
                    return Ok(covered);
                }
                write!(out, "\\x{byte:02x}")?;
                shown += 1;
                covered += 1;
            }
        }
        Ok(covered)
    }
}

/// Writes `ch`, escaped if it could break a log line or reorder what a reader sees.
fn write_inert(out: &mut impl Write, ch: char) -> fmt::Result {
    // Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) make a line read
    // differently from its bytes ("Trojan Source").
    let reorders = matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if ch.is_control() || reorders {
        write!(out, "{}", ch.escape_default())
    } else {
        out.write_char(ch)
    }
}

impl fmt::Display for Clipped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let covered = self.write_prefix(f)?;
        let left_out = self.0.len().saturating_sub(covered);
        if left_out > 0 {
            write!(f, "…(+{left_out} bytes)")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Clipped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_value_is_written_as_it_is() {
        assert_eq!(
            Clipped::new("https://chat.example.com").to_string(),
            "https://chat.example.com"
        );
        assert_eq!(Clipped::new("").to_string(), "");
    }

    #[test]
    fn a_long_value_keeps_its_first_characters_and_counts_the_rest() {
        let origin = format!("https://{}", "a".repeat(120_000));
        let logged = Clipped::new(&origin).to_string();
        let kept = &origin[..MAX_LOGGED_CHARS];
        assert_eq!(
            logged,
            format!("{kept}…(+{} bytes)", origin.len() - MAX_LOGGED_CHARS)
        );
    }

    #[test]
    fn exactly_the_limit_has_no_marker_and_one_more_has_one() {
        let at_limit = "x".repeat(MAX_LOGGED_CHARS);
        assert_eq!(Clipped::new(&at_limit).to_string(), at_limit);
        let over = "x".repeat(MAX_LOGGED_CHARS + 1);
        assert_eq!(
            Clipped::new(&over).to_string(),
            format!("{at_limit}…(+1 bytes)")
        );
    }

    #[test]
    fn the_limit_counts_characters_and_never_splits_one() {
        let value = "é".repeat(MAX_LOGGED_CHARS + 2);
        let logged = Clipped::new(&value).to_string();
        assert_eq!(
            logged,
            format!("{}…(+4 bytes)", "é".repeat(MAX_LOGGED_CHARS))
        );
    }

    #[test]
    fn control_characters_cannot_forge_a_line_or_colour_the_terminal() {
        let hostile = "evil\n2026-01-01 INFO forged\u{1b}[31mred\u{202e}";
        let logged = Clipped::new(hostile).to_string();
        assert!(!logged.contains('\n'), "{logged}");
        assert!(!logged.contains('\u{1b}'), "{logged}");
        assert!(!logged.contains('\u{202e}'), "{logged}");
        assert_eq!(
            logged,
            "evil\\n2026-01-01 INFO forged\\u{1b}[31mred\\u{202e}"
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_written_as_hex() {
        assert_eq!(Clipped::bytes(b"ok\xffok").to_string(), "ok\\xffok");
    }

    #[test]
    fn the_escaped_output_of_any_value_stays_bounded() {
        let worst = "\u{202e}".repeat(100_000);
        let logged = Clipped::new(&worst).to_string();
        assert!(
            logged.len() <= MAX_LOGGED_CHARS * 10 + 32,
            "{}",
            logged.len()
        );
    }

    #[test]
    fn debug_clips_like_display() {
        let long = "y".repeat(MAX_LOGGED_CHARS * 2);
        let clipped = Clipped::new(&long);
        assert_eq!(format!("{clipped:?}"), clipped.to_string());
        assert!(format!("{clipped:?}").ends_with("…(+128 bytes)"));
    }
}
