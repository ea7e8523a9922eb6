//! The members of one private room, as the members panel shows them: owner first, then by
//! name, and whether this person owns the room (only the owner adds and removes). The list
//! is always the server's: after an add or a removal it is asked for again, so it shows the
//! account as the server names it and any change someone else made meanwhile.
//!
//! Pure; [`use_members`](super::use_members) does the requests.

use super::listing::Listing;
use crate::sorted;
use chinwag_shared::{Username, account::Member};
use std::rc::Rc;
use yew::Reducible;

/// The members panel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MembersState {
    /// The members, owner first.
    pub list: Listing<Member>,
    /// Why the last removal failed.
    pub error: Option<String>,
}

/// Everything that changes the members panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembersAction {
    /// Another room's members are being asked for.
    Reload,
    /// The list arrived.
    Listed(Vec<Member>),
    /// The list could not be loaded.
    ListFailed(String),
    /// An add or remove went through; the list is asked for again, and shows as it was
    /// until the server's answer replaces it.
    Changed,
    /// A removal failed.
    Failed(String),
}

impl MembersState {
    /// Whether `me` owns the room.
    pub fn is_owner(&self, me: &Username) -> bool {
        self.list
            .items()
            .is_some_and(|members| members.iter().any(|m| m.owner && m.username == *me))
    }

    /// Applies one action.
    pub fn apply(&mut self, action: MembersAction) {
        match action {
            MembersAction::Reload => *self = Self::default(),
            MembersAction::Listed(mut members) => {
                sorted::sort_by(&mut members, |a, b| {
                    b.owner.cmp(&a.owner).then(a.username.cmp(&b.username))
                });
                self.list = Listing::Loaded(members);
            }
            MembersAction::ListFailed(reason) => self.list = Listing::Failed(reason),
            MembersAction::Changed => self.error = None,
            MembersAction::Failed(reason) => self.error = Some(reason),
        }
    }
}

impl Reducible for MembersState {
    type Action = MembersAction;

    fn reduce(self: Rc<Self>, action: MembersAction) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn name(raw: &str) -> Username {
        Username::parse(raw).unwrap()
    }

    fn member(raw: &str, owner: bool) -> Member {
        Member {
            username: name(raw),
            owner,
        }
    }

    fn names(state: &MembersState) -> Vec<&str> {
        state
            .list
            .items()
            .unwrap()
            .iter()
            .map(|m| m.username.as_str())
            .collect()
    }

    fn listed() -> MembersState {
        let mut state = MembersState::default();
        state.apply(MembersAction::Listed(vec![
            member("zed", false),
            member("bob", false),
            member("olga", true),
        ]));
        state
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_owner_is_listed_first_then_everyone_by_name() {
        assert_eq!(names(&listed()), ["olga", "bob", "zed"]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn only_the_owner_owns_and_nobody_owns_an_unloaded_room() {
        let state = listed();
        assert!(state.is_owner(&name("olga")));
        assert!(!state.is_owner(&name("bob")));
        assert!(!MembersState::default().is_owner(&name("olga")));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_change_clears_the_last_error_and_the_servers_list_replaces_the_old_one() {
        let mut state = listed();
        state.apply(MembersAction::Failed("no".into()));
        state.apply(MembersAction::Changed);
        assert_eq!(state.error, None);
        assert_eq!(names(&state), ["olga", "bob", "zed"], "kept until reloaded");
        // The server names the account as it spells it, whatever was typed.
        state.apply(MembersAction::Listed(vec![
            member("olga", true),
            member("Carl", false),
            member("zed", false),
        ]));
        assert_eq!(names(&state), ["olga", "Carl", "zed"]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn another_room_starts_from_an_empty_panel() {
        let mut state = listed();
        state.apply(MembersAction::Failed("no".into()));
        state.apply(MembersAction::Reload);
        assert_eq!(state, MembersState::default());
    }
}
