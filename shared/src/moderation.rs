//! Moderation and read state on the wire: the bodies of the moderation routes and what they
//! answer.
//!
//! Roles are per room ([`Role`]): the owner appoints moderators; moderators delete any
//! message and mute, kick or ban; site admins do all of it everywhere. Each act a moderator
//! takes is kept in the room's audit log ([`AuditEntry`]). Edits and deletions themselves
//! travel as change records in the room's log (see [`crate::record`]); what is here are the
//! requests, the room's settings, the sanctions in force and the log of who did what.

use crate::{RoomName, Username};
use serde::{Deserialize, Serialize};

/// The close code of a socket whose account was banned from the whole server while connected
/// (4000–4999 are the application's): reconnecting would only be refused.
pub const CLOSE_BANNED: u16 = 4003;

/// What the caller may do in a room, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads and posts (a guest, or an account with no role here).
    Member,
    /// Deletes any message; mutes, kicks and bans; sets slow mode; reads the audit log.
    Moderator,
    /// A moderator who also appoints and removes moderators.
    Owner,
    /// A site admin: owner of every room, and sanctions site-wide.
    Admin,
}

impl Role {
    /// Whether this role moderates the room.
    pub fn moderates(self) -> bool {
        self >= Role::Moderator
    }
}

/// `PATCH /api/rooms/{room}/messages/{id}`: the new text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditBody {
    /// The message's new text (the rules of any message apply).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::MessageText))]
    pub message: String,
}

/// `PUT /api/rooms/{room}/mutes/{username}` and `…/bans/{username}`; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SanctionBody {
    /// How long it lasts, in seconds (at most [`crate::MAX_SANCTION_SECS`]); until lifted
    /// without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
    /// Why, shown to moderators and in the audit log (at most [`crate::MAX_REASON_CHARS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `PATCH /api/rooms/{room}`: the room settings to change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomSettingsPatch {
    /// One message per this many seconds per person; 0 turns slow mode off. At most
    /// [`crate::MAX_SLOW_MODE_SECS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_mode_secs: Option<u32>,
}

/// `PUT /api/rooms/{room}/read`: the newest id the caller has read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadBody {
    /// The id read up to; a marker only ever moves forward.
    pub id: u64,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(ReadBody, Serialize);

/// `PUT /api/rooms/{room}/owner`: who owns a public room (admins only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnerBody {
    /// The new owner's account name.
    pub username: Username,
}

/// `GET /api/rooms/{room}/settings`: a room's settings and the caller's place in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomSettings {
    /// The room.
    pub room: RoomName,
    /// Its owner, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Username>,
    /// Its moderators, sorted.
    #[serde(default)]
    pub moderators: Vec<Username>,
    /// Slow mode's interval in seconds; 0 when off.
    #[serde(default)]
    pub slow_mode_secs: u32,
    /// What the caller may do here.
    pub role: Role,
    /// The caller's read marker, when signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<u64>,
    /// Until when the caller is muted here (Unix ms; `u64::MAX` until lifted), if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_until: Option<u64>,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(RoomSettings, Serialize);

/// Which kind of sanction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SanctionKind {
    /// May read, may not post.
    Mute,
    /// May not join, read or post.
    Ban,
}

/// A mute or ban in force, as `GET /api/rooms/{room}/sanctions` lists it to moderators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SanctionView {
    /// Mute or ban.
    pub kind: SanctionKind,
    /// Whom: the account's name, or the guest name.
    pub username: Username,
    /// Whether it is a guest's (held by name and address) rather than an account's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub guest: bool,
    /// When it ends, Unix ms; `None` until lifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<u64>,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// Who imposed it.
    pub by: Username,
    /// When, Unix ms.
    pub created: u64,
    /// Whether it holds on the whole site rather than this room.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub site: bool,
}

