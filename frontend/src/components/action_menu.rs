//! A small actions menu: a "⋯" button that opens an ARIA menu of choices, and for a choice
//! that cannot be undone, a confirmation step in its place.
//!
//! Used on each message (edit, delete, and a moderator's mute, kick and ban of its author)
//! and beside each person in the presence and members panels. The button says what it
//! opens (`aria-haspopup="menu"`, `aria-expanded`); opening puts focus on the first item;
//! the arrow keys, Home and End move between items; Escape or Tab closes it, and Escape
//! gives focus back to the button, as does finishing or cancelling a confirmation. A
//! destructive choice never runs straight from the menu: it asks first, and a timed one
//! (mute, ban) asks with its durations, each of which confirms.

use crate::chat::acts::DURATIONS;
use web_sys::HtmlElement;
use yew::prelude::*;

/// One choice of the menu.
#[derive(Clone, PartialEq)]
pub enum Choice {
    /// Runs at once (nothing is lost): "Edit".
    Now {
        /// The item's text.
        label: AttrValue,
        /// What it does.
        run: Callback<()>,
    },
    /// Asks `question` first, then runs on `confirm`: "Delete", "Kick".
    Confirm {
        /// The item's text.
        label: AttrValue,
        /// What the confirmation asks.
        question: AttrValue,
        /// The confirming button's text.
        confirm: AttrValue,
        /// What it does.
        run: Callback<()>,
    },
    /// Asks `question` with a button per duration (seconds; `None` until lifted): "Mute".
    Timed {
        /// The item's text.
        label: AttrValue,
        /// What the confirmation asks.
        question: AttrValue,
        /// What it does, for how long.
        run: Callback<Option<u64>>,
    },
}

impl Choice {
    fn label(&self) -> &AttrValue {
        match self {
            Choice::Now { label, .. }
            | Choice::Confirm { label, .. }
            | Choice::Timed { label, .. } => label,
        }
    }
}

/// Props of [`ActionMenu`].
#[derive(Properties, PartialEq)]
pub struct ActionMenuProps {
    /// The button's accessible name: "Actions for bob's message".
    pub label: AttrValue,
    /// The choices, in order.
    pub choices: Vec<Choice>,
    /// A `data-testid` for the button.
    #[prop_or_default]
    pub testid: Option<&'static str>,
}

/// Where the menu is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Closed,
    Open,
    /// Asking about choice `n`.
    Asking(usize),
}

/// The actions menu.
#[component]
pub fn ActionMenu(props: &ActionMenuProps) -> Html {
    let stage = use_state(|| Stage::Closed);
    let toggle_ref = use_node_ref();
    let panel_ref = use_node_ref();
    let item_refs = use_mut_ref(Vec::<NodeRef>::new);
    item_refs
        .borrow_mut()
        .resize_with(props.choices.len(), NodeRef::default);
    let first_render = use_mut_ref(|| true);
    {
        let (toggle_ref, panel_ref, item_refs) =
            (toggle_ref.clone(), panel_ref.clone(), item_refs.clone());
        use_effect_with(*stage, move |stage| {
            if std::mem::replace(&mut *first_render.borrow_mut(), false) {
                return;
            }
            let (target, last) = match stage {
                Stage::Open => {
                    let items = item_refs.borrow();
                    (items.first().cloned(), items.last().cloned())
                }
                Stage::Asking(_) => (Some(panel_ref.clone()), Some(panel_ref)),
                Stage::Closed => (Some(toggle_ref), None),
            };
            focus(target.as_ref(), stage == &Stage::Closed);
            // A menu near the bottom of a scrolling list would hang out of sight below it.
            if let Some(last) = last.as_ref().and_then(NodeRef::cast::<web_sys::Element>) {
                last.scroll_into_view_with_bool(false);
            }
        });
    }
    let set = |to: Stage| {
        let stage = stage.clone();
        Callback::from(move |_: MouseEvent| stage.set(to))
    };
    let on_toggle = {
        let stage = stage.clone();
        Callback::from(move |_: MouseEvent| {
            stage.set(match *stage {
                Stage::Closed => Stage::Open,
                Stage::Open | Stage::Asking(_) => Stage::Closed,
            })
        })
    };
    let onkeydown = {
        let (stage, item_refs) = (stage.clone(), item_refs.clone());
        Callback::from(move |event: KeyboardEvent| match event.key().as_str() {
            "Escape" if *stage != Stage::Closed => {
                event.prevent_default();
                stage.set(Stage::Closed);
            }
            // Tab leaves a menu (not a confirmation, whose buttons Tab moves between).
            "Tab" if *stage == Stage::Open => stage.set(Stage::Closed),
            key @ ("ArrowDown" | "ArrowUp" | "Home" | "End") if *stage == Stage::Open => {
                event.prevent_default();
                move_focus(&item_refs.borrow(), key);
            }
            _ => {}
        })
    };
    let expanded = *stage != Stage::Closed;
    let body = match *stage {
        Stage::Closed => html! {},
        Stage::Open => {
            let refs = item_refs.borrow();
            html! {
                <ul class="action-menu" role="menu" aria-label={props.label.clone()}>
                    { for props.choices.iter().zip(refs.iter()).enumerate().map(|(n, (choice, item_ref))| {
                        let onclick = match choice {
                            Choice::Now { run, .. } => {
                                let (run, stage) = (run.clone(), stage.clone());
                                Callback::from(move |_: MouseEvent| {
                                    stage.set(Stage::Closed);
                                    run.emit(());
                                })
                            }
                            Choice::Confirm { .. } | Choice::Timed { .. } => set(Stage::Asking(n)),
                        };
                        let danger = !matches!(choice, Choice::Now { .. });
                        html! {
                            <li role="none">
                                <button type="button" role="menuitem" ref={item_ref.clone()}
                                    tabindex="-1" class={classes!(danger.then_some("danger-item"))}
                                    {onclick}>
                                    { choice.label().clone() }
                                </button>
                            </li>
                        }
                    }) }
                </ul>
            }
        }
        Stage::Asking(n) => match props.choices.get(n) {
            Some(choice) => asking(choice, &stage, &panel_ref),
            None => html! {},
        },
    };
    html! {
        <div class="action-menu-wrap" {onkeydown}>
            <button type="button" class="action-toggle" ref={toggle_ref} onclick={on_toggle}
                aria-haspopup="menu" aria-expanded={expanded.to_string()}
                aria-label={props.label.clone()} data-testid={props.testid}>
                { "⋯" }
            </button>
            { body }
        </div>
    }
}

