//! The directory's Redis key names, built only here, all in the `chinwag:` namespace.
//!
//! The directory's modules and the log's append script (which must know a room is private to
//! keep it off the public room list) take their key names from these functions. Each name is
//! a fixed prefix and one variable part at its end (an id, a digest, a name key or a room), so
//! two different values never share a key, whatever text an account id holds (`jwt:{sub}`).
//! The `//!` of [`super`] says what each key holds.

use crate::{cluster::keyspace, store::accounts::CredentialKind};
use chinwag_shared::{NameKey, RoomName};

/// The counter `INCR` draws account ids from.
pub fn last_account_id() -> String {
    format!("{}accounts:last-id", keyspace::directory())
}

/// Every account's name key, in a sorted set at score 0, so a lexicographic range walks the
/// accounts in name key order (see `super::listing`).
pub fn accounts_by_key() -> String {
    format!("{}accounts:by-key", keyspace::directory())
}

/// Prefix of the per-account hashes; the sign-up script appends the id it drew.
pub fn account_prefix() -> String {
    format!("{}account:", keyspace::directory())
}

/// Prefix of the per-credential hashes; scripts that walk an account's credentials append
/// each digest.
pub fn credential_prefix() -> String {
    format!("{}credential:", keyspace::directory())
}

/// Who owns a name: the account id, under the name's folded [`NameKey`].
pub fn name(key: &NameKey) -> String {
    format!("{}name:{}", keyspace::directory(), key.as_str())
}

/// An account's hash.
pub fn account(id: &str) -> String {
    format!("{}{id}", account_prefix())
}

/// A credential's hash, by the digest of its secret.
pub fn credential(digest: &str) -> String {
    format!("{}{digest}", credential_prefix())
}

/// The digests of an account's credentials of one kind.
pub fn credentials_of(account: &str, kind: CredentialKind) -> String {
    match kind {
        CredentialKind::Session => format!("{}sessions:{account}", keyspace::directory()),
        CredentialKind::AccessToken => format!("{}tokens:{account}", keyspace::directory()),
    }
}

/// A private room's hash (owner, whether a DM); its existence is what makes the room private.
pub fn private_room(room: &RoomName) -> String {
    format!("chinwag:private:{}", keyspace::room(room))
}

/// A private room's members.
pub fn members(room: &RoomName) -> String {
    format!("chinwag:members:{}", keyspace::room(room))
}

/// The private rooms an account is a member of.
pub fn rooms_of(account: &str) -> String {
    format!("{}member-of:{account}", keyspace::directory())
}

/// The server API's keys: a hash of key id → the digest of its secret. Its length is what
/// the key bound counts.
pub fn api_keys() -> String {
    format!("{}api-keys", keyspace::directory())
}

/// Prefix of the per-key hashes; the create script appends the digest.
pub fn api_key_prefix() -> String {
    format!("{}api-key:", keyspace::directory())
}

/// An API key's hash (id, name, scopes, created_by, created), by the digest of its secret.
pub fn api_key(digest: &str) -> String {
    format!("{}{digest}", api_key_prefix())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::Username;

    #[test]
    fn look_alike_names_share_one_name_key() {
        let latin = Username::parse("alice").unwrap();
        // All Cyrillic: one Cyrillic letter among Latin ones is refused as mixed scripts.
        let cyrillic = Username::parse("\u{430}\u{4CF}\u{456}\u{441}\u{435}").unwrap();
        let upper = Username::parse("ALICE").unwrap();
        assert_eq!(name(&latin.hold_key()), name(&cyrillic.hold_key()));
        assert_eq!(name(&latin.hold_key()), name(&upper.hold_key()));
    }

    #[test]
    fn each_kind_of_credential_has_its_own_index() {
        assert_eq!(
            credentials_of("17", CredentialKind::Session),
            "chinwag:sessions:17"
        );
        assert_eq!(
            credentials_of("17", CredentialKind::AccessToken),
            "chinwag:tokens:17"
        );
        assert_eq!(account("17"), "chinwag:account:17");
        assert_eq!(credential("ab"), "chinwag:credential:ab");
    }
}
