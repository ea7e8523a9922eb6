//! `chinwag accounts …`: create, list, disable and enable accounts, grant and revoke site
//! admin, from the command line (for the first admin, and for scripts).
//!
//! `create` reads the password from the first line of standard input (so it never shows in
//! `ps` or a shell history), holds it to the sign-up rules (`auth::password::check_rules`)
//! and hashes it with the same Argon2id parameters as sign-up. `list` prints one line per
//! account, tab-separated (name, id, created in RFC 3339 UTC, `admin` or `-`, `disabled` or
//! `-`), which reads in a terminal and splits with `cut -f`. `disable` also revokes every
//! session and token of the account, so a running server stops trusting them within
//! [`crate::auth::SESSION_CACHE_TTL`]; refusing its sign-ins is identity's job (`auth`).

use super::{AdminError, Engine};
use crate::{
    auth::password::{Passwords, check_rules},
    config::AccountsCommand,
    store::accounts::{Account, CredentialKind, MAX_ACCOUNTS_PAGE},
};
use chinwag_shared::{Username, account::MAX_PASSWORD_BYTES};
use std::{
    io::{BufRead, Read, Write},
    time::{SystemTime, UNIX_EPOCH},
};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// Runs `command` on `engine`, reading a password from `input` and writing what to tell the
/// operator to `out`.
pub async fn run(
    engine: &Engine,
    command: &AccountsCommand,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), AdminError> {
    match command {
        AccountsCommand::Create { name, admin } => {
            let password = read_password(input)?;
            create(engine, name, password, *admin, out).await
        }
        AccountsCommand::List { query } => list(engine, query.as_deref(), out).await,
        AccountsCommand::Disable { name } => set_disabled(engine, name, true, out).await,
        AccountsCommand::Enable { name } => set_disabled(engine, name, false, out).await,
        AccountsCommand::GrantAdmin { name } => set_admin(engine, name, true, out).await,
        AccountsCommand::RevokeAdmin { name } => set_admin(engine, name, false, out).await,
    }
}

/// The first line of `input`, without its line ending. At most a little more than the
/// longest password allowed is read, so a stray file piped in is not read whole.
fn read_password(input: &mut dyn BufRead) -> Result<String, AdminError> {
    let mut line = String::new();
    let limit = u64::try_from(MAX_PASSWORD_BYTES + 2).unwrap_or(u64::MAX);
    input.take(limit).read_line(&mut line)?;
    if line.is_empty() {
        return Err(AdminError::NoPassword);
    }
    let password = line.strip_suffix('\n').map_or(line.as_str(), |rest| {
        rest.strip_suffix('\r').unwrap_or(rest)
    });
    Ok(password.to_owned())
}

/// The account named `name`.
async fn find(engine: &Engine, name: &str) -> Result<Account, AdminError> {
    let username = Username::parse(name).map_err(|_| AdminError::BadName(name.to_owned()))?;
    engine
        .directory
        .accounts
        .account_by_key(&username.hold_key())
        .await?
        .ok_or_else(|| AdminError::NoSuchAccount(name.to_owned()))
}

async fn create(
    engine: &Engine,
    name: &str,
    password: String,
    admin: bool,
    out: &mut dyn Write,
) -> Result<(), AdminError> {
    let username = Username::parse(name).map_err(|_| AdminError::BadName(name.to_owned()))?;
    check_rules(&password)?;
    let hash = Passwords::new()?.hash(password).await?;
    let account = engine
        .directory
        .accounts
        .create_account(&username, &hash, now_ms())
        .await?
        .map_err(|_owned| AdminError::NameTaken(name.to_owned()))?;
    if admin {
        engine
            .directory
            .moderation
            .set_admin(&account.id, true)
            .await?;
    }
    let role = if admin { " (site admin)" } else { "" };
    writeln!(out, "created {} with id {}{role}", account.name, account.id)?;
    Ok(())
}

async fn list(engine: &Engine, query: Option<&str>, out: &mut dyn Write) -> Result<(), AdminError> {
    let admins = engine.directory.moderation.site_rules().await?.admins;
    let mut after: Option<String> = None;
    loop {
        let page = engine
            .directory
            .accounts
            .list_accounts(query, after.as_deref(), MAX_ACCOUNTS_PAGE)
            .await?;
        for account in &page {
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}",
                account.name,
                account.id,
                rfc3339(account.created),
                if admins.contains(&account.id) {
                    "admin"
                } else {
                    "-"
                },
                if account.disabled { "disabled" } else { "-" },
            )?;
        }
        match page.last() {
            Some(last) if page.len() == MAX_ACCOUNTS_PAGE => {
                after = Some(last.name.hold_key().as_str().to_owned());
            }
            _ => return Ok(()),
        }
    }
}

async fn set_disabled(
    engine: &Engine,
    name: &str,
    disabled: bool,
    out: &mut dyn Write,
) -> Result<(), AdminError> {
    let account = find(engine, name).await?;
    let accounts = &engine.directory.accounts;
    let changed = accounts.set_disabled(&account.id, disabled).await?;
    if !disabled {
        let said = if changed {
            "is enabled again"
        } else {
            "was not disabled"
        };
        writeln!(out, "{} {said}", account.name)?;
        return Ok(());
    }
    // Revoked even when it was disabled already: a credential made in between (a sign-in
    // racing the first disable) goes too.
    let sessions = accounts
        .revoke_all(&account.id, CredentialKind::Session, None)
        .await?;
    let tokens = accounts
        .revoke_all(&account.id, CredentialKind::AccessToken, None)
        .await?;
    let said = if changed {
        "is disabled now"
    } else {
        "was disabled already"
    };
    writeln!(
        out,
        "{} {said}; {} sessions and {} tokens revoked",
        account.name,
        sessions.len(),
        tokens.len()
    )?;
    Ok(())
}

async fn set_admin(
    engine: &Engine,
    name: &str,
    admin: bool,
    out: &mut dyn Write,
) -> Result<(), AdminError> {
    let account = find(engine, name).await?;
    let changed = engine
        .directory
        .moderation
        .set_admin(&account.id, admin)
        .await?;
    let said = match (admin, changed) {
        (true, true) => "is a site admin now",
        (true, false) => "was a site admin already",
        (false, true) => "is no longer a site admin",
        (false, false) => "was not a site admin",
    };
    writeln!(out, "{} {said}", account.name)?;
    Ok(())
}

/// Unix milliseconds as RFC 3339 in UTC (`2026-12-03T00:25:41.123Z`); the number itself if it
/// is out of range.
fn rfc3339(ms: u64) -> String {
    i128::from(ms)
        .checked_mul(1_000_000)
        .and_then(|nanos| OffsetDateTime::from_unix_timestamp_nanos(nanos).ok())
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_the_first_line_without_its_ending() {
        let read = |raw: &str| read_password(&mut raw.as_bytes());
        assert_eq!(read("correct horse\nsecond").unwrap(), "correct horse");
        assert_eq!(read("windows line\r\n").unwrap(), "windows line");
        assert_eq!(read("no newline").unwrap(), "no newline");
        assert!(matches!(read(""), Err(AdminError::NoPassword)));
        let long = "x".repeat(MAX_PASSWORD_BYTES * 4);
        let cut = read(&long).unwrap();
        assert!(cut.len() <= MAX_PASSWORD_BYTES + 2, "never read whole");
        assert!(check_rules(&cut).is_err(), "and refused as too long");
    }

    #[test]
    fn creation_times_read_as_rfc_3339_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_720_341_123), "2025-12-03T00:05:41.123Z");
    }
}
