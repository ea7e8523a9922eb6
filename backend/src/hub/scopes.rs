//! The one place a backend's API key is judged by its scopes.
//!
//! Every gate of the hub a key can pass calls [`require_scope`] with the scope of the act:
//! entering a room to read (`read`), post (`publish`) or act (`moderate`)
//! ([`super::Hub::enter_for`], which every transport passes through), the private rooms a
//! backend manages (`rooms`, [`super::managed_rooms`]) and site-wide acts
//! ([`super::Hub::site_act`]). Routes never look at scopes: they ask the hub. People are
//! judged by their roles elsewhere (`super::rules`); here they pass.

use crate::auth::{Principal, ServiceKey};
use chinwag_shared::api_keys::ApiScope;

/// An API key was used for a call its scopes do not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this API key lacks the `{}` scope this call needs", .0.as_str())]
pub struct MissingScope(pub ApiScope);

/// The one scope check: whether `principal` may make a call that API keys reach with
/// `scope`. Every gate of the hub a key can pass asks here (entering a room to read, post or
/// act; creating rooms; setting members; site-wide acts). People are judged by their roles
/// instead, elsewhere: this lets them through.
pub fn require_scope(principal: &Principal, scope: ApiScope) -> Result<(), MissingScope> {
    match principal {
        Principal::Service(key) => require_key_scope(key, scope),
        Principal::Guest | Principal::Account(_) => Ok(()),
    }
}

/// [`require_scope`] for a call only keys make (the rooms a backend manages).
pub fn require_key_scope(key: &ServiceKey, scope: ApiScope) -> Result<(), MissingScope> {
    if key.has(scope) {
        Ok(())
    } else {
        Err(MissingScope(scope))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_key_passes_only_with_the_scope_and_people_always_pass() {
        let key = Principal::Service(Arc::new(ServiceKey {
            id: "0123456789abcdef".to_owned(),
            name: "backend".to_owned(),
            scopes: vec![ApiScope::Read, ApiScope::Rooms],
        }));
        assert_eq!(require_scope(&key, ApiScope::Read), Ok(()));
        assert_eq!(require_scope(&key, ApiScope::Rooms), Ok(()));
        for missing in [ApiScope::Publish, ApiScope::Moderate] {
            let refused = require_scope(&key, missing);
            assert_eq!(refused, Err(MissingScope(missing)));
            let said = refused.map_err(|err| err.to_string()).unwrap_err();
            assert!(said.contains(missing.as_str()), "{said}");
        }
        assert_eq!(require_scope(&Principal::Guest, ApiScope::Moderate), Ok(()));
    }
}
