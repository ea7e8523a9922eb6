//! The moderation directory: who holds which role in a room, who is muted or banned, slow
//! mode, the audit log, and each account's read markers.
//!
//! The hub is its only caller (`hub::moderation` judges every act, and `hub::rules` caches
//! what it reads here); the embedded engine keeps it in SQLite tables
//! (`store::sqlite::SqliteModeration`), the Redis engine in Redis keys
//! (`cluster::RedisModeration`), so an act taken through one node holds on all. Invariants
//! every engine keeps:
//! - a sanction is one per (scope, subject, kind): imposing it again replaces it;
//! - a read marker only moves forward;
//! - the audit log keeps at most [`AUDIT_KEPT`] entries per scope (each room, and the site,
//!   whose log holds the acts on the whole site: disabling accounts, granting admin,
//!   site-wide sanctions), newest first, with ids that strictly increase per scope;
//! - expired sanctions may be returned (the hub compares `until` with its clock) but an
//!   engine forgets them in time, so the lists stay bounded by what is in force.

use super::{StoreError, accounts::AccountId};
use async_trait::async_trait;
use chinwag_shared::{
    NameKey, RoomName, Username,
    moderation::{AuditEntry, SanctionKind},
};
use std::{collections::BTreeSet, fmt, net::IpAddr};

/// Audit entries kept per room; older ones are forgotten.
pub const AUDIT_KEPT: usize = 10_000;

/// Sanctions kept per scope (a room, or the site); imposing one past it refuses with
/// [`TooManySanctions`], so one moderator cannot grow the store without bound.
pub const SANCTIONS_KEPT: usize = 10_000;

/// Where a sanction or role holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// One room.
    Room(RoomName),
    /// Every room: only site admins impose these.
    Site,
}

impl Scope {
    /// The stored form: the room's name, or `*` (never a room name) for the site.
    pub fn key(&self) -> &str {
        match self {
            Scope::Room(room) => room.as_str(),
            Scope::Site => "*",
        }
    }

    /// Reads the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw == "*" {
            Some(Scope::Site)
        } else {
            RoomName::parse(raw).ok().map(Scope::Room)
        }
    }
}

/// Whom a sanction holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// A signed-in account, on every device and transport.
    Account(AccountId),
    /// A guest name (any guest using a name with this key).
    GuestName(NameKey),
    /// Every guest connecting from this address.
    Address(IpAddr),
}

impl Subject {
    /// The stored form: `a:{id}`, `n:{name key}` or `ip:{address}`; one `:` after the kind.
    pub fn key(&self) -> String {
        match self {
            Subject::Account(id) => format!("a:{id}"),
            Subject::GuestName(key) => format!("n:{}", key.as_str()),
            Subject::Address(address) => format!("ip:{address}"),
        }
    }

    /// Reads the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        let (kind, rest) = raw.split_once(':')?;
        match kind {
            "a" if !rest.is_empty() => Some(Subject::Account(AccountId::new(rest))),
            "n" if !rest.is_empty() => Some(Subject::GuestName(NameKey::from_stored(rest))),
            "ip" => rest.parse().ok().map(Subject::Address),
            _ => None,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// A mute or a ban, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sanction {
    /// Where it holds.
    pub scope: Scope,
    /// Whom it holds.
    pub subject: Subject,
    /// Mute or ban.
    pub kind: SanctionKind,
    /// The name it was imposed on, for listings.
    pub username: Username,
    /// When it ends, Unix ms; `None` until lifted.
    pub until: Option<u64>,
    /// Why (may be empty).
    pub reason: String,
    /// Who imposed it.
    pub by: Username,
    /// When, Unix ms.
    pub created: u64,
}

impl Sanction {
    /// Whether it holds at `now` (Unix ms).
    pub fn in_force(&self, now: u64) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

/// A room's roles, settings and sanctions, read in one go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomRules {
    /// Its owner as set for it (a public room's, given by an admin). A private room's creator
    /// owns it too (`PrivateRoom::owner`); the hub joins the two.
    pub owner: Option<AccountId>,
    /// Its moderators.
    pub moderators: BTreeSet<AccountId>,
    /// Slow mode's interval; 0 when off.
    pub slow_mode_secs: u32,
    /// Its mutes and bans (expired ones perhaps among them).
    pub sanctions: Vec<Sanction>,
}

/// The site's admins and site-wide sanctions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteRules {
    /// Accounts granted admin (`chinwag accounts grant-admin`).
    pub admins: BTreeSet<AccountId>,
    /// Site-wide mutes and bans (expired ones perhaps among them).
    pub sanctions: Vec<Sanction>,
}

