//! The export format: JSON lines, one object per line, each tagged by `"kind"`.
//!
//! ```text
//! {"kind":"header","format":"chinwag-export","version":1}
//! {"kind":"account","id":"1","name":"Ada","password_hash":"$argon2id$…","created":1764720341123,"admin":true}
//! {"kind":"room","room":"general","moderators":[{"account":"Ada"}],"slow_mode_secs":30}
//! {"kind":"record","id":1,"room":"general","username":"Ada","message":"hi","ts":…,"guest":false}
//! {"kind":"room","room":"secret","private":{"owner":{"account":"Ada"},"members":[…],"dm":false}}
//! …
//! ```
//!
//! The header comes first; then every account; then every room, in name order, each followed
//! by its records in id order. A record is a [`ChatRecord`] exactly as the store's pages hold
//! it: a message in its current state (edited text and `edited`, or a tombstone with no text)
//! and every change record, so a deleted message's text is nowhere in an export. No
//! `client_id` is exported. Accounts keep their ids (a direct message's room name is a digest
//! of its members' ids); rooms name people by account name ([`Member::Account`]), which reads
//! better, and a JWT identity, which has no account, by its id ([`Member::External`]). Credentials (sessions, tokens), sanctions, audit logs and read
//! markers are not part of it. A later version of the format adds fields (readers ignore
//! unknown ones) or raises [`VERSION`].

use chinwag_shared::{ChatRecord, RoomName, Username};
use serde::{Deserialize, Serialize};

/// The header's `format`.
pub const FORMAT: &str = "chinwag-export";

/// The header's `version`: what this build writes and the only one it reads.
pub const VERSION: u32 = 1;

/// The longest line an import reads: a record is at most a few times its 4,000-character
/// message once escaped; a room line lists its members, so a big private room's is the
/// longest line there is.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// One line of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Line {
    /// The first line.
    Header(Header),
    /// An account.
    Account(AccountLine),
    /// A room, before its records.
    Room(RoomLine),
    /// One record of the room of the last room line.
    Record(ChatRecord),
}

/// What the export is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`] when written.
    pub version: u32,
}

impl Header {
    /// The header this build writes.
    pub fn current() -> Self {
        Self {
            format: FORMAT.to_owned(),
            version: VERSION,
        }
    }
}

/// An account, with what signs it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLine {
    /// Its id (decimal digits). Kept across engines: a direct message's room name is made
    /// from its members' ids.
    pub id: String,
    /// Its name as chosen at sign-up.
    pub name: Username,
    /// The Argon2id PHC string of its password.
    pub password_hash: String,
    /// When it was made, Unix milliseconds.
    pub created: u64,
    /// Whether it is a site admin.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
    /// Whether an operator disabled it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
}

/// Someone a room names (owner, moderator, member).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Member {
    /// An account, by name.
    Account(Username),
    /// An identity without an account: a JWT's `jwt:{sub}`.
    External(String),
}

/// A room: who may enter it, and its roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomLine {
    /// Its name.
    pub room: RoomName,
    /// Present for a private room or a direct message; absent for a public room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<PrivateLine>,
    /// Its owner as set for it (a public room's, given by an admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Member>,
    /// Its moderators.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moderators: Vec<Member>,
    /// Slow mode's interval; 0 when off.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub slow_mode_secs: u32,
}

/// Who may enter a private room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateLine {
    /// Who adds and removes members; none for a direct message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Member>,
    /// Everyone who may enter, the owner included.
    pub members: Vec<Member>,
    /// Whether it is a direct message between its two members.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dm: bool,
}

fn is_zero(secs: &u32) -> bool {
    *secs == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_one_json_object_tagged_by_kind_and_reads_back() {
        let header = serde_json::to_string(&Line::Header(Header::current())).unwrap();
        assert_eq!(
            header,
            r#"{"kind":"header","format":"chinwag-export","version":1}"#
        );
        let room = Line::Room(RoomLine {
            room: RoomName::parse("secret").unwrap(),
            private: Some(PrivateLine {
                owner: Some(Member::Account(Username::parse("Ada").unwrap())),
                members: vec![
                    Member::Account(Username::parse("Ada").unwrap()),
                    Member::External("jwt:42".to_owned()),
                ],
                dm: false,
            }),
            owner: None,
            moderators: Vec::new(),
            slow_mode_secs: 0,
        });
        let json = serde_json::to_string(&room).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"room","room":"secret","private":{"owner":{"account":"Ada"},"members":[{"account":"Ada"},{"external":"jwt:42"}]}}"#
        );
        assert_eq!(serde_json::from_str::<Line>(&json).unwrap(), room);
        let record = r#"{"kind":"record","id":2,"room":"secret","username":"Ada","message":"","ts":5,"guest":false,"deleted":{"id":3}}"#;
        let Line::Record(record) = serde_json::from_str::<Line>(record).unwrap() else {
            panic!("a record line");
        };
        assert_eq!((record.id, record.deleted.map(|d| d.id)), (2, Some(3)));
        assert!(serde_json::from_str::<Line>(r#"{"kind":"nonsense"}"#).is_err());
    }
}
