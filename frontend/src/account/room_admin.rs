//! The room settings panel's lists, for a moderator: the sanctions in force and the audit
//! log, paged back from the newest line. Pure; [`use_room_admin`](super::use_room_admin)
//! does the requests. Like the members panel, lists are always the server's: after a
//! sanction is lifted both are asked for again rather than edited in place.

use super::listing::Listing;
use chinwag_shared::moderation::{AuditEntry, SanctionView};
use std::rc::Rc;
use yew::Reducible;

/// The room settings panel's lists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoomAdminState {
    /// The audit log, newest first, as far back as loaded.
    pub audit: Listing<AuditEntry>,
    /// Whether older audit lines may exist.
    pub audit_has_older: bool,
    /// The mutes and bans in force.
    pub sanctions: Listing<SanctionView>,
    /// Why the last change (lifting a sanction) failed.
    pub error: Option<String>,
}

/// Everything that changes the lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomAdminAction {
    /// Another room's lists are being asked for.
    Reload,
    /// A page of the audit log arrived: the newest one (`first`), or the next older one.
    AuditPage {
        /// Its lines, newest first.
        entries: Vec<AuditEntry>,
        /// Whether it is the newest page (replacing the list) or an older one (appended).
        first: bool,
        /// How many lines were asked for: a full page may have more behind it.
        asked: usize,
    },
    /// The audit log could not be loaded.
    AuditFailed(String),
    /// The sanctions arrived.
    Sanctions(Vec<SanctionView>),
    /// The sanctions could not be loaded.
    SanctionsFailed(String),
    /// A change failed.
    Failed(String),
}

impl RoomAdminState {
    /// The id the next older audit page ends before, if older lines may exist.
    pub fn audit_before(&self) -> Option<u64> {
        let oldest = self.audit.items()?.last()?.id;
        self.audit_has_older.then_some(oldest)
    }

    /// Applies one action.
    pub fn apply(&mut self, action: RoomAdminAction) {
        match action {
            RoomAdminAction::Reload => *self = Self::default(),
            RoomAdminAction::AuditPage {
                entries,
                first,
                asked,
            } => {
                self.audit_has_older =
                    entries.len() >= asked && entries.last().is_some_and(|e| e.id > 1);
                if first {
                    self.audit = Listing::Loaded(entries);
                } else {
                    // Lines arrive newest first; a page that overlaps the known ones (new
                    // lines were logged meanwhile) adds only what is older than the oldest.
                    let oldest = self
                        .audit
                        .items()
                        .and_then(|known| known.last())
                        .map(|e| e.id);
                    self.audit.edit(|known| {
                        known.extend(
                            entries
                                .into_iter()
                                .filter(|entry| oldest.is_none_or(|oldest| entry.id < oldest)),
                        )
                    });
                }
            }
            RoomAdminAction::AuditFailed(reason) => self.audit = Listing::Failed(reason),
            RoomAdminAction::Sanctions(sanctions) => {
                self.sanctions = Listing::Loaded(sanctions);
                self.error = None;
            }
            RoomAdminAction::SanctionsFailed(reason) => self.sanctions = Listing::Failed(reason),
            RoomAdminAction::Failed(reason) => self.error = Some(reason),
        }
    }
}

impl Reducible for RoomAdminState {
    type Action = RoomAdminAction;

    fn reduce(self: Rc<Self>, action: RoomAdminAction) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::{Username, moderation::AuditAction};
    use wasm_bindgen_test::wasm_bindgen_test;

    fn entry(id: u64) -> AuditEntry {
        AuditEntry {
            id,
            ts: id * 1_000,
            actor: Username::parse("mod").unwrap(),
            action: AuditAction::Mute,
            subject: Some(Username::parse("bob").unwrap()),
            target: None,
            detail: String::new(),
            key: None,
        }
    }

    fn ids(state: &RoomAdminState) -> Vec<u64> {
        state.audit.items().unwrap().iter().map(|e| e.id).collect()
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn audit_pages_go_back_from_the_newest_without_repeating_a_line() {
        let mut state = RoomAdminState::default();
        state.apply(RoomAdminAction::AuditPage {
            entries: vec![entry(9), entry(8), entry(7)],
            first: true,
            asked: 3,
        });
        assert_eq!(state.audit_before(), Some(7));
        // A page that overlaps the known lines adds only what is older than the oldest.
        state.apply(RoomAdminAction::AuditPage {
            entries: vec![entry(7), entry(6), entry(5)],
            first: false,
            asked: 3,
        });
        assert_eq!(ids(&state), [9, 8, 7, 6, 5]);
        state.apply(RoomAdminAction::AuditPage {
            entries: vec![entry(4)],
            first: false,
            asked: 3,
        });
        assert_eq!(state.audit_before(), None, "a short page is the oldest");
        assert_eq!(ids(&state), [9, 8, 7, 6, 5, 4]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_full_page_reaching_line_one_has_nothing_older() {
        let mut state = RoomAdminState::default();
        state.apply(RoomAdminAction::AuditPage {
            entries: vec![entry(2), entry(1)],
            first: true,
            asked: 2,
        });
        assert_eq!(state.audit_before(), None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn another_room_starts_from_empty_lists() {
        let mut state = RoomAdminState::default();
        state.apply(RoomAdminAction::Failed("no".into()));
        state.apply(RoomAdminAction::Sanctions(Vec::new()));
        assert_eq!(state.error, None, "fresh sanctions clear the last failure");
        state.apply(RoomAdminAction::Reload);
        assert_eq!(state, RoomAdminState::default());
    }
}
