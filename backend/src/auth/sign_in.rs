//! Accounts' own operations: sign up (within the address's budget), sign in (within the
//! lockouts, in the same time for an unknown name as for a wrong password), sign out here or
//! everywhere, and change the password. Each is a method of [`Auth`]; routes call them.

use super::{Auth, AuthError, Identity, at_ms, lock, now_ms, password, secret};
use crate::{
    rate_limit::TokenBucket,
    store::accounts::{Account, AccountId, CredentialKind, NameOwned, NewCredential},
};
use chinwag_shared::{NameKey, Username, account::AuthMethod};
use secret::SecretKind;
use std::{
    net::IpAddr,
    sync::Arc,
    time::{Duration, Instant},
};

impl Auth {
    /// Signs up `name` with `password` and signs it in: the new account's identity and
    /// session secret.
    pub async fn sign_up(
        &self,
        address: IpAddr,
        name: &str,
        password: String,
    ) -> Result<(Arc<Identity>, String), AuthError> {
        let name = Username::parse(name)?;
        password::check_rules(&password)?;
        self.spend_sign_up(address)?;
        // A cheap look first, so a taken name does not cost a hash; the insert decides.
        if self
            .accounts
            .account_by_key(&name.hold_key())
            .await?
            .is_some()
        {
            return Err(NameOwned.into());
        }
        let hash = self.passwords.hash(password).await?;
        let account = self
            .accounts
            .create_account(&name, &hash, now_ms())
            .await??;
        lock(&self.names).insert(name.clone(), (true, Instant::now()));
        tracing::info!(account = %account.id, "account created");
        self.start_session(&account).await
    }

    /// Takes one sign-up from `address`'s budget, or says how long until the next.
    fn spend_sign_up(&self, address: IpAddr) -> Result<(), AuthError> {
        let per_hour = self.settings.sign_ups_per_hour.max(1);
        let now = Instant::now();
        let mut budgets = lock(&self.sign_ups);
        let bucket = budgets.entry(address, now, || {
            TokenBucket::full(f64::from(per_hour), f64::from(per_hour) / 3600.0, now)
        });
        if bucket.take(now) {
            Ok(())
        } else {
            Err(AuthError::Locked(
                Duration::from_secs(3600 / u64::from(per_hour)).max(Duration::from_secs(1)),
            ))
        }
    }

    /// Signs `name` in from `address`, within the lockouts.
    pub async fn sign_in(
        &self,
        address: IpAddr,
        name: &str,
        password: String,
    ) -> Result<(Arc<Identity>, String), AuthError> {
        // An invalid name is a wrong name: the same answer, and it is throttled the same way.
        let key = Username::parse(name).map(|name| name.hold_key());
        let throttle_key = key.as_ref().map_or("", NameKey::as_str).to_owned();
        if let Some(wait) = self.throttle.locked(address, &throttle_key, Instant::now()) {
            return Err(AuthError::Locked(wait));
        }
        if password.len() > chinwag_shared::account::MAX_PASSWORD_BYTES {
            self.throttle.failed(address, &throttle_key, Instant::now());
            return Err(AuthError::BadCredentials);
        }
        let account = match &key {
            Ok(key) => self.accounts.account_by_key(key).await?,
            Err(_) => None,
        };
        let stored = account
            .as_ref()
            .map(|account| account.password_hash.clone());
        if !self.passwords.verify(password, stored).await? {
            self.throttle.failed(address, &throttle_key, Instant::now());
            return Err(AuthError::BadCredentials);
        }
        let Some(account) = account else {
            return Err(AuthError::BadCredentials);
        };
        self.throttle.succeeded(&throttle_key);
        // Told only to whoever knows the password: a wrong one says nothing of it.
        if account.disabled {
            return Err(AuthError::Disabled);
        }
        let (identity, secret) = self.start_session(&account).await?;
        // Disabled while the password was being checked: its credentials were revoked
        // before this one existed, so this one goes too.
        if self
            .accounts
            .account(&account.id)
            .await?
            .is_none_or(|now| now.disabled)
        {
            self.sign_out(&identity).await?;
            return Err(AuthError::Disabled);
        }
        Ok((identity, secret))
    }

