//! Passwords: Argon2id hashes, the rules a new password must meet, and verification that
//! takes as long for an unknown account as for a wrong password.
//!
//! The parameters are OWASP's first recommendation for Argon2id (19 MiB of memory, two
//! passes, one lane); `docs/operations.md` gives their cost on our machine. Hashing is CPU-
//! and memory-bound, so it runs on the blocking pool, never on a runtime thread, and at most
//! [`CONCURRENT_HASHES`] at once: a flood of sign-ins queues (and is rate-limited before it
//! gets here) instead of taking 19 MiB per request.

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};
use chinwag_shared::account::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Argon2id memory cost, KiB (OWASP: 19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Argon2id passes (OWASP: 2 with 19 MiB).
pub const ITERATIONS: u32 = 2;
/// Argon2id lanes (OWASP: 1).
pub const LANES: u32 = 1;
/// Hashes computed at once, at most; the rest wait their turn.
pub const CONCURRENT_HASHES: usize = 2;

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The hasher failed (out of memory, a bad stored hash).
    #[error("argon2: {0}")]
    Hash(String),
    /// The blocking task could not run.
    #[error("hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The hashing queue is shut.
    #[error("hashing queue closed")]
    Closed,
}

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// More than [`MAX_PASSWORD_BYTES`] bytes.
    #[error("a password may have at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
}

/// Checks the rules a new password must meet. Any character is allowed (a passphrase with
/// spaces or emoji is a good one); only the length is judged.
pub fn check_rules(password: &str) -> Result<(), WeakPassword> {
    if password.len() > MAX_PASSWORD_BYTES {
        Err(WeakPassword::TooLong)
    } else if password.chars().count() < MIN_PASSWORD_CHARS {
        Err(WeakPassword::TooShort)
    } else {
        Ok(())
    }
}

/// Hashes and verifies passwords, a few at a time.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// A hash of a password nobody has: checked against when the account does not exist, so
    /// "no such user" costs the same time as "wrong password".
    decoy: Arc<str>,
}

fn hasher() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .map_err(|err| PasswordError::Hash(err.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(password: &[u8]) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| PasswordError::Hash(err.to_string()))
}

impl Passwords {
    /// A hasher with its decoy made (one hash, at start-up).
    pub fn new() -> Result<Self, PasswordError> {
        Ok(Self {
            permits: Arc::new(Semaphore::new(CONCURRENT_HASHES)),
            decoy: hash_now(b"the decoy: no account has this password")?.into(),
        })
    }

    /// The PHC string of `password` with a fresh salt.
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Closed)?;
        tokio::task::spawn_blocking(move || hash_now(password.as_bytes())).await?
    }

    /// Whether `password` matches `stored`; with no stored hash (no such account), checks
    /// against the decoy and says no, in the same time. The comparison inside is constant
    /// time (the `argon2` crate's).
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Closed)?;
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.decoy.to_string());
        let matched = tokio::task::spawn_blocking(move || -> Result<bool, PasswordError> {
            let parsed =
                PasswordHash::new(&stored).map_err(|err| PasswordError::Hash(err.to_string()))?;
            Ok(hasher()?
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
        })
        .await??;
        Ok(known && matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_length_is_judged() {
        assert_eq!(check_rules("short"), Err(WeakPassword::TooShort));
        assert_eq!(check_rules("ééééééé"), Err(WeakPassword::TooShort));
        assert_eq!(check_rules("correct horse"), Ok(()));
        assert_eq!(check_rules("🐴🐴🐴🐴🐴🐴🐴🐴"), Ok(()));
        let huge = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert_eq!(check_rules(&huge), Err(WeakPassword::TooLong));
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other_and_is_argon2id() {
        let passwords = Passwords::new().unwrap();
        let hash = passwords.hash("correct horse".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains("correct horse"));
        assert!(
            passwords
                .verify("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("wrong horse".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("the decoy: no account has this password".into(), None)
                .await
                .unwrap(),
            "the decoy's own password signs nobody in"
        );
    }
}
