//! The scrolling log of the current room: stored messages, notices (join/leave lines, and the
//! line saying the server's history was reset) and the room's pending sends, oldest first.
//!
//! It follows new messages while the reader is at the bottom and keeps still when they have
//! scrolled up to read (also when older pages are prepended), and offers "load older" while
//! the log may have more before its first message.

use super::message::{Delivery, Message, MessageActions};
use crate::{
    chat::state::{Notice, NoticeKind, Pending, SendState, SharedList, SharedMap},
    testid,
};
use chinwag_shared::{ChatRecord, ClientId, RoomName, Username};
use std::rc::Rc;
use web_sys::Element;
use yew::prelude::*;

/// Within this many pixels of the bottom counts as "at the bottom".
const STICK_THRESHOLD_PX: i32 = 48;

/// Props of [`MessageList`].
#[derive(Properties, PartialEq)]
pub struct MessageListProps {
    /// The room shown.
    pub room: RoomName,
    /// Its stored messages.
    pub messages: SharedMap<u64, Rc<ChatRecord>>,
    /// Its join/leave and history-reset lines.
    pub notices: SharedList<Notice>,
    /// Its unconfirmed sends.
    pub pending: Vec<Pending>,
    /// This person.
    pub me: Username,
    /// Whether this person is a guest: their pending messages are marked as the stored ones
    /// will be.
    #[prop_or_default]
    pub me_guest: bool,
    /// Whether older messages may exist.
    pub has_older: bool,
    /// Load the page before the first message.
    pub on_load_older: Callback<()>,
    /// Re-send a refused message.
    pub on_retry: Callback<ClientId>,
    /// Drop a refused or waiting message.
    pub on_discard: Callback<ClientId>,
    /// Whether this person is signed in (only accounts edit and delete their messages).
    #[prop_or_default]
    pub signed_in: bool,
    /// Whether this person moderates the room (deletes anyone's message, sanctions authors).
    #[prop_or_default]
    pub moderator: bool,
    /// Whether this person is held out of the room (banned, kicked): an empty list then
    /// means nothing may be shown, not that nobody has spoken.
    #[prop_or_default]
    pub barred: bool,
    /// What the message menus do: only the callbacks are read here; each message gets the
    /// permissions that fit it.
    #[prop_or_default]
    pub actions: MessageActions,
}

/// Where the reader is: following the end, or this far from the bottom.
#[derive(Clone, Copy)]
enum Scroll {
    Following,
    FromBottom(i32),
}

/// The message log.
#[component]
pub fn MessageList(props: &MessageListProps) -> Html {
    let list = use_node_ref();
    let scroll = use_mut_ref(|| Scroll::Following);
    {
        let scroll = scroll.clone();
        use_effect_with(props.room.clone(), move |_| {
            *scroll.borrow_mut() = Scroll::Following
        });
    }
    {
        // After every render: keep following, or keep the reader's place.
        let (list, scroll) = (list.clone(), scroll.clone());
        use_effect(move || {
            if let Some(element) = list.cast::<Element>() {
                match *scroll.borrow() {
                    Scroll::Following => element.set_scroll_top(element.scroll_height()),
                    Scroll::FromBottom(gap) => {
                        element.set_scroll_top(element.scroll_height() - gap);
                    }
                }
            }
        });
    }
    let onscroll = {
        let (list, scroll) = (list.clone(), scroll.clone());
        Callback::from(move |_: Event| {
            if let Some(element) = list.cast::<Element>() {
                let gap = element.scroll_height() - element.scroll_top();
                let at_bottom = gap - element.client_height() <= STICK_THRESHOLD_PX;
                *scroll.borrow_mut() = if at_bottom {
                    Scroll::Following
                } else {
                    Scroll::FromBottom(gap)
                };
            }
        })
    };
    html! {
        <ol class="messages" ref={list} {onscroll} data-testid={testid::MESSAGES}
            aria-label={format!("Messages in #{}", props.room)}>
            if props.has_older {
                <li class="older">
                    <button class="link" data-testid={testid::LOAD_OLDER}
                        onclick={props.on_load_older.reform(|_: MouseEvent| ())}>
                        { "Load older messages" }
                    </button>
                </li>
            } else if props.messages.is_empty() && props.pending.is_empty() && props.barred {
                <li class="empty">{ format!("#{}'s messages are not shown while you are out of it.", props.room) }</li>
            } else if props.messages.is_empty() && props.pending.is_empty() {
                <li class="empty">{ format!("No messages in #{} yet. Say hello!", props.room) }</li>
            }
            { for interleave(&props.messages, &props.notices).into_iter().map(|item| match item {
                Item::Record(record) => record_item(record, props),
                Item::Notice(notice) => notice_item(notice),
            }) }
            { for props.pending.iter().map(|pending| pending_item(pending, props)) }
        </ol>
    }
}

