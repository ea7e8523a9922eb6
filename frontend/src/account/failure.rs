//! Why an account or room-access request failed, and what to tell the person.
//!
//! The backend answers a refusal with an HTTP status and a JSON [`ApiError`] (`{code,
//! detail}`); [`ApiFailure`] keeps both, plus the `Retry-After` seconds of a rate limit, or
//! says the request never got an answer. [`ApiFailure::message`] turns it into one sentence
//! for the form it came from ([`Purpose`]), since the same code reads differently on
//! different forms: `bad_credentials` is a wrong password when signing in, and a wrong
//! *current* password when changing it. Pure, so every sentence is tested natively.

use chinwag_shared::{
    ApiError, ErrorCode,
    account::{MAX_TOKEN_NAME_CHARS, MIN_PASSWORD_CHARS},
};

/// Why a request brought no answer the caller could use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiFailure {
    /// The server answered with an error status.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The error's code, if the body was an [`ApiError`].
        code: Option<ErrorCode>,
        /// The server's explanation (or the status line when the body said nothing).
        detail: String,
        /// Seconds to wait, from a `Retry-After` header.
        retry_after_secs: Option<u32>,
    },
    /// No usable answer: the network failed, or the body was not what the route promises.
    Network(String),
}

/// The form or action a request came from, which decides how a refusal reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signing in with a name and password.
    SignIn,
    /// Creating an account.
    SignUp,
    /// Changing the password.
    // Only the panels' bundle changes passwords (`crate::panels`).
    #[cfg_attr(
        not(any(feature = "panels", feature = "console", test)),
        allow(dead_code)
    )]
    ChangePassword,
    /// Signing out here or everywhere.
    SignOut,
    // Only the panels' bundle lists tokens and members (`crate::panels`).
    #[cfg_attr(
        not(any(feature = "panels", feature = "console", test)),
        allow(dead_code)
    )]
    /// Listing, creating or revoking access tokens.
    Tokens,
    /// Creating a private room.
    NewRoom,
    /// Starting a direct message.
    NewDm,
    // Only the panels' bundle lists tokens and members (`crate::panels`).
    #[cfg_attr(
        not(any(feature = "panels", feature = "console", test)),
        allow(dead_code)
    )]
    /// Listing, adding or removing members of a private room.
    Members,
    /// Editing or deleting a message, a sanction, a room's settings or its moderators.
    Moderation,
    /// Anything the site admins' console (`/admin`) asks or changes (its build only).
    #[cfg_attr(not(feature = "console"), allow(dead_code))]
    Console,
}

impl ApiFailure {
    /// A refusal read from a response: its status, its body if that was an [`ApiError`], and
    /// its `Retry-After` header.
    pub fn refused(status: u16, body: Option<ApiError>, retry_after: Option<&str>) -> Self {
        let (code, detail) = match body {
            Some(error) => (Some(error.code), error.detail),
            None => (None, format!("HTTP {status}")),
        };
        ApiFailure::Refused {
            status,
            code,
            detail,
            retry_after_secs: retry_after.and_then(retry_after_secs),
        }
    }

