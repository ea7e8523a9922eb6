//! JWTs from the application Chinwag is embedded in: verified with the operator's key, never
//! trusted for their own `alg`.
//!
//! The operator configures one key: an HMAC secret (HS256) or a public key in a PEM file, whose
//! type decides the algorithm (RSA → RS256, P-256 → ES256, Ed25519 → EdDSA). A token is
//! accepted only if its header names exactly that algorithm, so `alg: none` and a token signed
//! with the wrong kind of key (the HS256-with-the-public-key trick) are refused outright. `exp`
//! and `sub` are required; `nbf` is checked when present; [`LEEWAY_SECS`] absorbs clock skew.
//!
//! Claims: `sub` (the user; the account id is `jwt:{sub}`), `name` (shown; `sub` if absent),
//! `exp`, and the optional `rooms` (private rooms it may enter) and `role`.

use super::Identity;
use crate::store::accounts::AccountId;
use chinwag_shared::{RoomName, Username, account::AuthMethod};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde::Deserialize;
use std::{
    path::Path,
    time::{Duration, UNIX_EPOCH},
};

/// Seconds of clock skew forgiven on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 5;

/// Why a JWT key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum JwtKeyError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a PEM public key of a supported type.
    #[error("{path} is not a PEM public key of RSA, P-256 or Ed25519")]
    NotAKey {
        /// The file.
        path: String,
    },
    /// The file holds a private key; the server needs only the public one.
    #[error("{path} holds a private key; give the server the public key alone")]
    PrivateKey {
        /// The file.
        path: String,
    },
    /// Both a secret and a public key were given; a server verifies with one key.
    #[error("give either an HS256 secret or a public key, not both")]
    Both,
    /// The HMAC secret is too short to be one.
    #[error("the HS256 secret must have at least {MIN_SECRET_BYTES} bytes")]
    ShortSecret,
}

/// Fewest bytes of an HS256 secret (its hash's width: 256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

/// Why a presented JWT is refused. Every variant is a 401; the distinction is for logs.
#[derive(Debug, thiserror::Error)]
#[error("jwt refused: {0}")]
pub struct JwtRefused(#[from] jsonwebtoken::errors::Error);

/// The claims Chinwag reads.
#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    name: Option<String>,
    exp: u64,
    #[serde(default)]
    rooms: Vec<String>,
    #[serde(default)]
    role: Option<String>,
}

/// Verifies JWTs with one key.
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("JwtVerifier")
            .field("algorithms", &self.validation.algorithms)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// A verifier of HS256 tokens signed with `secret`.
    pub fn hs256(secret: &[u8]) -> Result<Self, JwtKeyError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(JwtKeyError::ShortSecret);
        }
        Ok(Self::new(
            DecodingKey::from_secret(secret),
            Algorithm::HS256,
        ))
    }

    /// A verifier with the public key in the PEM file at `path`; its type picks the algorithm.
    pub fn public_key(path: &Path) -> Result<Self, JwtKeyError> {
        let shown = path.display().to_string();
        let pem = std::fs::read(path).map_err(|source| JwtKeyError::Read {
            path: shown.clone(),
            source,
        })?;
        // A private key would verify too (its public half is inside), but it has no business
        // on this server: refuse it, so it is not left lying in the server's config.
        if pem
            .windows(b"PRIVATE KEY".len())
            .any(|window| window == b"PRIVATE KEY")
        {
            return Err(JwtKeyError::PrivateKey { path: shown });
        }
        if let Ok(key) = DecodingKey::from_ed_pem(&pem) {
            Ok(Self::new(key, Algorithm::EdDSA))
        } else if let Ok(key) = DecodingKey::from_ec_pem(&pem) {
            Ok(Self::new(key, Algorithm::ES256))
        } else if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
            Ok(Self::new(key, Algorithm::RS256))
        } else {
            Err(JwtKeyError::NotAKey { path: shown })
        }
    }

    fn new(key: DecodingKey, algorithm: Algorithm) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self { key, validation }
    }

    /// The algorithm tokens must be signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.validation.algorithms[0]
    }

    /// The identity `token` proves, if its signature, algorithm and times check out and its
    /// claims are valid names.
    pub fn verify(&self, token: &str) -> Result<Identity, JwtRefused> {
        use jsonwebtoken::errors::ErrorKind;
        let claims = decode::<Claims>(token, &self.key, &self.validation)?.claims;
        let invalid =
            || JwtRefused::from(jsonwebtoken::errors::Error::from(ErrorKind::InvalidToken));
        if claims.sub.is_empty() || claims.sub.len() > 256 {
            return Err(invalid());
        }
        let name = Username::parse(claims.name.as_deref().unwrap_or(&claims.sub))
            .map_err(|_| invalid())?;
        Ok(Identity {
            account: AccountId::new(format!("jwt:{}", claims.sub)),
            name,
            method: AuthMethod::Jwt,
            // The moment the server stops accepting it (the leeway included), so a connection
            // closes exactly when a reconnect with the same token would be refused.
            expires: Some(UNIX_EPOCH + Duration::from_secs(claims.exp.saturating_add(LEEWAY_SECS))),
            grants: claims
                .rooms
                .iter()
                .filter_map(|room| RoomName::parse(room).ok())
                .collect(),
            role: claims.role,
            credential: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_key_is_refused_before_it_is_read_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(
            &path,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        assert!(matches!(
            JwtVerifier::public_key(&path),
            Err(JwtKeyError::PrivateKey { .. })
        ));
    }

    #[test]
    fn a_short_secret_is_no_hmac_key() {
        assert!(matches!(
            JwtVerifier::hs256(b"too short"),
            Err(JwtKeyError::ShortSecret)
        ));
        let verifier = JwtVerifier::hs256(&[7; MIN_SECRET_BYTES]).unwrap();
        assert_eq!(verifier.algorithm(), Algorithm::HS256);
    }
}
