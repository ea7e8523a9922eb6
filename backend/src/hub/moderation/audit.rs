//! The audit log: every act by a moderator or admin, written to the room's log after it took
//! effect (a log that cannot be written is reported, not undone), and counted in
//! `chinwag_moderation_acts_total` with the authors' own edits and deletions.

use super::ActError;
use crate::hub::{
    Hub,
    rules::{Visitor, now_ms},
};
use crate::store::moderation::NewAudit;
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
        Ok(self.moderation().audit_log(room, before, limit).await?)
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
        tracing::info!(%room, actor = %name, key = key.map(|key| key.id.as_str()), action = action.as_str(), subject = ?subject.map(Username::as_str), "moderation");
        if let Err(err) = self.moderation().audit(room, NewAudit { entry }).await {
            tracing::warn!(%room, error = %err, "audit log not written");
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
