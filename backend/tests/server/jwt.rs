//! JWT fixtures for the identity tests: key pairs made by `openssl` at test time, and tokens
//! minted with them (or deliberately broken).
//!
//! Keys are written into the test's temp dir, so nothing secret is committed and every run
//! uses fresh keys. The server is given the public half (`--jwt-public-key`) or an HS256
//! secret (`--jwt-hs256-secret`); tests sign with the private half through `jsonwebtoken`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{SystemTime, UNIX_EPOCH},
};

/// A key type the server can verify with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Rsa,
    P256,
    Ed25519,
}

impl KeyType {
    fn genpkey_args(self) -> &'static [&'static str] {
        match self {
            KeyType::Rsa => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            KeyType::P256 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeyType::Ed25519 => &["-algorithm", "ed25519"],
        }
    }

    /// The algorithm the server expects for this key type.
    pub fn algorithm(self) -> Algorithm {
        match self {
            KeyType::Rsa => Algorithm::RS256,
            KeyType::P256 => Algorithm::ES256,
            KeyType::Ed25519 => Algorithm::EdDSA,
        }
    }
}

/// A key pair on disk: the public PEM for the server, the private one for signing.
pub struct KeyPair {
    pub kind: KeyType,
    pub public_pem: PathBuf,
    private: Vec<u8>,
}

fn openssl(args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {args:?}");
}

impl KeyPair {
    /// A fresh key pair of `kind` in `dir`, its files named after `label`.
    pub fn generate(dir: &Path, kind: KeyType, label: &str) -> KeyPair {
        let private = dir.join(format!("{label}-private.pem"));
        let public_pem = dir.join(format!("{label}-public.pem"));
        let private_arg = private.to_str().expect("a UTF-8 path");
        let mut args = vec!["genpkey"];
        args.extend(kind.genpkey_args());
        args.extend(["-out", private_arg]);
        openssl(&args);
        let public_arg = public_pem.to_str().expect("a UTF-8 path");
        openssl(&["pkey", "-in", private_arg, "-pubout", "-out", public_arg]);
        KeyPair {
            kind,
            public_pem,
            private: std::fs::read(&private).expect("the private key"),
        }
    }

    /// `claims` signed with this pair's private key, under its own algorithm.
    pub fn sign(&self, claims: &Value) -> String {
        let key = match self.kind {
            KeyType::Rsa => EncodingKey::from_rsa_pem(&self.private),
            KeyType::P256 => EncodingKey::from_ec_pem(&self.private),
            KeyType::Ed25519 => EncodingKey::from_ed_pem(&self.private),
        }
        .expect("a private key jsonwebtoken reads");
        let header = Header::new(self.kind.algorithm());
        jsonwebtoken::encode(&header, claims, &key).expect("signed")
    }

    /// The public key's PEM text: what an attacker can read, used as an HMAC secret.
    pub fn public_pem_bytes(&self) -> Vec<u8> {
        std::fs::read(&self.public_pem).expect("the public key")
    }
}

/// `claims` signed with HMAC-SHA256 under `secret`.
pub fn sign_hs256(secret: &[u8], claims: &Value) -> String {
    let key = EncodingKey::from_secret(secret);
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).expect("signed")
}

/// Seconds since the epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// Claims for `sub`, valid from now for `lifetime_secs`.
pub fn claims(sub: &str, lifetime_secs: u64) -> Value {
    json!({"sub": sub, "name": sub, "exp": now_secs() + lifetime_secs})
}

/// An unsigned token (`alg: none`) carrying `claims`: header and payload, empty signature.
pub fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

/// `token` with one byte of its signature changed.
pub fn flip_signature_byte(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').expect("three parts");
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
    bytes[0] ^= 0x01;
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `token` with its payload replaced by `claims`, the old signature kept.
pub fn swap_payload(token: &str, claims: &Value) -> String {
    let mut parts = token.split('.');
    let header = parts.next().expect("a header");
    let signature = parts.nth(1).expect("a signature");
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.{signature}")
}
