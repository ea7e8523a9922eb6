//! Protocol limits as named constants.
//!
//! The server enforces them and the browser client shows them (the composer's length counter),
//! so both read the same numbers from here. Lengths count Unicode scalar values (`char`s), which
//! is what a person perceives as characters far more closely than UTF-8 bytes do.

/// The room a client is in when it names none, and where the seed's bare messages go.
pub const DEFAULT_ROOM: &str = "general";

/// Longest chat message, in characters. 4,000 characters are at most 16,000 UTF-8 bytes, so a
/// full message plus its JSON envelope stays far below [`MAX_FRAME_BYTES`].
pub const MAX_MESSAGE_CHARS: usize = 4_000;

/// Longest username, in characters.
pub const MAX_USERNAME_CHARS: usize = 32;

/// Most combining marks one character of a username may carry beyond its precomposed form
/// (`ễ` as one code point carries none; typed as `e` and two marks, two). More only stack into
/// the line above.
pub const MAX_NAME_MARKS_PER_CHAR: usize = 2;

/// Most combining marks in one username, counted the same way: a long Tamil or Hindi name,
/// whose vowel signs and viramas are marks, uses about eight.
pub const MAX_NAME_MARKS: usize = 12;

/// Longest room name, in characters.
pub const MAX_ROOM_CHARS: usize = 48;

/// Longest `client_id` a client may attach to a message, in characters.
pub const MAX_CLIENT_ID_CHARS: usize = 64;

/// Largest WebSocket message the server accepts, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Records per history page when the request names no `limit`.
pub const DEFAULT_HISTORY_PAGE: usize = 100;

/// Most records one history page returns; a larger `limit` is clamped to this.
pub const MAX_HISTORY_PAGE: usize = 500;

/// Rooms per page of `GET /api/rooms` when the request names no `limit`.
pub const DEFAULT_ROOMS_PAGE: usize = 50;

/// Most rooms one page of `GET /api/rooms` returns; a larger `limit` is clamped to this. A
/// page is at most ~15 KB of JSON, however many rooms exist.
pub const MAX_ROOMS_PAGE: usize = 200;

/// Unread messages counted per room at most: past it a client shows "999+", and counting
/// stays a bounded read however long someone was away.
pub const UNREAD_COUNT_CAP: u64 = 999;

/// Longest slow-mode interval a room may have, in seconds (an hour).
pub const MAX_SLOW_MODE_SECS: u32 = 3_600;

/// Longest reason a moderator may give for a mute, ban or kick, in characters.
pub const MAX_REASON_CHARS: usize = 200;

/// Longest timed mute or ban, in seconds (a year); longer ones are until lifted.
pub const MAX_SANCTION_SECS: u64 = 365 * 24 * 3_600;