/// What a moderator did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// Deleted someone else's message (`target` is its id, `subject` its author).
    Delete,
    /// Muted `subject`.
    Mute,
    /// Lifted `subject`'s mute.
    Unmute,
    /// Banned `subject`.
    Ban,
    /// Lifted `subject`'s ban.
    Unban,
    /// Took `subject` out of the room.
    Kick,
    /// Set slow mode (`detail` holds the interval).
    SlowMode,
    /// Made `subject` a moderator.
    AddModerator,
    /// Removed `subject` as a moderator.
    RemoveModerator,
    /// Made `subject` the room's owner.
    SetOwner,
    /// Disabled `subject`'s account (site log): it cannot sign in; its sessions, tokens and
    /// connections ended.
    Disable,
    /// Enabled `subject`'s account again (site log).
    Enable,
    /// Signed `subject` out everywhere: sessions, tokens and connections (site log).
    SignOut,
    /// Made `subject` a site admin (site log).
    GrantAdmin,
    /// Took site admin from `subject` (site log).
    RevokeAdmin,
    /// Created an API key (site log; `detail` holds its name, never its secret).
    CreateKey,
    /// Revoked an API key (site log; `detail` holds its name).
    RevokeKey,
}

impl AuditAction {
    /// The stored form (the wire string).
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Delete => "delete",
            AuditAction::Mute => "mute",
            AuditAction::Unmute => "unmute",
            AuditAction::Ban => "ban",
            AuditAction::Unban => "unban",
            AuditAction::Kick => "kick",
            AuditAction::SlowMode => "slow_mode",
            AuditAction::AddModerator => "add_moderator",
            AuditAction::RemoveModerator => "remove_moderator",
            AuditAction::SetOwner => "set_owner",
            AuditAction::Disable => "disable",
            AuditAction::Enable => "enable",
            AuditAction::SignOut => "sign_out",
            AuditAction::GrantAdmin => "grant_admin",
            AuditAction::RevokeAdmin => "revoke_admin",
            AuditAction::CreateKey => "create_key",
            AuditAction::RevokeKey => "revoke_key",
        }
    }

    /// Reads the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            AuditAction::Delete,
            AuditAction::Mute,
            AuditAction::Unmute,
            AuditAction::Ban,
            AuditAction::Unban,
            AuditAction::Kick,
            AuditAction::SlowMode,
            AuditAction::AddModerator,
            AuditAction::RemoveModerator,
            AuditAction::SetOwner,
            AuditAction::Disable,
            AuditAction::Enable,
            AuditAction::SignOut,
            AuditAction::GrantAdmin,
            AuditAction::RevokeAdmin,
            AuditAction::CreateKey,
            AuditAction::RevokeKey,
        ]
        .into_iter()
        .find(|action| action.as_str() == raw)
    }
}

/// One line of a room's audit log (`GET /api/rooms/{room}/audit`, newest first), or of the
/// site's (`GET /api/admin/audit`), which holds the acts on the whole site: site-wide mutes
/// and bans, disabling and enabling accounts, signing them out, granting and revoking admin,
/// creating and revoking API keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Its place in the room's audit log (1, 2, 3, …); pages use it as `before`.
    pub id: u64,
    /// When, Unix ms.
    pub ts: u64,
    /// Who acted.
    pub actor: Username,
    /// What they did.
    pub action: AuditAction,
    /// To whom, when it was done to someone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Username>,
    /// The message concerned, for a deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<u64>,
    /// Anything else: a reason, a duration, an interval; free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// When a backend acted through an API key: the key's name (then `actor` is
    /// [`crate::api_keys::SYSTEM_NAME`]). Left out for a person's acts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_from_member_to_admin() {
        assert!(Role::Admin > Role::Owner && Role::Owner > Role::Moderator);
        assert!(Role::Moderator.moderates() && !Role::Member.moderates());
        assert_eq!(
            serde_json::to_string(&Role::Moderator).unwrap(),
            "\"moderator\""
        );
    }

    #[test]
    fn audit_actions_read_back_their_stored_form() {
        for raw in [
            "delete",
            "mute",
            "unmute",
            "ban",
            "unban",
            "kick",
            "slow_mode",
            "disable",
            "enable",
            "sign_out",
            "grant_admin",
            "revoke_admin",
            "create_key",
            "revoke_key",
        ] {
            let action = AuditAction::parse(raw).unwrap();
            assert_eq!(action.as_str(), raw);
            assert_eq!(
                serde_json::to_string(&action).unwrap(),
                format!("\"{raw}\"")
            );
        }
        assert_eq!(AuditAction::parse("nuke"), None);
    }
}
