//! What a page shows, as the UI contract's `data-testid` hooks expose it: [`PAGE_SCRIPT`] reads
//! them all in one script run and [`Page`] is its result, with the queries tests ask of it.
//!
//! This file is the e2e side of the contract; `frontend/src/testid.rs` is the other side.

use serde::Deserialize;

/// Collects everything the UI contract exposes, in one script run. Messages are only those
/// inside the message list, in document order.
pub const PAGE_SCRIPT: &str = r#"
const one = (root, id) => root.querySelector(`[data-testid="${id}"]`);
const all = (root, id) => [...root.querySelectorAll(`[data-testid="${id}"]`)];
const text = (el) => (el ? el.textContent : null);
const list = one(document, "messages");
const status = one(document, "status");
return {
  username_screen: one(document, "username-input") !== null,
  chat_screen: one(document, "composer") !== null,
  username_error: text(one(document, "username-error")),
  status: status ? status.getAttribute("data-state") : null,
  messages: (list ? all(list, "message") : []).map((m) => ({
    state: m.getAttribute("data-state"),
    id: m.getAttribute("data-id"),
    author: text(one(m, "message-author")),
    text: text(one(m, "message-text")),
    guest: one(m, "guest-badge") !== null,
    edited: one(m, "message-edited") !== null,
    deleted: m.getAttribute("data-deleted") === "true",
  })),
  history_resets: (list ? all(list, "history-reset") : []).map((n) => n.textContent.trim()),
  rooms: all(document, "room").map((r) => ({
    name: r.getAttribute("data-room"),
    current: r.getAttribute("aria-current") === "true",
    unread: text(one(r, "unread")),
    mentions: text(one(r, "mentions")),
  })),
  presence: all(document, "presence-user").map((u) => u.textContent.trim()),
  presence_count: text(one(document, "presence-count")),
  presence_more: one(document, "presence-more") !== null,
  typing: text(one(document, "typing")),
  account_screen: one(document, "account-name") !== null,
  account_error: text(one(document, "account-error")),
  signed_in_as: text(document.querySelector('[data-testid="account-menu"] .me')),
  guest_badges: all(document, "guest-badge").length,
  banner: text(document.querySelector('[data-testid="banner"] p')),
  dms: all(document, "dm").map((d) => ({
    room: d.getAttribute("data-room"),
    with: d.getAttribute("data-with"),
    current: d.getAttribute("aria-current") === "true",
  })),
  members: all(document, "member").map((m) => text(m.querySelector("bdi"))),
  token_secret: (one(document, "token-secret") || {}).value ?? null,
  room_hold: text(document.querySelector('[data-testid="room-hold"] p')),
  composer_hint: text(one(document, "composer-hint")),
  composer_disabled: (one(document, "composer") || {}).disabled ?? null,
  send_disabled: (one(document, "send") || {}).disabled ?? null,
};
"#;

/// What the page shows, as the UI contract's hooks expose it.
#[derive(Debug, Deserialize)]
pub struct Page {
    /// `[data-testid=username-input]` is present.
    pub username_screen: bool,
    /// `[data-testid=composer]` is present.
    pub chat_screen: bool,
    /// Text of `[data-testid=username-error]`, if shown.
    pub username_error: Option<String>,
    /// `data-state` of `[data-testid=status]`.
    pub status: Option<String>,
    /// `[data-testid=message]` elements inside `[data-testid=messages]`, in document order.
    pub messages: Vec<Message>,
    /// Texts of the `[data-testid=history-reset]` notices inside `[data-testid=messages]`.
    pub history_resets: Vec<String>,
    /// `[data-testid=room]` elements.
    pub rooms: Vec<Room>,
    /// Names in `[data-testid=presence-user]`.
    pub presence: Vec<String>,
    /// Text of the people list's heading, `[data-testid=presence-count]`: "Here now · N" in
    /// a small room, "N here" in a big one.
    pub presence_count: Option<String>,
    /// `[data-testid=presence-more]` ("Show more") is present: a big room has names unfetched.
    pub presence_more: bool,
    /// Text of `[data-testid=typing]`, if present.
    pub typing: Option<String>,
    /// `[data-testid=account-name]` is present (the sign-in form).
    pub account_screen: bool,
    /// Text of `[data-testid=account-error]` (present, empty, while there is no error).
    pub account_error: Option<String>,
    /// The name on the account menu's button, when signed in.
    pub signed_in_as: Option<String>,
    /// How many `[data-testid=guest-badge]` marks show (the top bar, messages, presence).
    pub guest_badges: usize,
    /// Text of the `[data-testid=banner]`'s message, if shown.
    pub banner: Option<String>,
    /// `[data-testid=dm]` entries of the direct-message list.
    pub dms: Vec<Dm>,
    /// Names in the members panel's `[data-testid=member]` rows.
    pub members: Vec<Option<String>>,
    /// The value of `[data-testid=token-secret]`, while a fresh token shows.
    pub token_secret: Option<String>,
    /// Text of the `[data-testid=room-hold]` banner's message: why this person is out of the
    /// room on screen (banned, kicked), if shown.
    pub room_hold: Option<String>,
    /// Text of `[data-testid=composer-hint]`: why the composer waits, if it says.
    pub composer_hint: Option<String>,
    /// Whether `[data-testid=composer]` is disabled (`None` without a composer).
    pub composer_disabled: Option<bool>,
    /// Whether `[data-testid=send]` is disabled (`None` without a send button).
    pub send_disabled: Option<bool>,
}

