//! Who is using this browser, as a state machine: the first screen a visit shows, signing
//! in, up and out, and continuing as a guest.
//!
//! ```text
//! Loading ──Loaded──▶ SignedIn        (the cookie names an account)
//!    │                Guest           (guests allowed, and a name remembered from before)
//!    │                SignedOut       (otherwise: the sign-in screen)
//!    └──LoadFailed──▶ Unreachable ──Retry──▶ Loading
//! SignedOut ──SignedIn──▶ SignedIn ──SignedOut──▶ SignedOut
//! SignedOut ──ContinueAsGuest──▶ Guest ──ChangeName──▶ SignedOut
//!                                  Guest ──GuestNameRefused──▶ SignedOut (the name, refused)
//! ```
//!
//! The sign-in form's busy flag and error live here too ([`SessionState::form`]), because
//! they are the outcome of the same requests. Pure: the hook in
//! [`use_session`](super::use_session) does the network and dispatches [`SessionAction`]s.

use chinwag_shared::{
    Username,
    account::{AuthPolicy, Me},
};
use std::rc::Rc;
use yew::Reducible;

/// The policy assumed until the server says: guests welcome, as every server before
/// accounts did.
const GUESTS_ONLY: AuthPolicy = AuthPolicy {
    guests: true,
    sign_up: false,
};

/// Who is using this browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Session {
    /// Asking the server who this is.
    Loading,
    /// The server could not be asked; the text says why.
    Unreachable(String),
    /// Nobody: the sign-in screen shows.
    SignedOut,
    /// Chatting without an account, under a name kept in this browser.
    Guest(Username),
    /// Signed in to an account.
    SignedIn(Me),
}

/// The sign-in and sign-up form's request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FormStatus {
    /// Nothing asked, or the last answer was a success.
    #[default]
    Idle,
    /// A request is on its way; the submit button waits.
    Busy,
    /// The last request was refused; the sentence says why.
    Refused(String),
}

/// Everything the app's first screens show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionState {
    /// Who this is.
    pub session: Session,
    /// What the server allows (guests, sign-up).
    pub policy: AuthPolicy,
    /// The sign-in and sign-up form.
    pub form: FormStatus,
    /// Why the person is back on the sign-in screen, when it was not their choice.
    pub notice: Option<String>,
    /// The guest name the server just refused, to show beside the guest form until the
    /// person picks another or signs in.
    pub refused_guest_name: Option<RefusedName>,
}

/// A guest name the server refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedName {
    /// The name.
    pub name: Username,
    /// The server's reason, as a sentence.
    pub reason: String,
}

/// Everything that changes the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionAction {
    /// The server said what it allows and who this is; `remembered` is a guest name kept
    /// from an earlier visit.
    Loaded {
        /// What the server allows.
        policy: AuthPolicy,
        /// The signed-in account, if any.
        me: Option<Me>,
        /// The guest name remembered in this browser.
        remembered: Option<Username>,
    },
    /// The first requests failed.
    LoadFailed(String),
    /// Ask again after [`Session::Unreachable`].
    Retry,
    /// A sign-in or sign-up request went out.
    Submitting,
    /// It was refused, for this reason.
    Refused(String),
    /// Signed in (or up) as this account.
    SignedIn(Me),
    /// Signed out by the person.
    SignedOut,
    /// The account's credential ran out (signed out elsewhere, or expired).
    Expired,
    /// The person chose to chat as a guest under this name.
    ContinueAsGuest(Username),
    /// A guest wants another name (or to sign in).
    ChangeName,
    /// The server refused the guest's name (an account owns it, or another browser holds
    /// it); its reason, in words.
    GuestNameRefused(String),
}

/// The sentence on the sign-in screen after a session ended by itself.
pub const EXPIRED_NOTICE: &str = "Your session ended. Sign in again to continue.";

impl Default for SessionState {
    fn default() -> Self {
        Self {
            session: Session::Loading,
            policy: GUESTS_ONLY,
            form: FormStatus::Idle,
            notice: None,
            refused_guest_name: None,
        }
    }
}

impl SessionState {
    /// Applies one action.
    pub fn apply(&mut self, action: SessionAction) {
        match action {
            SessionAction::Loaded {
                policy,
                me,
                remembered,
            } => {
                self.policy = policy;
                self.session = match (me, remembered) {
                    (Some(me), _) => Session::SignedIn(me),
                    (None, Some(name)) if policy.guests => Session::Guest(name),
                    (None, _) => Session::SignedOut,
                };
            }
            SessionAction::LoadFailed(reason) => self.session = Session::Unreachable(reason),
            SessionAction::Retry => self.session = Session::Loading,
            SessionAction::Submitting => self.form = FormStatus::Busy,
            SessionAction::Refused(reason) => self.form = FormStatus::Refused(reason),
            SessionAction::SignedIn(me) => {
                self.form = FormStatus::Idle;
                self.notice = None;
                self.refused_guest_name = None;
                self.session = Session::SignedIn(me);
            }
            SessionAction::SignedOut | SessionAction::ChangeName => self.sign_out(None),
            SessionAction::Expired => {
                if matches!(self.session, Session::SignedIn(_)) {
                    self.sign_out(Some(EXPIRED_NOTICE.to_owned()));
                }
            }
            SessionAction::ContinueAsGuest(name) => {
                if self.policy.guests && self.session == Session::SignedOut {
                    self.notice = None;
                    self.refused_guest_name = None;
                    self.session = Session::Guest(name);
                }
            }
            SessionAction::GuestNameRefused(reason) => {
                if let Session::Guest(name) = &self.session {
                    let name = name.clone();
                    self.sign_out(None);
                    self.refused_guest_name = Some(RefusedName {
                        name,
                        reason: sentence(&reason),
                    });
                }
            }
        }
    }

