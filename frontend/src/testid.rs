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
pub const SIGN_IN_MODE: &str = "sign-in-mode";
pub const SIGN_UP_MODE: &str = "sign-up-mode";
pub const ACCOUNT_NAME: &str = "account-name";
pub const ACCOUNT_PASSWORD: &str = "account-password";
pub const ACCOUNT_SUBMIT: &str = "account-submit";
pub const ACCOUNT_ERROR: &str = "account-error";
pub const GUEST_BADGE: &str = "guest-badge";
pub const ACCOUNT_MENU: &str = "account-menu";
pub const SIGN_OUT: &str = "sign-out";
pub const SIGN_OUT_EVERYWHERE: &str = "sign-out-everywhere";
pub const CHANGE_PASSWORD: &str = "change-password";
pub const ACCESS_TOKENS: &str = "access-tokens";
pub const TOKEN: &str = "token";
pub const TOKEN_SECRET: &str = "token-secret";
pub const NEW_ROOM: &str = "new-room";
pub const NEW_DM: &str = "new-dm";
pub const DM_LIST: &str = "dm-list";
pub const DM: &str = "dm";
pub const MEMBERS_BUTTON: &str = "members-button";
pub const MEMBERS: &str = "members";
pub const MEMBER: &str = "member";
pub const BANNER: &str = "banner";
