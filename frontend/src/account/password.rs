//! The password rules, checked in the browser before a form is sent: the same bounds the
//! server applies ([`MIN_PASSWORD_CHARS`] characters at least, [`MAX_PASSWORD_BYTES`] bytes at
//! most), so a person learns them before submitting rather than from a refusal.

use chinwag_shared::account::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
use std::fmt;

/// The rule shown beside every new-password field before anything is typed.
pub const PASSWORD_RULE: &str = "At least 8 characters.";

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters; `missing` more are needed.
    TooShort {
        /// Characters still needed.
        missing: usize,
    },
    /// More than [`MAX_PASSWORD_BYTES`] bytes.
    TooLong,
}

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordProblem::TooShort { missing: 1 } => {
                write!(f, "{PASSWORD_RULE} One more to go.")
            }
            PasswordProblem::TooShort { missing } => {
                write!(f, "{PASSWORD_RULE} {missing} more to go.")
            }
            PasswordProblem::TooLong => write!(f, "At most {MAX_PASSWORD_BYTES} bytes."),
        }
    }
}

/// Checks a new password against the server's bounds. Characters, not bytes, count towards
/// the minimum, as on the server: "ééééé" is five characters.
pub fn check_new_password(password: &str) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort {
            missing: MIN_PASSWORD_CHARS - chars,
        });
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordProblem::TooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_shown_rule_matches_the_shared_minimum() {
        assert_eq!(
            PASSWORD_RULE,
            format!("At least {MIN_PASSWORD_CHARS} characters.")
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_password_needs_the_minimum_in_characters_not_bytes() {
        assert_eq!(
            check_new_password("short"),
            Err(PasswordProblem::TooShort { missing: 3 })
        );
        assert_eq!(
            check_new_password("ééééééé"),
            Err(PasswordProblem::TooShort { missing: 1 }),
            "14 bytes but 7 characters"
        );
        assert_eq!(check_new_password("éééééééé"), Ok(()));
        assert_eq!(check_new_password("correct horse"), Ok(()));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_password_over_the_byte_limit_is_refused() {
        let at_limit = "a".repeat(MAX_PASSWORD_BYTES);
        assert_eq!(check_new_password(&at_limit), Ok(()));
        assert_eq!(
            check_new_password(&format!("{at_limit}a")),
            Err(PasswordProblem::TooLong)
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_problem_says_how_many_characters_are_missing() {
        assert_eq!(
            PasswordProblem::TooShort { missing: 3 }.to_string(),
            "At least 8 characters. 3 more to go."
        );
        assert_eq!(
            PasswordProblem::TooShort { missing: 1 }.to_string(),
            "At least 8 characters. One more to go."
        );
    }
}
