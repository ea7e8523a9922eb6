//! What holds in a room right now: who owns and moderates it, its slow mode, and the mutes and
//! bans in force there and site-wide, read from the moderation directory and cached briefly.
//!
//! Every check the hub makes on the hot path (each join, each post, each page read) asks
//! [`RulesCache::room`], which answers from memory for [`RULES_TTL`] after a read, so a busy
//! room costs one directory read per node per TTL, not one per message. An act taken through
//! this node forgets the cached rules at once; another node's act is seen here within the TTL.
//! Acts that must bite at once everywhere (a ban, a kick) also reach the live connections
//! through fan-out (`hub::moderation`), and every connection asks again at each heartbeat.
//! Bound: at most [`ROOMS_CACHED`] rooms are held; past it, stale entries are dropped, and if
//! every entry is fresh, the cache starts afresh.

use crate::{
    auth::Principal,
    store::{
        StoreError,
        accounts::{AccountId, RoomAccess},
        moderation::{Moderation, RoomRules, Sanction, SiteRules, Subject},
    },
};
use chinwag_shared::{
    RoomName, Username,
    api_keys::{ApiScope, SYSTEM_NAME},
    moderation::Role,
    moderation::SanctionKind,
};
use std::{
    collections::{BTreeSet, HashMap},
    net::IpAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

/// How long rules read from the directory are trusted before they are read again.
pub const RULES_TTL: Duration = Duration::from_secs(2);

/// Rooms whose rules are held at once.
pub const ROOMS_CACHED: usize = 4_096;

/// The JWT `role` claim that makes its bearer a site admin.
pub const ADMIN_ROLE_CLAIM: &str = "admin";

/// Who is asking to enter, read or post: the principal, where it connects from, and (for a
/// guest) the name it uses, which is what a guest ban or mute holds by.
#[derive(Debug, Clone, Copy)]
pub struct Visitor<'a> {
    /// Who it proved to be.
    pub principal: &'a Principal,
    /// Its address (behind a trusted proxy, the one forwarded).
    pub address: IpAddr,
    /// The name a guest uses here, when it has one yet.
    pub name: Option<&'a Username>,
}

impl Visitor<'_> {
    /// The subjects a sanction on this visitor would be held by: an account by its id; a
    /// guest by its name and by its address.
    fn subjects(&self) -> Vec<Subject> {
        if let Principal::Service(_) = self.principal {
            // A backend is held by the bot name it posts under, as a guest's name is (a
            // moderator may mute a bot); never by its address, which is the operator's own,
            // and the system itself is never held.
            return self
                .name
                .filter(|name| name.as_str() != SYSTEM_NAME)
                .map(|name| vec![Subject::GuestName(name.hold_key())])
                .unwrap_or_default();
        }
        match self.principal.identity() {
            Some(identity) => vec![Subject::Account(identity.account.clone())],
            None => {
                let mut subjects = vec![Subject::Address(self.address)];
                if let Some(name) = self.name {
                    subjects.push(Subject::GuestName(name.hold_key()));
                }
                subjects
            }
        }
    }
}

/// One room's rules joined with the site's, as judged at one moment.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// The owner: as set for the room, else a private room's creator.
    pub owner: Option<AccountId>,
    /// The room's moderators.
    pub moderators: BTreeSet<AccountId>,
    /// Slow mode's interval; 0 when off.
    pub slow_mode_secs: u32,
    /// Site admins granted in the directory.
    pub admins: BTreeSet<AccountId>,
    /// The room's sanctions, then the site's (expired ones perhaps among them).
    pub sanctions: Vec<(Sanction, bool)>,
}

impl Rules {
    fn join(room: RoomRules, site: &SiteRules, access: &RoomAccess) -> Self {
        let private_owner = match access {
            RoomAccess::Private(private) => private.owner.clone(),
            RoomAccess::Public => None,
        };
        let mut sanctions: Vec<(Sanction, bool)> =
            room.sanctions.into_iter().map(|s| (s, false)).collect();
        sanctions.extend(site.sanctions.iter().cloned().map(|s| (s, true)));
        Self {
            owner: room.owner.or(private_owner),
            moderators: room.moderators,
            slow_mode_secs: room.slow_mode_secs,
            admins: site.admins.clone(),
            sanctions,
        }
    }

