//! Views only: data in through props, intent out through callbacks, one component per file.
//! None of them touch the socket, `fetch` or storage; `chat::use_chat` does.

pub mod composer;
pub mod message;
pub mod message_list;
pub mod presence_list;
pub mod room_list;
pub mod status_badge;
pub mod typing_line;
pub mod username_form;
