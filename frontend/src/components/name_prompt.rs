//! A small form that asks for one name ("New room", "New message", "Add a member"): a
//! button that opens it, or always open, and an error read out when the request fails.
//!
//! The form keeps its own draft, busy flag and error, and hands the name up as an
//! [`Attempt`]; it stays busy until the attempt is settled. Focus moves into the field when
//! the form opens and back to its button when it closes (Escape or Cancel, or success).

use crate::account::attempt::Attempt;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`NamePrompt`].
#[derive(Properties, PartialEq)]
pub struct NamePromptProps {
    /// The button that opens the form; `None` keeps the form always open.
    #[prop_or_default]
    pub opener: Option<AttrValue>,
    /// The field's label.
    pub label: AttrValue,
    /// The submit button's text.
    pub submit: AttrValue,
    /// The field's placeholder.
    #[prop_or_default]
    pub placeholder: AttrValue,
    /// The longest input accepted, in characters.
    pub max_chars: usize,
    /// The `data-testid` of the field; the opener gets it with `-open`, the submit with
    /// `-submit`.
    pub testid: AttrValue,
    /// Carry out the request.
    pub on_submit: Callback<Attempt<String>>,
}

/// Where the form stands.
#[derive(Clone, PartialEq)]
enum Stage {
    /// Only the opener shows.
    Closed,
    /// The field shows, with the last refusal if any.
    Open { error: Option<String> },
    /// A request is on its way.
    Busy,
}

/// Asks for a name.
#[component]
pub fn NamePrompt(props: &NamePromptProps) -> Html {
    let collapsible = props.opener.is_some();
    let stage = use_state(|| {
        if collapsible {
            Stage::Closed
        } else {
            Stage::Open { error: None }
        }
    });
    let draft = use_state(String::new);
    let field = use_node_ref();
    let opener = use_node_ref();
    // Focus follows the form: into the field when it opens, back to the opener when it
    // closes; never on first render, which would take focus from wherever the person is.
    let first_render = use_mut_ref(|| true);
    {
        let (field, opener) = (field.clone(), opener.clone());
        let open = *stage != Stage::Closed;
        use_effect_with(open, move |open| {
            if std::mem::replace(&mut *first_render.borrow_mut(), false) {
                return;
            }
            let target = if *open { field } else { opener };
            if let Some(element) = target.cast::<web_sys::HtmlElement>() {
                let _ = element.focus();
            }
        });
    }
    let close = {
        let (stage, draft) = (stage.clone(), draft.clone());
        move || {
            draft.set(String::new());
            stage.set(if collapsible {
                Stage::Closed
            } else {
                Stage::Open { error: None }
            });
        }
    };
    let open = {
        let stage = stage.clone();
        Callback::from(move |_: MouseEvent| stage.set(Stage::Open { error: None }))
    };
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |event: InputEvent| {
            draft.set(event.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let onkeydown = {
        let close = close.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Escape" && collapsible {
                event.prevent_default();
                close();
            }
        })
    };
    let onsubmit = {
        let (stage, draft, on_submit) = (stage.clone(), draft.clone(), props.on_submit.clone());
        let close = close.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if draft.trim().is_empty() || *stage == Stage::Busy {
                return;
            }
            stage.set(Stage::Busy);
            let (stage, close) = (stage.clone(), close.clone());
            let settle = Callback::from(move |outcome: Result<(), String>| match outcome {
                Ok(()) => close(),
                Err(error) => stage.set(Stage::Open { error: Some(error) }),
            });
            on_submit.emit(Attempt {
                input: (*draft).clone(),
                settle,
            });
        })
    };
    let testid = props.testid.clone();
    let error_id = format!("{testid}-error");
    let (busy, error) = match &*stage {
        Stage::Closed => {
            return html! {
                <button type="button" class="link prompt-opener" ref={opener} onclick={open}
                    data-testid={format!("{testid}-open")} aria-expanded="false">
                    { props.opener.clone() }
                </button>
            };
        }
        Stage::Open { error } => (false, error.clone()),
        Stage::Busy => (true, None),
    };
    html! {
        <form class="prompt" {onsubmit} aria-busy={busy.then_some("true")}>
            <label for={testid.to_string()}>{ props.label.clone() }</label>
            <div class="prompt-row">
                <input id={testid.to_string()} ref={field} data-testid={testid.clone()}
                    value={(*draft).clone()} {oninput} {onkeydown}
                    placeholder={props.placeholder.clone()} autocomplete="off"
                    maxlength={props.max_chars.to_string()}
                    aria-invalid={error.is_some().then_some("true")}
                    aria-describedby={error.is_some().then(|| error_id.clone())} />
                <button type="submit" disabled={busy || draft.trim().is_empty()}
                    data-testid={format!("{testid}-submit")}>
                    { if busy { "…".into() } else { props.submit.clone() } }
                </button>
                if collapsible {
                    <button type="button" class="link" onclick={Callback::from(move |_: MouseEvent| close())}>
                        { "Cancel" }
                    </button>
                }
            </div>
            if let Some(error) = error {
                <p id={error_id} class="error" role="alert">{ error }</p>
            }
        </form>
    }
}
