//! The audit log: every act by a moderator or admin, written to the room's log after it took
//! effect (a log that cannot be written is reported, not undone), and counted in
//! `chinwag_moderation_acts_total` with the authors' own edits and deletions. Acts on the
//! whole site (site-wide mutes and bans, and the console's: disabling accounts, signing them
//! out, granting admin, API keys) go to the site's log, [`Scope::Site`].

use super::ActError;
use crate::hub::{
    Hub,
    rules::{Visitor, now_ms},
};
use crate::store::{
    StoreError,
    moderation::{NewAudit, Scope},
};
use chinwag_shared::{
    RoomName, Username,
    moderation::{AuditAction, AuditEntry},
};

impl Hub {
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
        let scope = Scope::Room(room.clone());
        Ok(self.moderation().audit_log(&scope, before, limit).await?)
    }

    /// Writes an act to `room`'s audit log. The act has taken effect: a log that cannot be
    /// written is reported, not undone.
    pub(super) async fn record_act(
        &self,
        room: &RoomName,
        actor: &Visitor<'_>,
        action: AuditAction,
        subject: Option<&Username>,
        target: Option<u64>,
        detail: String,
    ) {
        let scope = Scope::Room(room.clone());
        self.record_at(&scope, actor, action, subject, target, detail)
            .await;
    }

    /// Writes an act to the audit log of `scope` (a room's, or the site's).
    pub(super) async fn record_at(
        &self,
        scope: &Scope,
        actor: &Visitor<'_>,
        action: AuditAction,
        subject: Option<&Username>,
        target: Option<u64>,
        detail: String,
    ) {
        self.count_act(action.as_str());
        let Ok(name) = super::actor_name(actor.principal) else {
            return;
        };
        let key = actor.principal.service();
        let entry = AuditEntry {
            id: 0,
            ts: now_ms(),
            actor: name.clone(),
            action,
            subject: subject.cloned(),
            target,
            detail,
            key: key.map(|key| key.name.clone()),
        };
        // A key by its id: its name is free text an admin typed, kept out of log lines.
        let key_id = key.map(|key| key.id.as_str());
        self.write_audit(scope, entry, key_id).await;
    }

    /// Writes an act on the whole site (an account disabled, admin granted, an API key
    /// made) to the site's audit log, after it took effect. `detail` is shown to admins:
    /// never a secret.
    pub async fn record_site_act(
        &self,
        actor: &Username,
        action: AuditAction,
        subject: Option<&Username>,
        detail: String,
    ) {
        self.count_act(action.as_str());
        let entry = AuditEntry {
            id: 0,
            ts: now_ms(),
            actor: actor.clone(),
            action,
            subject: subject.cloned(),
            target: None,
            detail,
            key: None,
        };
        self.write_audit(&Scope::Site, entry, None).await;
    }

    /// Like [`Hub::record_site_act`], by whoever `actor` is: a person by name, an API key as
    /// the system with the key's name beside it.
    pub async fn record_site_act_of(
        &self,
        actor: &crate::auth::Principal,
        action: AuditAction,
        subject: Option<&Username>,
        detail: String,
    ) {
        self.count_act(action.as_str());
        let Ok(name) = super::actor_name(actor) else {
            return;
        };
        let key = actor.service();
        let entry = AuditEntry {
            id: 0,
            ts: now_ms(),
            actor: name,
            action,
            subject: subject.cloned(),
            target: None,
            detail,
            key: key.map(|key| key.name.clone()),
        };
        self.write_audit(&Scope::Site, entry, key.map(|key| key.id.as_str()))
            .await;
    }

    /// A page of the site's audit log, newest first (admins only: the caller checked).
    pub async fn site_audit_log(
        &self,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.moderation()
            .audit_log(&Scope::Site, before, limit)
            .await
    }

    /// Logs `entry` and stores it in `scope`'s audit log; `key_id` names the API key that
    /// acted, if one did.
    async fn write_audit(&self, scope: &Scope, entry: AuditEntry, key_id: Option<&str>) {
        let scope_key = scope.key();
        tracing::info!(scope = scope_key, actor = %entry.actor, key = key_id, action = entry.action.as_str(), subject = ?entry.subject.as_ref().map(Username::as_str), "moderation");
        if let Err(err) = self.moderation().audit(scope, NewAudit { entry }).await {
            tracing::warn!(scope = scope_key, error = %err, "audit log not written");
        }
    }

    /// Counts one act in `chinwag_moderation_acts_total`.
    pub(super) fn count_act(&self, action: &'static str) {
        self.metrics
            .moderation_acts
            .get_or_create(&crate::metrics::ActionLabel { action })
            .inc();
    }
}