    fn sign_out(&mut self, notice: Option<String>) {
        self.form = FormStatus::Idle;
        self.notice = notice;
        self.refused_guest_name = None;
        self.session = Session::SignedOut;
    }
}

/// `text` as a sentence: a capital first letter and a full stop. The capital is ASCII only:
/// the text is the server's or a validation error's English, and `char::to_uppercase` would
/// link all of Unicode's case table (about 12 KB of wasm).
fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|first| {
            std::iter::once(first.to_ascii_uppercase())
                .chain(chars)
                .collect()
        })
        .unwrap_or_default();
    if !out.is_empty() && !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

impl Reducible for SessionState {
    type Action = SessionAction;

    fn reduce(self: Rc<Self>, action: SessionAction) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::account::AuthMethod;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn name(raw: &str) -> Username {
        Username::parse(raw).unwrap()
    }

    fn me(raw: &str) -> Me {
        Me {
            username: name(raw),
            method: AuthMethod::Session,
            admin: false,
        }
    }

    fn loaded(guests: bool, me: Option<Me>, remembered: Option<&str>) -> SessionState {
        let mut state = SessionState::default();
        state.apply(SessionAction::Loaded {
            policy: AuthPolicy {
                guests,
                sign_up: true,
            },
            me,
            remembered: remembered.map(name),
        });
        state
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_signed_in_browser_goes_straight_to_its_account() {
        let state = loaded(true, Some(me("ada")), Some("guesty"));
        assert_eq!(state.session, Session::SignedIn(me("ada")));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_remembered_guest_name_is_used_only_while_guests_are_allowed() {
        assert_eq!(
            loaded(true, None, Some("guesty")).session,
            Session::Guest(name("guesty"))
        );
        assert_eq!(
            loaded(false, None, Some("guesty")).session,
            Session::SignedOut
        );
        assert_eq!(loaded(true, None, None).session, Session::SignedOut);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn nobody_continues_as_a_guest_where_guests_are_not_allowed() {
        let mut state = loaded(false, None, None);
        state.apply(SessionAction::ContinueAsGuest(name("sneaky")));
        assert_eq!(state.session, Session::SignedOut);
        let mut open = loaded(true, None, None);
        open.apply(SessionAction::ContinueAsGuest(name("welcome")));
        assert_eq!(open.session, Session::Guest(name("welcome")));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_refusal_shows_until_the_next_success() {
        let mut state = loaded(true, None, None);
        state.apply(SessionAction::Submitting);
        assert_eq!(state.form, FormStatus::Busy);
        state.apply(SessionAction::Refused("Wrong name or password.".into()));
        assert_eq!(
            state.form,
            FormStatus::Refused("Wrong name or password.".into())
        );
        assert_eq!(state.session, Session::SignedOut);
        state.apply(SessionAction::SignedIn(me("ada")));
        assert_eq!(state.form, FormStatus::Idle);
        assert_eq!(state.session, Session::SignedIn(me("ada")));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn an_expired_session_returns_to_sign_in_with_a_notice_but_a_guest_stays() {
        let mut state = loaded(true, Some(me("ada")), None);
        state.apply(SessionAction::Expired);
        assert_eq!(state.session, Session::SignedOut);
        assert_eq!(state.notice.as_deref(), Some(EXPIRED_NOTICE));
        state.apply(SessionAction::SignedIn(me("ada")));
        assert_eq!(state.notice, None);

        let mut guest = loaded(true, None, Some("guesty"));
        guest.apply(SessionAction::Expired);
        assert_eq!(guest.session, Session::Guest(name("guesty")));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn signing_out_or_changing_name_returns_to_the_first_screen() {
        let mut state = loaded(true, Some(me("ada")), None);
        state.apply(SessionAction::SignedOut);
        assert_eq!(state.session, Session::SignedOut);
        assert_eq!(state.notice, None);
        let mut guest = loaded(true, None, Some("guesty"));
        guest.apply(SessionAction::ChangeName);
        assert_eq!(guest.session, Session::SignedOut);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_guest_refused_their_name_returns_to_the_first_screen_with_that_name() {
        let mut guest = loaded(true, None, Some("ada"));
        guest.apply(SessionAction::GuestNameRefused(
            "ada belongs to an account; sign in to use it".into(),
        ));
        assert_eq!(guest.session, Session::SignedOut);
        assert_eq!(
            guest.refused_guest_name,
            Some(RefusedName {
                name: name("ada"),
                reason: "Ada belongs to an account; sign in to use it.".into(),
            })
        );
        guest.apply(SessionAction::ContinueAsGuest(name("ada2")));
        assert_eq!(guest.session, Session::Guest(name("ada2")));
        assert_eq!(guest.refused_guest_name, None);

        let mut account = loaded(true, Some(me("ada")), None);
        account.apply(SessionAction::GuestNameRefused("taken".into()));
        assert_eq!(
            account.session,
            Session::SignedIn(me("ada")),
            "only a guest"
        );
        assert_eq!(account.refused_guest_name, None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn an_unreachable_server_can_be_asked_again() {
        let mut state = SessionState::default();
        state.apply(SessionAction::LoadFailed("offline".into()));
        assert_eq!(state.session, Session::Unreachable("offline".into()));
        state.apply(SessionAction::Retry);
        assert_eq!(state.session, Session::Loading);
    }
}