    async fn start_session(&self, account: &Account) -> Result<(Arc<Identity>, String), AuthError> {
        let (secret, digest) = secret::mint(SecretKind::Session)?;
        let created = now_ms();
        let ttl_ms = u64::try_from(self.settings.session_ttl.as_millis()).unwrap_or(u64::MAX);
        let expires = created.saturating_add(ttl_ms);
        self.accounts
            .create_credential(NewCredential {
                digest: digest.clone(),
                account: account.id.clone(),
                kind: CredentialKind::Session,
                name: String::new(),
                created,
                expires: Some(expires),
            })
            .await?;
        let identity = Arc::new(Identity {
            account: account.id.clone(),
            name: account.name.clone(),
            method: AuthMethod::Session,
            expires: Some(at_ms(expires)),
            grants: Vec::new(),
            role: None,
            credential: Some(digest.clone()),
        });
        // The browser's next request (its upgrade, usually) finds it without a store read.
        self.remember(digest, Arc::clone(&identity), Instant::now());
        Ok((identity, secret))
    }

    /// Signs out the session or token `identity` came with.
    pub async fn sign_out(&self, identity: &Identity) -> Result<(), AuthError> {
        if let Some(digest) = &identity.credential {
            self.accounts.revoke_credential(digest).await?;
            lock(&self.sessions).remove(digest);
        }
        Ok(())
    }

    /// Signs out every session of `identity`'s account (access tokens stay; they are revoked
    /// one by one), except `keep`.
    pub async fn sign_out_sessions(
        &self,
        account: &AccountId,
        keep: Option<&str>,
    ) -> Result<(), AuthError> {
        let gone = self
            .accounts
            .revoke_all(account, CredentialKind::Session, keep)
            .await?;
        let mut sessions = lock(&self.sessions);
        for digest in gone {
            sessions.remove(&digest);
        }
        Ok(())
    }

    /// Revokes every session and access token of `account` (disabled, or signed out
    /// everywhere by an admin), and forgets them here. Its open connections are the hub's
    /// to end (`Hub::end_connections_of`).
    pub async fn revoke_everything(&self, account: &AccountId) -> Result<(), AuthError> {
        let mut gone = Vec::new();
        for kind in [CredentialKind::Session, CredentialKind::AccessToken] {
            gone.extend(self.accounts.revoke_all(account, kind, None).await?);
        }
        let mut sessions = lock(&self.sessions);
        for digest in gone {
            sessions.remove(&digest);
        }
        Ok(())
    }

    /// Changes `identity`'s password after checking the current one (throttled like a
    /// sign-in), and signs out its other sessions.
    pub async fn change_password(
        &self,
        address: IpAddr,
        identity: &Identity,
        current: String,
        new: String,
    ) -> Result<(), AuthError> {
        password::check_rules(&new)?;
        let key = identity.name.hold_key();
        if let Some(wait) = self.throttle.locked(address, key.as_str(), Instant::now()) {
            return Err(AuthError::Locked(wait));
        }
        let Some(account) = self.accounts.account(&identity.account).await? else {
            return Err(AuthError::Unauthenticated(
                "this account has no password here",
            ));
        };
        if current.len() > chinwag_shared::account::MAX_PASSWORD_BYTES
            || !self
                .passwords
                .verify(current, Some(account.password_hash))
                .await?
        {
            self.throttle.failed(address, key.as_str(), Instant::now());
            return Err(AuthError::BadCredentials);
        }
        let hash = self.passwords.hash(new).await?;
        self.accounts.set_password(&account.id, &hash).await?;
        self.sign_out_sessions(&account.id, identity.credential.as_deref())
            .await
    }
}
