//! The `data-testid` hooks end-to-end tests select by, in one place.
//!
//! They are a contract with `e2e/`: rename one only together with its tests.

pub const USERNAME_INPUT: &str = "username-input";
pub const USERNAME_SUBMIT: &str = "username-submit";
pub const USERNAME_ERROR: &str = "username-error";
pub const ROOM_LIST: &str = "room-list";
pub const BUSIEST_ROOMS: &str = "busiest-rooms";
pub const ROOM: &str = "room";
pub const ROOM_INPUT: &str = "room-input";
pub const UNREAD: &str = "unread";
pub const MESSAGES: &str = "messages";
pub const MESSAGE: &str = "message";
pub const MESSAGE_AUTHOR: &str = "message-author";
pub const MESSAGE_TEXT: &str = "message-text";
pub const LOAD_OLDER: &str = "load-older";
pub const HISTORY_RESET: &str = "history-reset";
pub const COMPOSER: &str = "composer";
pub const SEND: &str = "send";
pub const PRESENCE: &str = "presence";
pub const PRESENCE_USER: &str = "presence-user";
pub const TYPING: &str = "typing";
pub const STATUS: &str = "status";