/// One `[data-testid=dm]`: a direct message in the sidebar.
#[derive(Debug, Deserialize)]
pub struct Dm {
    /// `data-room`: the room the conversation lives in.
    pub room: Option<String>,
    /// `data-with`: the other person.
    pub with: Option<String>,
    /// `aria-current="true"`.
    pub current: bool,
}

/// One `[data-testid=message]`.
#[derive(Debug, Deserialize)]
pub struct Message {
    /// `data-state`: `confirmed`, `pending` or `failed`.
    pub state: Option<String>,
    /// `data-id` (confirmed messages).
    pub id: Option<String>,
    /// Text of `[data-testid=message-author]`.
    pub author: Option<String>,
    /// Text of `[data-testid=message-text]`, exactly (`textContent`).
    pub text: Option<String>,
    /// It carries a `[data-testid=guest-badge]`: its author was a guest.
    pub guest: bool,
    /// It carries the `[data-testid=message-edited]` mark: its author edited it.
    pub edited: bool,
    /// `data-deleted="true"`: it is a tombstone.
    pub deleted: bool,
}

/// One `[data-testid=room]`.
#[derive(Debug, Deserialize)]
pub struct Room {
    /// `data-room`.
    pub name: Option<String>,
    /// `aria-current="true"`.
    pub current: bool,
    /// Text of its `[data-testid=unread]`, if any.
    pub unread: Option<String>,
    /// Text of its `[data-testid=mentions]` ("@1"), if any.
    pub mentions: Option<String>,
}

impl Message {
    /// The author's name without surrounding whitespace.
    pub fn author(&self) -> Option<&str> {
        self.author.as_deref().map(str::trim)
    }

    /// Whether this is `text` by `author`, in any state.
    pub fn is(&self, author: &str, text: &str) -> bool {
        self.author() == Some(author) && self.text.as_deref() == Some(text)
    }

    /// Whether the server confirmed it.
    pub fn confirmed(&self) -> bool {
        self.state.as_deref() == Some("confirmed")
    }

    /// Its text without surrounding whitespace.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref().map(str::trim)
    }
}

impl Page {
    /// Messages whose text is exactly `text`.
    pub fn with_text(&self, text: &str) -> Vec<&Message> {
        self.messages
            .iter()
            .filter(|m| m.text.as_deref() == Some(text))
            .collect()
    }

    /// The one confirmed message `text` by `author`, if it is listed; its `data-id`.
    pub fn confirmed_id(&self, author: &str, text: &str) -> Option<String> {
        self.messages
            .iter()
            .find(|m| m.is(author, text) && m.confirmed())
            .and_then(|m| m.id.clone())
    }

    /// The current room's name (`aria-current="true"`).
    pub fn current_room(&self) -> Option<&str> {
        self.rooms
            .iter()
            .find(|r| r.current)
            .and_then(|r| r.name.as_deref())
    }

    /// The room `name` in the room list.
    pub fn room(&self, name: &str) -> Option<&Room> {
        self.rooms.iter().find(|r| r.name.as_deref() == Some(name))
    }

    /// The message whose `data-id` is `id`, if listed.
    pub fn message(&self, id: &str) -> Option<&Message> {
        self.messages.iter().find(|m| m.id.as_deref() == Some(id))
    }

    /// The room-hold banner's text without surrounding whitespace, if one shows.
    pub fn room_hold(&self) -> Option<&str> {
        self.room_hold.as_deref().map(str::trim)
    }

    /// The direct message with `with`, if listed.
    pub fn dm_with(&self, with: &str) -> Option<&Dm> {
        self.dms.iter().find(|dm| dm.with.as_deref() == Some(with))
    }

    /// The members panel's names, as shown.
    pub fn member_names(&self) -> Vec<&str> {
        self.members.iter().flatten().map(|m| m.trim()).collect()
    }

    /// The people list's heading without surrounding whitespace, if it is on the page.
    pub fn presence_count(&self) -> Option<&str> {
        self.presence_count.as_deref().map(str::trim)
    }

    /// The banner's text without surrounding whitespace, if a banner shows.
    pub fn banner(&self) -> Option<&str> {
        self.banner.as_deref().map(str::trim)
    }

    /// Whether the chat screen shows, connected, for the account `name`.
    pub fn signed_in_as(&self, name: &str) -> bool {
        self.chat_screen
            && self.status_is("open")
            && self.signed_in_as.as_deref().map(str::trim) == Some(name)
    }

    /// `data-state` of the status badge is `state`.
    pub fn status_is(&self, state: &str) -> bool {
        self.status.as_deref() == Some(state)
    }
}
