//! Who a `client_id` belongs to: the scope in which a retry counts as a duplicate.
//!
//! A `client_id` is the author's own name for one message, not a room-wide key: Mallory using
//! Vic's next id must not turn Vic's send into a "retry" answered with Mallory's record
//! (issue 12). So the store's dedupe key is (room, [`Author`], `client_id`). Sessions and the
//! HTTP API make an `Author` from what the client presented: its token when it gave one (the
//! browser keeps one per browser, so a reconnect or a second tab is the same author), else
//! the username (the terminal client); a signed-in account is its account, on every device.
//!
//! [`Author::key`] is the one stored form, used by both engines (a SQLite column, a part of
//! a Redis key). Invariant: a key holds exactly one `:`, after its kind, so a Redis key
//! `…:{author}:{client_id}` splits one way only. Tokens are secrets a client uses to keep its
//! name, so only a digest of one is ever stored.

use chinwag_shared::{ClientToken, Username};
use sha2::{Digest, Sha256};
use std::fmt;

/// The first [`TOKEN_DIGEST_BYTES`] of `text`'s SHA-256, in hex.
fn hex_digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(TOKEN_DIGEST_BYTES)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The author of a message, as far as idempotency is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Author {
    key: String,
}

/// Bytes of the token's SHA-256 kept in its key: 128 bits, so two browsers' tokens never
/// share a key by accident, and nobody can aim at a key without the token itself.
const TOKEN_DIGEST_BYTES: usize = 16;

impl Author {
    /// The client that presented `token` (every connection and post of one browser).
    pub fn token(token: &ClientToken) -> Self {
        Self {
            key: format!("token:{}", hex_digest(token.as_str())),
        }
    }

    /// A client known only by the name it posts under (no token).
    pub fn name(username: &Username) -> Self {
        // Usernames hold letters, digits, space, `_`, `-` and `.`: never a `:`.
        Self {
            key: format!("name:{username}"),
        }
    }

    /// A signed-in account: every device and connection of one person. A built-in account's
    /// id is digits and is kept as it is; a JWT identity's (`jwt:{sub}`, any text) is kept as
    /// a digest, so the key still holds one `:`.
    pub fn account(account: &crate::store::accounts::AccountId) -> Self {
        let id = account.as_str();
        let key = if id.bytes().all(|b| b.is_ascii_digit()) {
            format!("account:{id}")
        } else {
            format!("account:{}", hex_digest(id))
        };
        Self { key }
    }

    /// A backend posting with a server API key: every bot and system message of one key.
    /// A key id is hex digits, kept as it is (so the key holds one `:`).
    pub fn api_key(id: &str) -> Self {
        let key = if id.bytes().all(|b| b.is_ascii_hexdigit()) {
            format!("key:{id}")
        } else {
            format!("key:{}", hex_digest(id))
        };
        Self { key }
    }

    /// Whoever posts with `token` if there is one, else as `username`.
    pub fn of(token: Option<&ClientToken>, username: &Username) -> Self {
        token.map_or_else(|| Self::name(username), Self::token)
    }

    /// The stored form, e.g. `token:5f0c…` or `name:alice`.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for Author {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(raw: &str) -> ClientToken {
        ClientToken::parse(raw).unwrap()
    }

    fn name(raw: &str) -> Username {
        Username::parse(raw).unwrap()
    }

    #[test]
    fn a_token_makes_the_author_whatever_name_it_posts_under() {
        assert_eq!(
            Author::of(Some(&token("t-1")), &name("ada")),
            Author::of(Some(&token("t-1")), &name("bob"))
        );
        assert_ne!(
            Author::of(Some(&token("t-1")), &name("ada")),
            Author::of(Some(&token("t-2")), &name("ada"))
        );
    }

    #[test]
    fn without_a_token_the_name_is_the_author_and_never_a_tokens_key() {
        assert_eq!(Author::of(None, &name("ada")).key(), "name:ada");
        assert_ne!(
            Author::of(None, &name("ada")),
            Author::of(Some(&token("ada")), &name("ada"))
        );
    }

    #[test]
    fn a_key_holds_one_colon_and_never_the_token_itself() {
        let secret = "my:secret:token";
        let keys = [
            Author::token(&token(secret)),
            Author::name(&name("Zoë O.Neil-2")),
        ];
        for author in keys {
            assert_eq!(author.key().matches(':').count(), 1, "{author}");
            assert!(!author.key().contains("secret"), "{author}");
        }
        assert_eq!(Author::token(&token("x")).key().len(), "token:".len() + 32);
    }
}
