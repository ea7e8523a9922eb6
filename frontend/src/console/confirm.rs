//! Every change the console makes asks first, in a dialog of the page's own (not the
//! browser's `confirm()`, which cannot be styled, tested or read by every screen reader the
//! same way).
//!
//! A panel builds a [`Confirmation`] (the question, the button's word, what to run) and
//! hands it to the console through [`ConsoleContext::ask`]; [`ConfirmDialog`] shows it as a
//! modal `alertdialog` with focus on "Cancel", so Enter alone never confirms a change, and
//! Tab moves between its two buttons only. Escape, "Cancel" or a click outside closes it;
//! the confirming button runs the action and closes it. How the action went comes back through [`ConsoleContext::report`].

use crate::account::failure::{ApiFailure, Purpose};
use crate::testid;
use std::future::Future;
use web_sys::HtmlElement;
use yew::prelude::*;

/// A change waiting for the admin's yes.
#[derive(Clone, PartialEq)]
pub struct Confirmation {
    /// The question, naming what changes ("Disable bob? They are signed out everywhere.").
    pub question: AttrValue,
    /// The confirming button's word ("Disable").
    pub confirm: AttrValue,
    /// Whether it takes something away (the button is red).
    pub danger: bool,
    /// Carries it out.
    pub run: Callback<()>,
}

/// How the last change went, shown above the panels.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// It worked; the sentence says what was done.
    Done(String),
    /// It failed; the sentence says why.
    Failed(String),
}

/// What every panel of the console can reach.
#[derive(Clone, PartialEq)]
pub struct ConsoleContext {
    /// Ask the admin to confirm a change.
    pub ask: Callback<Confirmation>,
    /// Say how a change went.
    pub report: Callback<Outcome>,
}

impl ConsoleContext {
    /// A callback that runs `request` and reports `done` (then calls `after`, to reload the
    /// panel's lists) if it worked, or the refusal in words if not.
    pub fn request<F, Fut>(&self, done: String, after: Callback<()>, request: F) -> Callback<()>
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<(), ApiFailure>> + 'static,
    {
        let report = self.report.clone();
        Callback::from(move |()| {
            let (report, after, done) = (report.clone(), after.clone(), done.clone());
            let pending = request();
            wasm_bindgen_futures::spawn_local(async move {
                match pending.await {
                    Ok(()) => {
                        report.emit(Outcome::Done(done));
                        after.emit(());
                    }
                    Err(failure) => report.emit(Outcome::Failed(failure.message(Purpose::Console))),
                }
            });
        })
    }
}

/// Props of [`ConfirmDialog`].
#[derive(Properties, PartialEq)]
pub struct ConfirmDialogProps {
    /// What to ask.
    pub confirmation: Confirmation,
    /// Close it (after either answer).
    pub on_close: Callback<()>,
}

/// The confirmation dialog.
#[component]
pub fn ConfirmDialog(props: &ConfirmDialogProps) -> Html {
    let cancel_ref = use_node_ref();
    {
        let cancel_ref = cancel_ref.clone();
        use_effect_with(props.confirmation.question.clone(), move |_| {
            if let Some(cancel) = cancel_ref.cast::<HtmlElement>() {
                let _ = cancel.focus();
            }
        });
    }
    let cancel = props.on_close.reform(|_: MouseEvent| ());
    let confirm = {
        let (run, on_close) = (props.confirmation.run.clone(), props.on_close.clone());
        Callback::from(move |_: MouseEvent| {
            on_close.emit(());
            run.emit(());
        })
    };
    let confirm_ref = use_node_ref();
    let onkeydown = {
        let on_close = props.on_close.clone();
        let (cancel_ref, confirm_ref) = (cancel_ref.clone(), confirm_ref.clone());
        Callback::from(move |event: KeyboardEvent| match event.key().as_str() {
            "Escape" => {
                event.prevent_default();
                on_close.emit(());
            }
            // A modal keeps focus inside: Tab moves between its two buttons only.
            "Tab" => {
                event.prevent_default();
                let on_cancel = cancel_ref
                    .cast::<HtmlElement>()
                    .zip(web_sys::window().and_then(|w| w.document()))
                    .and_then(|(cancel, document)| {
                        document.active_element().map(|active| active == *cancel)
                    })
                    .unwrap_or(false);
                let next = if on_cancel { &confirm_ref } else { &cancel_ref };
                if let Some(next) = next.cast::<HtmlElement>() {
                    let _ = next.focus();
                }
            }
            _ => {}
        })
    };
    // Clicks inside the dialog stop here, so only a click on the backdrop closes it.
    let backdrop = props.on_close.reform(|_: MouseEvent| ());
    let inside = Callback::from(|event: MouseEvent| event.stop_propagation());
    let class = if props.confirmation.danger {
        "danger"
    } else {
        "primary"
    };
    html! {
        <div class="dialog-backdrop" onclick={backdrop} {onkeydown}>
            <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="confirm-question"
                onclick={inside} data-testid={testid::CONFIRM_DIALOG}>
                <p id="confirm-question">{ props.confirmation.question.clone() }</p>
                <div class="dialog-buttons">
                    <button type="button" class="secondary" ref={cancel_ref} onclick={cancel}
                        data-testid={testid::CONFIRM_CANCEL}>{ "Cancel" }</button>
                    <button type="button" {class} ref={confirm_ref} onclick={confirm} data-testid={testid::CONFIRM_OK}>
                        { props.confirmation.confirm.clone() }
                    </button>
                </div>
            </div>
        </div>
    }
}
