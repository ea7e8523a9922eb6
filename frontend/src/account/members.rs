//! The members of one private room, as the members panel shows them: owner first, then by
//! name, and whether this person owns the room (only the owner adds and removes).
//!
//! Pure; [`use_members`](super::use_members) does the requests.

use super::listing::Listing;
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
    /// This account was added.
    Added(Username),
    /// This account was removed.
    Removed(Username),
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
                members.sort_by(|a, b| b.owner.cmp(&a.owner).then(a.username.cmp(&b.username)));
                self.list = Listing::Loaded(members);
            }
            MembersAction::ListFailed(reason) => self.list = Listing::Failed(reason),
            MembersAction::Added(username) => {
                self.error = None;
                self.list.edit(|members| {
                    if !members.iter().any(|m| m.username == username) {
                        // After the owner, who sorts first.
                        let at = members
                            .iter()
                            .position(|m| !m.owner && m.username > username)
                            .unwrap_or(members.len());
                        members.insert(
                            at,
                            Member {
                                username,
                                owner: false,
                            },
                        );
                    }
                });
            }
            MembersAction::Removed(username) => {
                self.error = None;
                self.list
                    .edit(|members| members.retain(|m| m.username != username));
            }
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
    fn an_added_member_takes_its_place_by_name_once() {
        let mut state = listed();
        state.apply(MembersAction::Added(name("carl")));
        state.apply(MembersAction::Added(name("carl")));
        state.apply(MembersAction::Added(name("zzz")));
        assert_eq!(names(&state), ["olga", "bob", "carl", "zed", "zzz"]);
        state.apply(MembersAction::Removed(name("bob")));
        assert_eq!(names(&state), ["olga", "carl", "zed", "zzz"]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn another_room_starts_from_an_empty_panel() {
        let mut state = listed();
        state.apply(MembersAction::Failed("no".into()));
        state.apply(MembersAction::Reload);
        assert_eq!(state, MembersState::default());
    }
}
