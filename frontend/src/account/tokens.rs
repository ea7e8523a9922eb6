//! Personal access tokens as the tokens panel shows them: the list (never a secret), the one
//! just created with its secret, and whether that secret was copied.
//!
//! The secret of a new token is shown once: it lives only in [`TokensState::fresh`] until the
//! person dismisses it, the panel closes, or the token is revoked, and no later answer of the
//! server ever holds it again. Pure; [`use_tokens`](super::use_tokens) does the requests.

use super::listing::Listing;
use crate::sorted;
use chinwag_shared::account::{CreatedToken, TokenInfo};
use std::rc::Rc;
use yew::Reducible;

/// Whether the fresh secret reached the clipboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CopyState {
    /// Not tried yet.
    #[default]
    NotCopied,
    /// It is on the clipboard.
    Copied,
    /// The browser refused (no clipboard API, or no permission): select it by hand.
    Failed,
}

/// A token just created, with its only copy of the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreshToken {
    /// The server's answer, secret included.
    pub created: CreatedToken,
    /// Whether the secret was copied.
    pub copy: CopyState,
}

/// The tokens panel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokensState {
    /// The account's tokens, oldest first.
    pub list: Listing<TokenInfo>,
    /// The token just created, until dismissed.
    pub fresh: Option<FreshToken>,
    /// Why the last create or revoke failed.
    pub error: Option<String>,
    /// Whether a create is on its way.
    pub creating: bool,
}

/// Everything that changes the tokens panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokensAction {
    /// The list arrived.
    Listed(Vec<TokenInfo>),
    /// The list could not be loaded.
    ListFailed(String),
    /// A create went out.
    Creating,
    /// A token was created.
    Created(CreatedToken),
    /// The token with this id was revoked.
    Revoked(String),
    /// A create or revoke failed.
    Failed(String),
    /// The clipboard took the secret (`true`) or refused it.
    Copied(bool),
    /// The person is done with the secret: forget it.
    Dismiss,
}

impl TokensState {
    /// Applies one action.
    pub fn apply(&mut self, action: TokensAction) {
        match action {
            TokensAction::Listed(mut tokens) => {
                sorted::sort_by(&mut tokens, |a, b| a.created.cmp(&b.created));
                self.list = Listing::Loaded(tokens);
            }
            TokensAction::ListFailed(reason) => self.list = Listing::Failed(reason),
            TokensAction::Creating => {
                self.creating = true;
                self.error = None;
            }
            TokensAction::Created(created) => {
                self.creating = false;
                let info = created.info.clone();
                self.list.edit(|tokens| tokens.push(info));
                self.fresh = Some(FreshToken {
                    created,
                    copy: CopyState::NotCopied,
                });
            }
            TokensAction::Revoked(id) => {
                self.error = None;
                self.list
                    .edit(|tokens| tokens.retain(|token| token.id != id));
                if self
                    .fresh
                    .as_ref()
                    .is_some_and(|fresh| fresh.created.info.id == id)
                {
                    self.fresh = None;
                }
            }
            TokensAction::Failed(reason) => {
                self.creating = false;
                self.error = Some(reason);
            }
            TokensAction::Copied(copied) => {
                if let Some(fresh) = &mut self.fresh {
                    fresh.copy = if copied {
                        CopyState::Copied
                    } else {
                        CopyState::Failed
                    };
                }
            }
            TokensAction::Dismiss => self.fresh = None,
        }
    }
}

impl Reducible for TokensState {
    type Action = TokensAction;

    fn reduce(self: Rc<Self>, action: TokensAction) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn info(id: &str, created: u64) -> TokenInfo {
        TokenInfo {
            id: id.into(),
            name: format!("token {id}"),
            created,
        }
    }

    fn created(id: &str) -> CreatedToken {
        CreatedToken {
            token: format!("cwt_secret_{id}"),
            info: info(id, 9),
        }
    }

    fn listed(tokens: Vec<TokenInfo>) -> TokensState {
        let mut state = TokensState::default();
        state.apply(TokensAction::Listed(tokens));
        state
    }

    fn ids(state: &TokensState) -> Vec<&str> {
        state
            .list
            .items()
            .unwrap()
            .iter()
            .map(|token| token.id.as_str())
            .collect()
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_list_shows_oldest_first() {
        let state = listed(vec![info("b", 2), info("a", 1)]);
        assert_eq!(ids(&state), ["a", "b"]);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_new_token_is_listed_and_its_secret_kept_only_until_dismissed() {
        let mut state = listed(vec![info("a", 1)]);
        state.apply(TokensAction::Creating);
        assert!(state.creating);
        state.apply(TokensAction::Created(created("b")));
        assert!(!state.creating);
        assert_eq!(ids(&state), ["a", "b"]);
        let fresh = state.fresh.as_ref().unwrap();
        assert_eq!(fresh.created.token, "cwt_secret_b");
        assert_eq!(fresh.copy, CopyState::NotCopied);
        state.apply(TokensAction::Copied(true));
        assert_eq!(state.fresh.as_ref().unwrap().copy, CopyState::Copied);
        state.apply(TokensAction::Dismiss);
        assert_eq!(state.fresh, None);
        assert!(
            !format!("{state:?}").contains("cwt_secret"),
            "no copy remains"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn revoking_the_fresh_token_forgets_its_secret_too() {
        let mut state = listed(vec![info("a", 1)]);
        state.apply(TokensAction::Created(created("b")));
        state.apply(TokensAction::Revoked("a".into()));
        assert_eq!(ids(&state), ["b"]);
        assert!(state.fresh.is_some(), "another token's revocation keeps it");
        state.apply(TokensAction::Revoked("b".into()));
        assert!(ids(&state).is_empty());
        assert_eq!(state.fresh, None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_refused_clipboard_is_reported_so_the_secret_can_be_selected_by_hand() {
        let mut state = listed(Vec::new());
        state.apply(TokensAction::Copied(true));
        assert_eq!(state.fresh, None, "nothing to copy, nothing changes");
        state.apply(TokensAction::Created(created("a")));
        state.apply(TokensAction::Copied(false));
        assert_eq!(state.fresh.unwrap().copy, CopyState::Failed);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_failed_create_shows_why_and_the_next_attempt_clears_it() {
        let mut state = listed(Vec::new());
        state.apply(TokensAction::Creating);
        state.apply(TokensAction::Failed("no".into()));
        assert!(!state.creating);
        assert_eq!(state.error.as_deref(), Some("no"));
        state.apply(TokensAction::Creating);
        assert_eq!(state.error, None);
    }
}
