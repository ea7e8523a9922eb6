//! What a handler's `#[utoipa::path]` annotation names besides its own types: the operation
//! tags ([`tag`]), the error answers many routes share ([`responses`]) and the path
//! parameters they share ([`params`]).
//!
//! Kept apart from `super::openapi`, which gathers the handlers into the document: handlers
//! import from here, the document imports the handlers, and nothing imports back.

pub mod params;
pub mod responses;

/// The operation tags, one per area; each handler's `tag = …` names one.
pub mod tag {
    /// `/socket`.
    pub const SOCKET: &str = "socket";
    /// Rooms and their messages.
    pub const HISTORY: &str = "history";
    /// The account routes.
    pub const ACCOUNTS: &str = "accounts";
    /// Personal access tokens.
    pub const TOKENS: &str = "tokens";
    /// Private rooms and direct messages.
    pub const PRIVATE_ROOMS: &str = "private rooms";
    /// Moderation and sanctions.
    pub const MODERATION: &str = "moderation";
    /// Probes, metrics, this document.
    pub const HEALTH: &str = "health";
    /// API keys.
    pub const KEYS: &str = "api keys";
    /// The operators' console.
    pub const CONSOLE: &str = "console";
}