    /// What `principal` may do here. Guests are members, whatever name they use; an API key
    /// with the `moderate` scope acts as a site admin (below every real one: see
    /// `check_power`), any other key is a member.
    pub fn role(&self, principal: &Principal) -> Role {
        if let Principal::Service(_) = principal {
            return match super::scopes::require_scope(principal, ApiScope::Moderate) {
                Ok(()) => Role::Admin,
                Err(_) => Role::Member,
            };
        }
        let Some(identity) = principal.identity() else {
            return Role::Member;
        };
        if self.admins.contains(&identity.account)
            || identity.role.as_deref() == Some(ADMIN_ROLE_CLAIM)
        {
            Role::Admin
        } else if self.owner.as_ref() == Some(&identity.account) {
            Role::Owner
        } else if self.moderators.contains(&identity.account) {
            Role::Moderator
        } else {
            Role::Member
        }
    }

    /// The role an account would have here, by id alone (the subject of an act).
    pub fn role_of(&self, account: &AccountId) -> Role {
        if self.admins.contains(account) {
            Role::Admin
        } else if self.owner.as_ref() == Some(account) {
            Role::Owner
        } else if self.moderators.contains(account) {
            Role::Moderator
        } else {
            Role::Member
        }
    }

    /// The sanction of `kind` holding `visitor` at `now` (Unix ms), the longest if several:
    /// a ban that ends never before one that ends.
    pub fn sanction(
        &self,
        visitor: &Visitor<'_>,
        kind: SanctionKind,
        now: u64,
    ) -> Option<&Sanction> {
        let subjects = visitor.subjects();
        self.sanctions
            .iter()
            .map(|(sanction, _site)| sanction)
            .filter(|s| s.kind == kind && s.in_force(now) && subjects.contains(&s.subject))
            .max_by_key(|s| s.until.unwrap_or(u64::MAX))
    }
}

/// The rules of recently asked rooms, and the site's.
pub struct RulesCache {
    moderation: Arc<dyn Moderation>,
    rooms: Mutex<HashMap<RoomName, (Instant, Arc<Rules>)>>,
    site: Mutex<Option<(Instant, Arc<SiteRules>)>>,
}

impl RulesCache {
    /// A cache over `moderation`.
    pub fn new(moderation: Arc<dyn Moderation>) -> Self {
        Self {
            moderation,
            rooms: Mutex::new(HashMap::new()),
            site: Mutex::new(None),
        }
    }

    /// The directory behind it.
    pub fn moderation(&self) -> &Arc<dyn Moderation> {
        &self.moderation
    }

    /// `room`'s rules (with `access`, the room's access as the hub judged it), from memory if
    /// read less than [`RULES_TTL`] ago.
    pub async fn room(
        &self,
        room: &RoomName,
        access: &RoomAccess,
    ) -> Result<Arc<Rules>, StoreError> {
        let now = Instant::now();
        if let Some((read, rules)) = lock(&self.rooms).get(room)
            && now.duration_since(*read) < RULES_TTL
        {
            return Ok(Arc::clone(rules));
        }
        let site = self.site().await?;
        let rules = Arc::new(Rules::join(
            self.moderation.room_rules(room).await?,
            &site,
            access,
        ));
        let mut rooms = lock(&self.rooms);
        if rooms.len() >= ROOMS_CACHED {
            // Stale entries first; only a cache full of fresh ones starts afresh.
            rooms.retain(|_, (read, _)| now.duration_since(*read) < RULES_TTL);
            if rooms.len() >= ROOMS_CACHED {
                rooms.clear();
            }
        }
        rooms.insert(room.clone(), (now, Arc::clone(&rules)));
        Ok(rules)
    }

    /// The site's rules, from memory if read less than [`RULES_TTL`] ago.
    pub async fn site(&self) -> Result<Arc<SiteRules>, StoreError> {
        let now = Instant::now();
        if let Some((read, site)) = &*lock(&self.site)
            && now.duration_since(*read) < RULES_TTL
        {
            return Ok(Arc::clone(site));
        }
        let site = Arc::new(self.moderation.site_rules().await?);
        *lock(&self.site) = Some((now, Arc::clone(&site)));
        Ok(site)
    }

    /// Forgets `room`'s rules (after an act on it through this node).
    pub fn forget_room(&self, room: &RoomName) {
        lock(&self.rooms).remove(room);
    }

    /// Forgets everything (after a site-wide act through this node).
    pub fn forget_all(&self) {
        lock(&self.rooms).clear();
        *lock(&self.site) = None;
    }
}

