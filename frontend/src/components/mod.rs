//! Views only: data in through props, intent out through callbacks, one component per file.
//! None of them touch the socket, `fetch` or storage; `chat::use_chat` and the `account`
//! hooks do.
//!
//! A view with no state of its own and little to draw is a plain function returning
//! [`Html`](yew::Html) (`guest_badge`, `lock_icon`, `mention_text`, `status_badge`,
//! `typing_line`, `welcome`): the page is the same, and each `#[component]` costs the wasm
//! about 1 kB of yew's machinery (its runners, props comparison and view). Lists whose
//! props often stay the same while the screen around them changes stay components, which
//! yew skips when their props are equal.

pub mod account_form;
pub mod account_menu;
pub mod action_menu;
pub mod composer;
pub mod dm_list;
pub mod guest_badge;
pub mod lock_icon;
#[cfg(any(feature = "panels", feature = "console", test))]
pub mod members_panel;
pub mod mention_text;
pub mod message;
pub mod message_list;
pub mod name_prompt;
#[cfg(any(feature = "panels", feature = "console", test))]
pub mod password_form;
pub mod person_menu;
pub mod presence_list;
pub mod room_list;
#[cfg(any(feature = "panels", feature = "console", test))]
pub mod room_settings_panel;
pub mod status_badge;
#[cfg(any(feature = "panels", feature = "console", test))]
pub mod tokens_panel;
pub mod typing_line;
pub mod username_form;
pub mod welcome;
