//! Moderation acts and the message lifecycle, judged in one place for every route and socket.
//!
//! Each act names its actor as a [`Visitor`] and is judged against the room's [`Rules`]: the
//! actor must be let in ([`Hub::enter`]) and hold the role the act needs. Authors edit their
//! own messages within the edit window and delete them at any time; moderators delete any
//! message, mute, kick and ban; owners appoint moderators; admins do all of it everywhere and
//! give public rooms their owners. No one acts on someone of their own role or above.
//!
//! Edits and deletions go through [`crate::store::Store::change`], so they are records of the
//! room's log, delivered live and on resume like messages. Bans and kicks reach the live
//! connections of whom they hold through fan-out (a removal, on every node and transport);
//! a mute reaches the muted account's own connections through its inbox. Every act by a
//! moderator is written to the room's audit log after it took effect.

use super::{
    Hub,
    access::{AccessError, inbox},
    rules::{Rules, Visitor, now_ms},
};
use crate::{
    delivery::frame::EventFrame,
    store::{
        ChangeAction, Changed, NewChange, StoreError,
        accounts::{Account, AccountId},
        moderation::{NewAudit, Sanction, Scope, Subject},
    },
};
use chinwag_shared::{
    ChatRecord, ErrorCode, ErrorFrame, MAX_REASON_CHARS, MAX_SANCTION_SECS, MAX_SLOW_MODE_SECS,
    MessageText, RoomName, ServerMsg, Username,
    moderation::{
        AuditAction, AuditEntry, Role, RoomSettings, SanctionBody, SanctionKind, SanctionView,
    },
};
use std::sync::Arc;