/// Locks a cache map. Nothing panics while holding one, so a poisoned lock still holds
/// consistent data.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The wall clock in Unix milliseconds, as sanctions and records count time.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{auth::Identity, store::moderation::Scope};
    use chinwag_shared::account::AuthMethod;

    fn account(id: &str, role: Option<&str>) -> Principal {
        Principal::Account(Arc::new(Identity {
            account: AccountId::new(id),
            name: Username::parse(&format!("user{id}")).unwrap(),
            method: AuthMethod::Session,
            expires: None,
            grants: Vec::new(),
            role: role.map(str::to_owned),
            credential: None,
        }))
    }

    fn ban(subject: Subject, until: Option<u64>) -> Sanction {
        Sanction {
            scope: Scope::Site,
            subject,
            kind: SanctionKind::Ban,
            username: Username::parse("x").unwrap(),
            until,
            reason: String::new(),
            by: Username::parse("mod").unwrap(),
            created: 0,
        }
    }

    #[test]
    fn roles_come_from_admins_the_jwt_claim_the_owner_and_moderators() {
        let rules = Rules {
            owner: Some(AccountId::new("2")),
            moderators: [AccountId::new("3")].into(),
            admins: [AccountId::new("1")].into(),
            ..Rules::default()
        };
        assert_eq!(rules.role(&account("1", None)), Role::Admin);
        assert_eq!(rules.role(&account("9", Some("admin"))), Role::Admin);
        assert_eq!(rules.role(&account("9", Some("Admin"))), Role::Member);
        assert_eq!(rules.role(&account("2", None)), Role::Owner);
        assert_eq!(rules.role(&account("3", None)), Role::Moderator);
        assert_eq!(rules.role(&account("4", None)), Role::Member);
        assert_eq!(rules.role(&Principal::Guest), Role::Member);
    }

    fn key(scopes: &[ApiScope]) -> Principal {
        Principal::Service(Arc::new(crate::auth::ServiceKey {
            id: "0123456789abcdef".to_owned(),
            name: "backend".to_owned(),
            scopes: scopes.to_vec(),
        }))
    }

    #[test]
    fn a_key_moderates_only_with_its_scope_and_is_held_only_by_its_bot_name() {
        let rules = Rules {
            sanctions: vec![
                (
                    ban(Subject::Address("10.0.0.1".parse().unwrap()), None),
                    true,
                ),
                (
                    ban(
                        Subject::GuestName(Username::parse("spambot").unwrap().hold_key()),
                        None,
                    ),
                    false,
                ),
            ],
            ..Rules::default()
        };
        assert_eq!(rules.role(&key(&[ApiScope::Moderate])), Role::Admin);
        assert_eq!(rules.role(&key(&[ApiScope::Publish])), Role::Member);
        let backend = key(&[ApiScope::Publish]);
        let held = |name: &str| {
            let name = Username::parse(name).unwrap();
            let visitor = Visitor {
                principal: &backend,
                address: "10.0.0.1".parse().unwrap(),
                name: Some(&name),
            };
            rules.sanction(&visitor, SanctionKind::Ban, 0).is_some()
        };
        assert!(!held("newsbot"), "an address ban never holds a backend");
        assert!(held("spambot"), "a bot's name is held like a guest's");
        assert!(!held("system"), "the system is never held");
    }

    #[test]
    fn a_guest_is_held_by_name_and_by_address_an_account_by_id() {
        let here: IpAddr = "10.0.0.1".parse().unwrap();
        let mallory = Username::parse("Mallory").unwrap();
        let rules = Rules {
            sanctions: vec![
                (ban(Subject::GuestName(mallory.hold_key()), None), true),
                (
                    ban(Subject::Address("10.0.0.2".parse().unwrap()), Some(50)),
                    false,
                ),
            ],
            ..Rules::default()
        };
        let guest = Principal::Guest;
        let by_name = Visitor {
            principal: &guest,
            address: here,
            name: Some(&Username::parse("MALLORY").unwrap()),
        };
        assert!(rules.sanction(&by_name, SanctionKind::Ban, 0).is_some());
        assert!(rules.sanction(&by_name, SanctionKind::Mute, 0).is_none());
        let other_name = Visitor {
            principal: &guest,
            address: "10.0.0.2".parse().unwrap(),
            name: Some(&Username::parse("alice").unwrap()),
        };
        assert!(rules.sanction(&other_name, SanctionKind::Ban, 49).is_some());
        assert!(
            rules.sanction(&other_name, SanctionKind::Ban, 50).is_none(),
            "expired"
        );
        let signed_in = account("5", None);
        let account_visitor = Visitor {
            principal: &signed_in,
            address: "10.0.0.2".parse().unwrap(),
            name: Some(&mallory),
        };
        assert!(
            rules
                .sanction(&account_visitor, SanctionKind::Ban, 0)
                .is_none(),
            "a guest ban holds no account, whatever its address or name"
        );
    }
}
