//! [`Attempt`]: what a form asks for, with the callback that tells the form how it went.
//!
//! Small forms (a new room, a new direct message, a password change, adding a member) keep
//! their own draft, "busy" flag and error, so no global state holds them. They send an
//! `Attempt` up through a callback; the hook that owns the network carries it out and
//! settles it once, with `Ok` or the sentence to show. The form stays busy until then.

use yew::Callback;

/// A request from a form, and where its outcome goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt<T> {
    /// What the person asked for.
    pub input: T,
    /// Called once with the outcome: `Ok`, or the sentence to show in the form.
    pub settle: Callback<Result<(), String>>,
}

impl<T> Attempt<T> {
    /// Reports that it worked.
    pub fn succeed(&self) {
        self.settle.emit(Ok(()));
    }

    /// Reports why it did not.
    pub fn fail(&self, message: impl Into<String>) {
        self.settle.emit(Err(message.into()));
    }
}