/// An audit entry to record; the engine gives it its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    /// The entry, its `id` ignored.
    pub entry: AuditEntry,
}

/// The scope has [`SANCTIONS_KEPT`] sanctions in force already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many mutes and bans here already; lift some first")]
pub struct TooManySanctions;

/// The moderation directory, in both engines.
#[async_trait]
pub trait Moderation: Send + Sync + 'static {
    /// `room`'s owner, moderators, slow mode and sanctions.
    async fn room_rules(&self, room: &RoomName) -> Result<RoomRules, StoreError>;

    /// The site's admins and site-wide sanctions.
    async fn site_rules(&self) -> Result<SiteRules, StoreError>;

    /// Makes `owner` the owner of `room` (replacing any earlier one).
    async fn set_owner(&self, room: &RoomName, owner: &AccountId) -> Result<(), StoreError>;

    /// Adds `account` to, or removes it from, `room`'s moderators; whether that changed
    /// anything.
    async fn set_moderator(
        &self,
        room: &RoomName,
        account: &AccountId,
        moderator: bool,
    ) -> Result<bool, StoreError>;

    /// Grants or revokes site admin; whether that changed anything.
    async fn set_admin(&self, account: &AccountId, admin: bool) -> Result<bool, StoreError>;

    /// Sets `room`'s slow mode (0 turns it off).
    async fn set_slow_mode(&self, room: &RoomName, secs: u32) -> Result<(), StoreError>;

    /// Imposes `sanction`, replacing the one of the same scope, subject and kind.
    async fn impose(&self, sanction: &Sanction)
    -> Result<Result<(), TooManySanctions>, StoreError>;

    /// Lifts the sanction of that scope, subject and kind; whether there was one.
    async fn lift(
        &self,
        scope: &Scope,
        subject: &Subject,
        kind: SanctionKind,
    ) -> Result<bool, StoreError>;

    /// Appends `audit` to the audit log of `scope` (a room's, or the site's for acts on the
    /// whole site), returning its id; keeps the newest [`AUDIT_KEPT`].
    async fn audit(&self, scope: &Scope, audit: NewAudit) -> Result<u64, StoreError>;

    /// Up to `limit` of the entries of `scope`'s audit log with ids below `before` (all
    /// without it), newest first.
    async fn audit_log(
        &self,
        scope: &Scope,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// Moves `account`'s read marker in `room` to `id` if that is forward; returns the
    /// marker after the move.
    async fn set_read_marker(
        &self,
        account: &AccountId,
        room: &RoomName,
        id: u64,
    ) -> Result<u64, StoreError>;

    /// `account`'s read markers, in every room it has one.
    async fn read_markers(&self, account: &AccountId) -> Result<Vec<(RoomName, u64)>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_subjects_read_back_their_stored_form() {
        for scope in [
            Scope::Site,
            Scope::Room(RoomName::parse("general").unwrap()),
        ] {
            assert_eq!(Scope::parse(scope.key()), Some(scope));
        }
        for subject in [
            Subject::Account(AccountId::new("17")),
            Subject::Account(AccountId::new("jwt:a:b")),
            Subject::GuestName(Username::parse("Mallory").unwrap().hold_key()),
            Subject::Address("127.0.0.1".parse().unwrap()),
            Subject::Address("::1".parse().unwrap()),
        ] {
            assert_eq!(Subject::parse(&subject.key()), Some(subject));
        }
        for bad in ["", "a:", "x:1", "ip:nope", "17"] {
            assert_eq!(Subject::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_sanction_holds_until_its_end() {
        let sanction = Sanction {
            scope: Scope::Site,
            subject: Subject::Account(AccountId::new("1")),
            kind: SanctionKind::Mute,
            username: Username::parse("ada").unwrap(),
            until: Some(100),
            reason: String::new(),
            by: Username::parse("mod").unwrap(),
            created: 0,
        };
        assert!(sanction.in_force(99) && !sanction.in_force(100));
        assert!(
            Sanction {
                until: None,
                ..sanction
            }
            .in_force(u64::MAX)
        );
    }
}