/// The confirmation of `choice`: its question and the buttons that confirm it, or cancel.
fn asking(choice: &Choice, stage: &UseStateHandle<Stage>, panel_ref: &NodeRef) -> Html {
    let closing = |run: Callback<()>| {
        let stage = stage.clone();
        Callback::from(move |_: MouseEvent| {
            stage.set(Stage::Closed);
            run.emit(());
        })
    };
    let cancel = closing(Callback::noop());
    let (question, buttons) = match choice {
        Choice::Confirm {
            question,
            confirm,
            run,
            ..
        } => (
            question.clone(),
            html! {
                <button type="button" class="danger" onclick={closing(run.clone())}>{ confirm.clone() }</button>
            },
        ),
        Choice::Timed { question, run, .. } => (
            question.clone(),
            html! {
                { for DURATIONS.iter().map(|(seconds, words)| {
                    let (run, seconds) = (run.clone(), *seconds);
                    html! {
                        <button type="button" class="danger"
                            onclick={closing(Callback::from(move |()| run.emit(seconds)))}>
                            { *words }
                        </button>
                    }
                }) }
            },
        ),
        Choice::Now { .. } => return html! {},
    };
    html! {
        <div class="action-confirm" role="group" aria-label={question.clone()} tabindex="-1"
            ref={panel_ref.clone()}>
            <p>{ question }</p>
            <div class="action-confirm-buttons">
                { buttons }
                <button type="button" class="secondary" onclick={cancel}>{ "Cancel" }</button>
            </div>
        </div>
    }
}

/// Focuses `target`; `quietly` when it is the menu's own button coming back, which is only
/// right if focus was inside the menu (a click elsewhere must not pull focus back).
fn focus(target: Option<&NodeRef>, quietly: bool) {
    let Some(element) = target.and_then(NodeRef::cast::<HtmlElement>) else {
        return;
    };
    if quietly {
        let active = web_sys::window()
            .and_then(|window| window.document())
            .and_then(|document| document.active_element());
        let inside_or_nowhere = active.is_none_or(|active| {
            active.tag_name() == "BODY"
                || element
                    .parent_element()
                    .is_some_and(|wrap| wrap.contains(Some(&active)))
        });
        if !inside_or_nowhere {
            return;
        }
    }
    let _ = element.focus();
}

/// Moves focus among the menu's items for `key` (arrows wrap around).
fn move_focus(items: &[NodeRef], key: &str) {
    let elements: Vec<HtmlElement> = items.iter().filter_map(NodeRef::cast).collect();
    if elements.is_empty() {
        return;
    }
    let active = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.active_element());
    let at = elements
        .iter()
        .position(|element| active.as_ref().is_some_and(|a| a == element.as_ref()));
    let last = elements.len() - 1;
    let next = match (key, at) {
        ("Home", _) | ("ArrowDown", None) => 0,
        ("End", _) | ("ArrowUp", None) => last,
        ("ArrowDown", Some(at)) => {
            if at == last {
                0
            } else {
                at + 1
            }
        }
        (_, Some(at)) => {
            if at == 0 {
                last
            } else {
                at - 1
            }
        }
        _ => 0,
    };
    if let Some(element) = elements.get(next) {
        let _ = element.focus();
    }
}