    /// One sentence for the person, as the form of `purpose` shows it.
    pub fn message(&self, purpose: Purpose) -> String {
        let (code, detail, retry_after_secs) = match self {
            ApiFailure::Network(_) => {
                return "Could not reach the server. Check your connection and try again."
                    .to_owned();
            }
            ApiFailure::Refused {
                code,
                detail,
                retry_after_secs,
                ..
            } => (*code, detail, *retry_after_secs),
        };
        let Some(code) = code else {
            return format!("The server could not do that ({detail}). Try again later.");
        };
        match (code, purpose) {
            (ErrorCode::BadCredentials, Purpose::ChangePassword) => {
                "Your current password is wrong.".to_owned()
            }
            (ErrorCode::BadCredentials, _) => "Wrong name or password.".to_owned(),
            (ErrorCode::AccountDisabled, _) => {
                "This account is disabled. Ask a site admin to enable it.".to_owned()
            }
            (ErrorCode::RateLimited, _) => match retry_after_secs {
                Some(secs) => format!("Too many tries; try again in {secs} s."),
                None => "Too many tries; wait a little and try again.".to_owned(),
            },
            (ErrorCode::UsernameTaken, _) => "That name is taken. Try another.".to_owned(),
            (ErrorCode::InvalidUsername, _) => format!("That name is not allowed: {detail}."),
            (ErrorCode::WeakPassword, _) => {
                format!("Choose a password of at least {MIN_PASSWORD_CHARS} characters.")
            }
            (ErrorCode::RoomExists, _) => "A room of that name exists already.".to_owned(),
            (ErrorCode::InvalidRoom, _) => format!("That room name is not allowed: {detail}."),
            (ErrorCode::NoSuchUser, _) => "No account has that name.".to_owned(),
            (ErrorCode::Forbidden, Purpose::Members) => {
                "Only the room's owner can change its members.".to_owned()
            }
            (ErrorCode::Forbidden, Purpose::Moderation) => {
                "Only the room's moderators can do that.".to_owned()
            }
            (ErrorCode::Forbidden, Purpose::Console) => {
                "Only site admins can do that; is this account still one?".to_owned()
            }
            (ErrorCode::Forbidden, _) => "You may not do that here.".to_owned(),
            (ErrorCode::NoSuchMessage, _) => "That message no longer exists.".to_owned(),
            (ErrorCode::MessageDeleted, _) => "That message was deleted.".to_owned(),
            (ErrorCode::EditWindowClosed, _) => "It is too late to edit that message.".to_owned(),
            (ErrorCode::Muted, _) => format!("You are muted here: {detail}"),
            (ErrorCode::Banned, _) => format!("You are banned from this room: {detail}"),
            (ErrorCode::Unauthenticated, _) => {
                "You are signed out. Sign in again to do that.".to_owned()
            }
            (ErrorCode::TooMany, Purpose::Tokens) => {
                "You have as many access tokens as allowed. Revoke one first.".to_owned()
            }
            (ErrorCode::BadMessage, Purpose::Tokens) => {
                format!("Give the token a name of 1 to {MAX_TOKEN_NAME_CHARS} characters.")
            }
            _ => format!("The server refused: {detail}."),
        }
    }
}

/// The seconds of a `Retry-After` header. Only its delay-seconds form is read; a date (which
/// the backend never sends) counts as absent.
pub fn retry_after_secs(header: &str) -> Option<u32> {
    header.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn refused(code: ErrorCode) -> ApiFailure {
        ApiFailure::refused(
            400,
            Some(ApiError {
                code,
                detail: "the detail".into(),
                retry_after_ms: None,
            }),
            None,
        )
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_wrong_password_reads_differently_when_signing_in_and_when_changing_it() {
        let failure = refused(ErrorCode::BadCredentials);
        assert_eq!(failure.message(Purpose::SignIn), "Wrong name or password.");
        assert_eq!(
            failure.message(Purpose::ChangePassword),
            "Your current password is wrong."
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_rate_limit_says_how_long_to_wait_when_the_server_said() {
        let body = ApiError {
            code: ErrorCode::RateLimited,
            detail: "slow down".into(),
            retry_after_ms: None,
        };
        let timed = ApiFailure::refused(429, Some(body.clone()), Some(" 12 "));
        assert_eq!(
            timed.message(Purpose::SignIn),
            "Too many tries; try again in 12 s."
        );
        let dated = ApiFailure::refused(429, Some(body), Some("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(
            dated.message(Purpose::SignIn),
            "Too many tries; wait a little and try again."
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn each_account_code_has_its_own_sentence() {
        let cases = [
            (ErrorCode::UsernameTaken, "That name is taken. Try another."),
            (
                ErrorCode::WeakPassword,
                "Choose a password of at least 8 characters.",
            ),
            (ErrorCode::RoomExists, "A room of that name exists already."),
            (ErrorCode::NoSuchUser, "No account has that name."),
            (
                ErrorCode::AccountDisabled,
                "This account is disabled. Ask a site admin to enable it.",
            ),
            (ErrorCode::Forbidden, "You may not do that here."),
            (
                ErrorCode::InvalidUsername,
                "That name is not allowed: the detail.",
            ),
        ];
        for (code, sentence) in cases {
            assert_eq!(refused(code).message(Purpose::SignUp), sentence, "{code}");
        }
        assert_eq!(
            refused(ErrorCode::Forbidden).message(Purpose::Members),
            "Only the room's owner can change its members."
        );
        assert_eq!(
            refused(ErrorCode::Forbidden).message(Purpose::Moderation),
            "Only the room's moderators can do that."
        );
        assert_eq!(
            refused(ErrorCode::EditWindowClosed).message(Purpose::Moderation),
            "It is too late to edit that message."
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_body_that_is_no_api_error_still_reads_as_a_refusal_with_its_status() {
        let failure = ApiFailure::refused(502, None, None);
        assert!(matches!(failure, ApiFailure::Refused { code: None, .. }));
        assert_eq!(
            failure.message(Purpose::SignIn),
            "The server could not do that (HTTP 502). Try again later."
        );
        let network = ApiFailure::Network("offline".into());
        assert!(
            network
                .message(Purpose::NewDm)
                .starts_with("Could not reach the server")
        );
    }
}
