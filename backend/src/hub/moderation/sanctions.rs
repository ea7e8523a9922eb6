//! Mutes, bans and kicks. A ban or kick takes the live connections it holds out of the room at
//! once, on every node and transport (a removal through fan-out; a site-wide ban of an
//! account through its inbox, which closes its sockets with 4003). A guest is held by its
//! name and, once its session hears of the ban, by its address too.

use super::{ActError, Target, check_power};
use crate::hub::{
    Hub,
    access::inbox,
    rules::{Visitor, now_ms},
};
use crate::{
    delivery::frame::EventFrame,
    store::{
        StoreError,
        moderation::{Sanction, Scope, Subject},
    },
};
use chinwag_shared::{
    ErrorCode, ErrorFrame, MAX_REASON_CHARS, MAX_SANCTION_SECS, RoomName, ServerMsg, Username,
    moderation::{AuditAction, SanctionBody, SanctionKind, SanctionView},
};

impl Hub {
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
        let by = super::actor_name(actor.principal)?;
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
            by,
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
        self.record_at(
            &sanction.scope,
            actor,
            action,
            Some(target.name()),
            None,
            detail,
        )
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
            self.record_at(&scope, actor, action, Some(target.name()), None, detail)
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

pub(super) fn view(sanction: &Sanction, site: bool) -> SanctionView {
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