/// Why an act was refused.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    /// Only signed-in accounts act (guests have no identity to hold to account).
    #[error("sign in to do this")]
    Unauthenticated,
    /// The actor may not enter the room (private, banned).
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The actor's role does not allow this act (or not on this subject).
    #[error("{0}")]
    Forbidden(&'static str),
    /// No message has that id in that room (or it is a change record).
    #[error("no message has that id in this room")]
    NoSuchMessage,
    /// The message was deleted.
    #[error("that message was deleted")]
    MessageDeleted,
    /// The edit window has passed (or editing is off).
    #[error("messages can only be edited within {window_secs} s of posting")]
    EditWindowClosed {
        /// The window, in seconds.
        window_secs: u64,
    },
    /// The actor is muted: it may not edit either.
    #[error("you are muted here")]
    Muted,
    /// No account has that name.
    #[error("no account has that name")]
    NoSuchUser,
    /// A value is out of bounds.
    #[error("{0}")]
    Invalid(String),
    /// The scope has as many sanctions as it may.
    #[error(transparent)]
    TooManySanctions(#[from] crate::store::moderation::TooManySanctions),
    /// The store failed; nothing is decided.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whom an act names: an account, or a guest by name.
#[derive(Debug, Clone)]
enum Target {
    Account(Account),
    Guest(Username),
}

impl Target {
    fn subject(&self) -> Subject {
        match self {
            Target::Account(account) => Subject::Account(account.id.clone()),
            Target::Guest(name) => Subject::GuestName(name.hold_key()),
        }
    }

    fn name(&self) -> &Username {
        match self {
            Target::Account(account) => &account.name,
            Target::Guest(name) => name,
        }
    }
}

impl Hub {
    /// Lets `actor` in and answers the rules with the actor's role, refusing guests.
    async fn judge(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
    ) -> Result<(Arc<Rules>, Role), ActError> {
        if actor.principal.is_guest() {
            return Err(ActError::Unauthenticated);
        }
        let entry = self.enter(actor, room).await?;
        let role = entry.rules.role(actor.principal);
        Ok((entry.rules, role))
    }

    /// `room`'s settings as `visitor` sees them (guests too: as members).
    pub async fn settings(
        &self,
        visitor: &Visitor<'_>,
        room: &RoomName,
    ) -> Result<RoomSettings, ActError> {
        let entry = self.enter(visitor, room).await?;
        let rules = &entry.rules;
        let read = match visitor.principal.identity() {
            Some(identity) => Some(self.read_marker(&identity.account, room).await?),
            None => None,
        };
        let muted_until = rules
            .sanction(visitor, SanctionKind::Mute, now_ms())
            .map(|mute| mute.until.unwrap_or(u64::MAX));
        let mut moderators = Vec::with_capacity(rules.moderators.len());
        for id in &rules.moderators {
            if let Some(account) = self.accounts.account(id).await? {
                moderators.push(account.name);
            }
        }
        moderators.sort();
        let owner = match &rules.owner {
            Some(id) => self.accounts.account(id).await?.map(|account| account.name),
            None => None,
        };
        Ok(RoomSettings {
            room: room.clone(),
            owner,
            moderators,
            slow_mode_secs: rules.slow_mode_secs,
            role: rules.role(visitor.principal),
            read,
            muted_until,
        })
    }

    /// The message `id` of `room`, refusing change records and tombstones.
    async fn message(&self, room: &RoomName, id: u64) -> Result<ChatRecord, ActError> {
        let record = self
            .store
            .record(room, id)
            .await?
            .filter(ChatRecord::is_message)
            .ok_or(ActError::NoSuchMessage)?;
        if record.deleted.is_some() {
            return Err(ActError::MessageDeleted);
        }
        Ok(record)
    }

    /// Stores `change` and answers its record.
    async fn change(&self, change: NewChange) -> Result<ChatRecord, ActError> {
        match self.store.change(change).await? {
            Changed::Stored(record) => Ok(record),
            Changed::NoSuchMessage => Err(ActError::NoSuchMessage),
            Changed::AlreadyDeleted => Err(ActError::MessageDeleted),
        }
    }

    /// `actor` edits its own message `id` of `room` to `text`, within the edit window.
    pub async fn edit(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        id: u64,
        text: MessageText,
    ) -> Result<ChatRecord, ActError> {
        let (rules, _role) = self.judge(actor, room).await?;
        let identity = actor
            .principal
            .identity()
            .ok_or(ActError::Unauthenticated)?;
        if rules
            .sanction(actor, SanctionKind::Mute, now_ms())
            .is_some()
        {
            return Err(ActError::Muted);
        }
        let message = self.message(room, id).await?;
        if !authored_by(&message, &identity.name) {
            return Err(ActError::Forbidden("only its author may edit a message"));
        }
        let window = self.edit_window;
        let age_ms = now_ms().saturating_sub(message.ts);
        if window.is_zero() || u128::from(age_ms) > window.as_millis() {
            return Err(ActError::EditWindowClosed {
                window_secs: window.as_secs(),
            });
        }
        let record = self
            .change(NewChange {
                room: room.clone(),
                target: id,
                actor: identity.name.clone(),
                guest: false,
                action: ChangeAction::Edit(text),
            })
            .await?;
        self.count_act("edit");
        Ok(record)
    }

    /// `actor` deletes message `id` of `room`: its own, or anyone's as a moderator.
    pub async fn delete(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        id: u64,
    ) -> Result<ChatRecord, ActError> {
        let (_rules, role) = self.judge(actor, room).await?;
        let identity = actor
            .principal
            .identity()
            .ok_or(ActError::Unauthenticated)?;
        let message = self.message(room, id).await?;
        let own = authored_by(&message, &identity.name);
        if !own && !role.moderates() {
            return Err(ActError::Forbidden(
                "only its author or a moderator may delete a message",
            ));
        }
        let record = self
            .change(NewChange {
                room: room.clone(),
                target: id,
                actor: identity.name.clone(),
                guest: false,
                action: ChangeAction::Delete { moderator: !own },
            })
            .await?;
        if own {
            self.count_act("delete_own");
        } else {
            self.record_act(
                room,
                actor,
                AuditAction::Delete,
                Some(&message.username),
                Some(id),
                String::new(),
            )
            .await;
        }
        Ok(record)
    }

    /// `actor` (a moderator) sets `room`'s slow mode to `secs` (0: off).
    pub async fn set_slow_mode(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        secs: u32,
    ) -> Result<RoomSettings, ActError> {
        let (_rules, role) = self.judge(actor, room).await?;
        if !role.moderates() {
            return Err(ActError::Forbidden("only moderators may set slow mode"));
        }
        if secs > MAX_SLOW_MODE_SECS {
            return Err(ActError::Invalid(format!(
                "slow_mode_secs is at most {MAX_SLOW_MODE_SECS}"
            )));
        }
        self.moderation().set_slow_mode(room, secs).await?;
        self.settings_changed(room);
        self.record_act(
            room,
            actor,
            AuditAction::SlowMode,
            None,
            None,
            format!("{secs} s"),
        )
        .await;
        self.settings(actor, room).await
    }

    /// `actor` (an admin) makes the account named `username` the owner of `room`.
    pub async fn set_owner(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        username: &Username,
    ) -> Result<RoomSettings, ActError> {
        let (_rules, role) = self.judge(actor, room).await?;
        if role < Role::Admin {
            return Err(ActError::Forbidden("only site admins give rooms owners"));
        }
        let account = self.account_named(username).await?;
        self.moderation().set_owner(room, &account.id).await?;
        self.settings_changed(room);
        self.record_act(
            room,
            actor,
            AuditAction::SetOwner,
            Some(&account.name),
            None,
            String::new(),
        )
        .await;
        self.settings(actor, room).await
    }

    /// `actor` (the owner or an admin) makes the account named `username` a moderator of
    /// `room`, or no longer one.
    pub async fn set_moderator(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        username: &Username,
        moderator: bool,
    ) -> Result<RoomSettings, ActError> {
        let (_rules, role) = self.judge(actor, room).await?;
        if role < Role::Owner {
            return Err(ActError::Forbidden(
                "only the room's owner appoints and removes moderators",
            ));
        }
        let account = self.account_named(username).await?;
        if self
            .moderation()
            .set_moderator(room, &account.id, moderator)
            .await?
        {
            self.settings_changed(room);
            self.tell_settings_changed(&account.id, room);
            let action = if moderator {
                AuditAction::AddModerator
            } else {
                AuditAction::RemoveModerator
            };
            self.record_act(
                room,
                actor,
                action,
                Some(&account.name),
                None,
                String::new(),
            )
            .await;
        }
        self.settings(actor, room).await
    }

    /// `actor` mutes or bans `username` in `scope` (a room it moderates, or the site as an
    /// admin). A ban takes every live connection it holds out of the room at once.
    pub async fn impose(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        site: bool,
        username: &Username,
        kind: SanctionKind,
        body: &SanctionBody,
    ) -> Result<SanctionView, ActError> {
        let (rules, role) = self.judge(actor, room).await?;
        let identity = actor
            .principal
            .identity()
            .ok_or(ActError::Unauthenticated)?;
        let target = self.target(username).await?;
        check_power(&rules, role, site, &target)?;
        let reason = reason(body.reason.as_deref())?;
        let now = now_ms();
        let until = match body.seconds {
            Some(0) => return Err(ActError::Invalid("seconds must be at least 1".to_owned())),
            Some(seconds) if seconds > MAX_SANCTION_SECS => {
                return Err(ActError::Invalid(format!(
                    "seconds is at most {MAX_SANCTION_SECS}; leave it out for until lifted"
                )));
            }
            Some(seconds) => Some(now + seconds * 1000),
            None => None,
        };
        let scope = if site {
            Scope::Site
        } else {
            Scope::Room(room.clone())
        };
        let sanction = Sanction {
            scope,
            subject: target.subject(),
            kind,
            username: target.name().clone(),
            until,
            reason: reason.clone(),
            by: identity.name.clone(),
            created: now,
        };
        self.moderation().impose(&sanction).await??;
        self.forget_rules(site, room);
        match kind {
            SanctionKind::Ban => self.take_out(room, site, &target, ErrorCode::Banned, &reason),
            SanctionKind::Mute => {
                if let Target::Account(account) = &target {
                    self.tell_settings_changed(&account.id, room);
                }
            }
        }
        let action = match kind {
            SanctionKind::Mute => AuditAction::Mute,
            SanctionKind::Ban => AuditAction::Ban,
        };
        let detail = sanction_detail(site, body.seconds, &reason);
        self.record_act(room, actor, action, Some(target.name()), None, detail)
            .await;
        Ok(view(&sanction, site))
    }

    /// `actor` lifts `username`'s mute or ban in `room` (or site-wide); whether there was
    /// one. For a guest, the address bans its ban brought along are lifted with it.
    pub async fn lift(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        site: bool,
        username: &Username,
        kind: SanctionKind,
    ) -> Result<bool, ActError> {
        let (rules, role) = self.judge(actor, room).await?;
        let target = self.target(username).await?;
        check_power(&rules, role, site, &target)?;
        let scope = if site {
            Scope::Site
        } else {
            Scope::Room(room.clone())
        };
        let mut lifted = self
            .moderation()
            .lift(&scope, &target.subject(), kind)
            .await?;
        if let Target::Guest(name) = &target {
            for (sanction, _) in rules.sanctions.iter().filter(|(s, _)| {
                s.kind == kind
                    && s.scope == scope
                    && matches!(s.subject, Subject::Address(_))
                    && s.username.hold_key() == name.hold_key()
            }) {
                lifted |= self
                    .moderation()
                    .lift(&scope, &sanction.subject, kind)
                    .await?;
            }
        }
        self.forget_rules(site, room);
        if lifted {
            if let Target::Account(account) = &target {
                self.tell_settings_changed(&account.id, room);
            }
            let action = match kind {
                SanctionKind::Mute => AuditAction::Unmute,
                SanctionKind::Ban => AuditAction::Unban,
            };
            let detail = if site {
                "site-wide".to_owned()
            } else {
                String::new()
            };
            self.record_act(room, actor, action, Some(target.name()), None, detail)
                .await;
        }
        Ok(lifted)
    }

    /// `actor` (a moderator) takes `username`'s live connections out of `room`; they may
    /// join again.
    pub async fn kick(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        username: &Username,
        reason: Option<&str>,
    ) -> Result<(), ActError> {
        let (rules, role) = self.judge(actor, room).await?;
        let target = self.target(username).await?;
        check_power(&rules, role, false, &target)?;
        let reason = self::reason(reason)?;
        self.take_out(room, false, &target, ErrorCode::Kicked, &reason);
        self.record_act(
            room,
            actor,
            AuditAction::Kick,
            Some(target.name()),
            None,
            reason,
        )
        .await;
        Ok(())
    }

    /// The mutes and bans in force in `room` and site-wide, for its moderators.
    pub async fn sanctions_in(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
    ) -> Result<Vec<SanctionView>, ActError> {
        let (rules, role) = self.judge(actor, room).await?;
        if !role.moderates() {
            return Err(ActError::Forbidden(
                "only moderators see the room's sanctions",
            ));
        }
        let now = now_ms();
        Ok(rules
            .sanctions
            .iter()
            .filter(|(sanction, _)| sanction.in_force(now))
            .map(|(sanction, site)| view(sanction, *site))
            .collect())
    }

    /// A page of `room`'s audit log, newest first, for its moderators.
    pub async fn audit_log(
        &self,
        actor: &Visitor<'_>,
        room: &RoomName,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, ActError> {
        let (_rules, role) = self.judge(actor, room).await?;
        if !role.moderates() {
            return Err(ActError::Forbidden("only moderators read the audit log"));
        }
        Ok(self.moderation().audit_log(room, before, limit).await?)
    }

    /// After a guest's name was banned from `room` while it was connected from `address`:
    /// bans that address too, for as long and for the same reason, so the guest cannot come
    /// back under another name from there. Called by the guest's own session (on whichever
    /// node it is), the only place its address is known.
    pub async fn ban_guest_address(
        &self,
        room: &RoomName,
        name: &Username,
        address: std::net::IpAddr,
    ) -> Result<(), StoreError> {
        self.rules.forget_room(room);
        let access = self.room_access(room).await?;
        let rules = self.rules.room(room, &access).await?;
        let subject = Subject::GuestName(name.hold_key());
        let Some((ban, _)) = rules.sanctions.iter().find(|(s, _)| {
            s.kind == SanctionKind::Ban && s.subject == subject && s.in_force(now_ms())
        }) else {
            return Ok(());
        };
        let by_address = Sanction {
            subject: Subject::Address(address),
            ..ban.clone()
        };
        // Past the bound the name ban still holds; the address is the lesser part.
        let _bounded = self.moderation().impose(&by_address).await?;
        self.rules.forget_room(room);
        Ok(())
    }

    /// The account named `username`.
    async fn account_named(&self, username: &Username) -> Result<Account, ActError> {
        self.accounts
            .account_by_key(&username.hold_key())
            .await?
            .ok_or(ActError::NoSuchUser)
    }

    /// Whom `username` names: the account owning it, else a guest using it.
    async fn target(&self, username: &Username) -> Result<Target, ActError> {
        Ok(
            match self.accounts.account_by_key(&username.hold_key()).await? {
                Some(account) => Target::Account(account),
                None => Target::Guest(username.clone()),
            },
        )
    }

    /// Sends `target`'s live connections out of `room` (or, site-wide, off the server for an
    /// account) with a `code` error frame, on every node.
    fn take_out(
        &self,
        room: &RoomName,
        site: bool,
        target: &Target,
        code: ErrorCode,
        reason: &str,
    ) {
        let detail = match (code, reason.is_empty()) {
            (ErrorCode::Banned, true) => format!("you were banned from #{room}"),
            (ErrorCode::Banned, false) => format!("you were banned from #{room}: {reason}"),
            (_, true) => format!("a moderator removed you from #{room}; you may join again"),
            (_, false) => {
                format!("a moderator removed you from #{room} ({reason}); you may join again")
            }
        };
        match (target, site) {
            (Target::Account(account), true) => {
                if let Some(inbox) = inbox(&account.id) {
                    let notice =
                        error_msg(code, "you were banned from this server".to_owned(), None);
                    self.fanout.publish_event(EventFrame::removal(
                        &inbox,
                        account.id.as_str(),
                        &notice,
                    ));
                }
            }
            (Target::Account(account), false) => {
                let notice = error_msg(code, detail, Some(room));
                self.fanout
                    .publish_event(EventFrame::removal(room, account.id.as_str(), &notice));
            }
            // A guest has no inbox: a site-wide ban holds at its next join or post.
            (Target::Guest(_), true) => {}
            (Target::Guest(name), false) => {
                let notice = error_msg(code, detail, Some(room));
                let ban = code == ErrorCode::Banned;
                self.fanout
                    .publish_event(EventFrame::removal_of_guest(room, name, ban, &notice));
            }
        }
    }

    /// Tells `room`'s members that its settings changed.
    fn settings_changed(&self, room: &RoomName) {
        self.rules.forget_room(room);
        let notice = ServerMsg::RoomSettingsChanged { room: room.clone() };
        self.fanout.publish_event(EventFrame::new(room, &notice));
    }

    /// Tells `account`'s own connections that `room`'s settings changed for it (a mute, a
    /// role).
    fn tell_settings_changed(&self, account: &AccountId, room: &RoomName) {
        if let Some(inbox) = inbox(account) {
            let notice = ServerMsg::RoomSettingsChanged { room: room.clone() };
            self.fanout.publish_event(EventFrame::new(&inbox, &notice));
        }
    }

    fn forget_rules(&self, site: bool, room: &RoomName) {
        if site {
            self.rules.forget_all();
        } else {
            self.rules.forget_room(room);
        }
    }

    /// Writes an act to `room`'s audit log. The act has taken effect: a log that cannot be
    /// written is reported, not undone.
    async fn record_act(
        &self,
        room: &RoomName,
        actor: &Visitor<'_>,
        action: AuditAction,
        subject: Option<&Username>,
        target: Option<u64>,
        detail: String,
    ) {
        self.count_act(action.as_str());
        let Some(identity) = actor.principal.identity() else {
            return;
        };
        let entry = AuditEntry {
            id: 0,
            ts: now_ms(),
            actor: identity.name.clone(),
            action,
            subject: subject.cloned(),
            target,
            detail,
        };
        tracing::info!(%room, actor = %identity.name, action = action.as_str(), subject = ?subject.map(Username::as_str), "moderation");
        if let Err(err) = self.moderation().audit(room, NewAudit { entry }).await {
            tracing::warn!(%room, error = %err, "audit log not written");
        }
    }
}

impl Hub {
    /// Counts one act in `chinwag_moderation_acts_total`.
    fn count_act(&self, action: &'static str) {
        self.metrics
            .moderation_acts
            .get_or_create(&crate::metrics::ActionLabel { action })
            .inc();
    }
}

/// Whether `message` was written by the account named `name` (guests' messages belong to
/// no one: a name alone proves nothing).
fn authored_by(message: &ChatRecord, name: &Username) -> bool {
    !message.guest && message.username.hold_key() == name.hold_key()
}

/// Refuses an act on `target` by an actor of `role`: a site-wide one needs an admin; a room
/// one a moderator; and no one acts on someone of their own role or above.
fn check_power(rules: &Rules, role: Role, site: bool, target: &Target) -> Result<(), ActError> {
    if site && role < Role::Admin {
        return Err(ActError::Forbidden("only site admins act site-wide"));
    }
    if !role.moderates() {
        return Err(ActError::Forbidden("only moderators may do this"));
    }
    if let Target::Account(account) = target
        && rules.role_of(&account.id) >= role
    {
        return Err(ActError::Forbidden(
            "you may not act on someone of your own role or above",
        ));
    }
    Ok(())
}

/// A reason as given, checked.
fn reason(raw: Option<&str>) -> Result<String, ActError> {
    let reason = raw.unwrap_or("").trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ActError::Invalid(format!(
            "a reason is at most {MAX_REASON_CHARS} characters"
        )));
    }
    if reason.chars().any(|c| c.is_control()) {
        return Err(ActError::Invalid(
            "a reason may not hold control characters".to_owned(),
        ));
    }
    Ok(reason.to_owned())
}

fn sanction_detail(site: bool, seconds: Option<u64>, reason: &str) -> String {
    let mut parts = Vec::new();
    if site {
        parts.push("site-wide".to_owned());
    }
    parts.push(seconds.map_or_else(|| "until lifted".to_owned(), |s| format!("{s} s")));
    if !reason.is_empty() {
        parts.push(reason.to_owned());
    }
    parts.join("; ")
}

fn view(sanction: &Sanction, site: bool) -> SanctionView {
    SanctionView {
        kind: sanction.kind,
        username: sanction.username.clone(),
        guest: !matches!(sanction.subject, Subject::Account(_)),
        until: sanction.until,
        reason: sanction.reason.clone(),
        by: sanction.by.clone(),
        created: sanction.created,
        site,
    }
}

/// An error frame with `code`, for a room or none.
fn error_msg(code: ErrorCode, detail: String, room: Option<&RoomName>) -> ServerMsg {
    ServerMsg::Error(ErrorFrame {
        code,
        detail,
        room: room.map(ToString::to_string),
        client_id: None,
        retry_after_ms: None,
    })
}
