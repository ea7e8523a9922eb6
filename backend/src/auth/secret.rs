//! The secrets the server mints — session tokens and personal access tokens — and the one
//! form in which they are ever stored: a digest.
//!
//! A secret is 256 random bits from the operating system, written as URL-safe base64 behind
//! a prefix that says what it is (`cws_` a session, `cwp_` an access token, `cwk_` a server
//! API key), so a leaked one
//! is recognisable in a log or a repository scan. The store keeps only [`digest`]: SHA-256,
//! in hex. A fast hash is right here (unlike for passwords): a 256-bit secret cannot be
//! guessed, so there is nothing for a slow hash to protect, and lookups stay cheap.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// What a minted secret is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// A browser session.
    Session,
    /// A personal access token.
    AccessToken,
    /// A server API key, for a backend.
    ApiKey,
}

impl SecretKind {
    fn prefix(self) -> &'static str {
        match self {
            SecretKind::Session => "cws_",
            SecretKind::AccessToken => "cwp_",
            SecretKind::ApiKey => "cwk_",
        }
    }
}

/// Bytes of randomness in a secret: 256 bits.
pub const SECRET_BYTES: usize = 32;

/// Longest credential text the server reads (a JWT with a few claims is well under 2 KiB);
/// anything longer is refused unread.
pub const MAX_CREDENTIAL_BYTES: usize = 4096;

/// A fresh secret of `kind` and its digest.
pub fn mint(kind: SecretKind) -> Result<(String, String), getrandom::Error> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes)?;
    let secret = format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes));
    let digest = digest(&secret);
    Ok((secret, digest))
}

/// The stored form of a secret: its SHA-256 in lowercase hex.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// What kind of credential a presented text looks like, by its shape alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One of ours (a session or an access token): look its digest up.
    Minted,
    /// A server API key: look its digest up among the keys.
    ApiKey,
    /// Three dot-separated parts: a JWT.
    Jwt,
    /// Neither.
    Unknown,
}

/// Classifies `presented` without trusting any of it.
pub fn shape(presented: &str) -> Shape {
    if [SecretKind::Session, SecretKind::AccessToken]
        .iter()
        .any(|kind| presented.starts_with(kind.prefix()))
    {
        Shape::Minted
    } else if presented.starts_with(SecretKind::ApiKey.prefix()) {
        Shape::ApiKey
    } else if presented.split('.').count() == 3 {
        Shape::Jwt
    } else {
        Shape::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_secret_is_256_bits_behind_its_prefix_and_never_repeats() {
        let (a, digest_a) = mint(SecretKind::Session).unwrap();
        let (b, _) = mint(SecretKind::Session).unwrap();
        assert!(a.starts_with("cws_"));
        assert_eq!(URL_SAFE_NO_PAD.decode(&a[4..]).unwrap().len(), SECRET_BYTES);
        assert_ne!(a, b);
        assert_eq!(digest_a, digest(&a));
        assert_eq!(digest_a.len(), 64);
        assert!(!digest_a.contains(&a[4..]), "the digest is not the secret");
        let (token, _) = mint(SecretKind::AccessToken).unwrap();
        assert!(token.starts_with("cwp_"));
        let (key, _) = mint(SecretKind::ApiKey).unwrap();
        assert!(key.starts_with("cwk_"));
    }

    #[test]
    fn shapes_are_told_apart_by_form_alone() {
        assert_eq!(shape("cws_abc"), Shape::Minted);
        assert_eq!(shape("cwp_abc"), Shape::Minted);
        assert_eq!(shape("cwk_abc"), Shape::ApiKey);
        assert_eq!(shape("aaa.bbb.ccc"), Shape::Jwt);
        assert_eq!(shape("aaa.bbb"), Shape::Unknown);
        assert_eq!(shape(""), Shape::Unknown);
    }
}