enum Item<'a> {
    Record(&'a ChatRecord),
    Notice(&'a Notice),
}

/// Messages by id with each notice placed after the message that was newest when it came.
fn interleave<'a>(
    messages: &'a SharedMap<u64, Rc<ChatRecord>>,
    notices: &'a SharedList<Notice>,
) -> Vec<Item<'a>> {
    let mut items = Vec::with_capacity(messages.len() + notices.len());
    let mut notices = notices.iter().peekable();
    for (id, record) in messages.iter() {
        while let Some(notice) = notices.next_if(|notice| notice.after_id < *id) {
            items.push(Item::Notice(notice));
        }
        items.push(Item::Record(record));
    }
    items.extend(notices.map(Item::Notice));
    items
}

/// A stored message, with what this person may do to it.
fn record_item(record: &ChatRecord, props: &MessageListProps) -> Html {
    // A bot's message is nobody's here, whatever name the bot took.
    let mine = record.username == props.me && !record.bot;
    let own = mine && props.signed_in && !record.guest;
    let actions = MessageActions {
        edit: own,
        delete: own || props.moderator,
        sanction: props.moderator && !mine,
        ..props.actions.clone()
    };
    let deleted = record.deleted.as_ref().map(|deletion| deletion.by.clone());
    html! {
        <Message key={record.id} author={record.username.clone()}
            text={AttrValue::from(record.message.clone())}
            delivery={Delivery::Confirmed { id: record.id, ts: record.ts }}
            {mine} guest={record.guest} reader={props.me.clone()}
            bot={record.bot.then_some(if record.is_system() { "system" } else { "bot" })}
            edited={record.edited.is_some()} {deleted} {actions} />
    }
}

fn notice_item(notice: &Notice) -> Html {
    let testid = match notice.kind {
        NoticeKind::Presence => None,
        NoticeKind::HistoryReset => Some(testid::HISTORY_RESET),
    };
    html! {
        <li key={format!("notice-{}", notice.seq)} class="notice" data-testid={testid}>
            { notice.text.clone() }
        </li>
    }
}

fn pending_item(pending: &Pending, props: &MessageListProps) -> Html {
    let id = pending.client_id.clone();
    let discard = props.on_discard.reform(move |()| id.clone());
    let delivery = match &pending.state {
        SendState::Failed { reason } => {
            let id = pending.client_id.clone();
            let retry = props.on_retry.clone();
            Delivery::Failed {
                reason: reason.clone(),
                retry: Callback::from(move |()| retry.emit(id.clone())),
                discard,
            }
        }
        SendState::Retrying { at } => Delivery::Retrying { at: *at, discard },
        SendState::Sending => Delivery::Pending,
    };
    html! {
        <Message key={format!("pending-{}", pending.client_id)} author={props.me.clone()}
            text={AttrValue::from(pending.text.clone())} {delivery} mine=true guest={props.me_guest} />
    }
}
