//! The rooms panel: every room, busiest first — members online, messages, last activity,
//! public or private, owner and moderators — a page at a time; opening one shows its audit
//! log (who muted, banned, kicked, deleted, appointed), newest first.
//!
//! The list is read once when the panel opens and again on "Refresh": rooms change slowly
//! next to the live numbers, and a list that reorders itself under the pointer is worse
//! than one a second old.

use super::{api, format};
use crate::testid;
use crate::{
    account::{failure::Purpose, listing::Listing, moderation_api},
    components::{lock_icon::lock_icon, room_settings_panel::describe},
};
use chinwag_shared::{RoomName, console::AdminRoom, moderation::AuditEntry};
use yew::prelude::*;

/// The rooms panel.
#[component]
pub fn RoomsPanel() -> Html {
    let rooms = use_state(Listing::<AdminRoom>::default);
    let next = use_state(|| None::<String>);
    let open = use_state(|| None::<RoomName>);
    let generation = use_state(|| 0u32);
    {
        let (rooms, next) = (rooms.clone(), next.clone());
        use_effect_with(*generation, move |_| {
            rooms.set(Listing::Loading);
            wasm_bindgen_futures::spawn_local(async move {
                match api::rooms(None).await {
                    Ok((page, more)) => {
                        rooms.set(Listing::Loaded(page));
                        next.set(more);
                    }
                    Err(failure) => rooms.set(Listing::Failed(failure.message(Purpose::Console))),
                }
            });
        });
    }
    let refresh = {
        let generation = generation.clone();
        Callback::from(move |_: MouseEvent| generation.set(generation.wrapping_add(1)))
    };
    let load_more = {
        let (rooms, next) = (rooms.clone(), next.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(url) = (*next).clone() else {
                return;
            };
            let (rooms, next) = (rooms.clone(), next.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok((page, more)) = api::rooms(Some(&url)).await {
                    let mut all = rooms.items().map(<[AdminRoom]>::to_vec).unwrap_or_default();
                    all.extend(page);
                    rooms.set(Listing::Loaded(all));
                    next.set(more);
                }
            });
        })
    };
    let on_open = {
        let open = open.clone();
        Callback::from(move |room: RoomName| {
            open.set(if open.as_ref() == Some(&room) {
                None
            } else {
                Some(room)
            })
        })
    };
    let now = format::now_ms();
    html! {
        <section class="console-panel" aria-label="Rooms">
            <div class="panel-head">
                <h2>{ "Rooms" }</h2>
                <button type="button" class="secondary" onclick={refresh}>{ "Refresh" }</button>
            </div>
            { match &*rooms {
                Listing::Loading => html! { <p class="empty-state" role="status">{ "Loading…" }</p> },
                Listing::Failed(reason) => html! { <p class="error" role="alert">{ reason }</p> },
                Listing::Loaded(list) if list.is_empty() => html! {
                    <p class="empty-state">{ "No rooms yet: one appears when someone first joins it." }</p>
                },
                Listing::Loaded(list) => html! {
                    <table class="data cards" data-testid={testid::ADMIN_ROOMS}>
                        <thead>
                            <tr>
                                <th scope="col">{ "Room" }</th>
                                <th scope="col" class="num">{ "Online" }</th>
                                <th scope="col" class="num">{ "Messages" }</th>
                                <th scope="col">{ "Last activity" }</th>
                                <th scope="col">{ "Owner" }</th>
                                <th scope="col">{ "Moderators" }</th>
                            </tr>
                        </thead>
                        <tbody>
                            { for list.iter().map(|room| room_rows(room, open.as_ref(), &on_open, now)) }
                        </tbody>
                    </table>
                },
            } }
            if next.is_some() {
                <button type="button" class="secondary" onclick={load_more}>{ "More rooms" }</button>
            }
        </section>
    }
}

/// A room's row, and below it its audit log if it is open.
fn room_rows(
    room: &AdminRoom,
    open: Option<&RoomName>,
    on_open: &Callback<RoomName>,
    now: u64,
) -> Html {
    let is_open = open == Some(&room.room);
    let toggle = {
        let (on_open, name) = (on_open.clone(), room.room.clone());
        Callback::from(move |_: MouseEvent| on_open.emit(name.clone()))
    };
    let kind = match (room.dm, room.private) {
        (true, _) => html! { <span class="tag">{ "direct" }</span> },
        (false, true) => html! { <span class="tag">{ lock_icon() }{ " private" }</span> },
        (false, false) => html! { <span class="tag muted">{ "public" }</span> },
    };
    let moderators = if room.moderators.is_empty() {
        "–".to_owned()
    } else {
        room.moderators
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    html! {
        <>
            <tr key={room.room.to_string()} data-testid={testid::ADMIN_ROOM} data-room={room.room.to_string()}
                class={classes!(is_open.then_some("open"))}>
                <td data-label="Room">
                    <span class="room-cell">
                        <button type="button" class="link room-open" onclick={toggle}
                            aria-expanded={is_open.to_string()}
                            aria-label={format!("#{}: {} its audit log", room.room, if is_open { "hide" } else { "show" })}>
                            { format!("#{}", room.room) }
                        </button>
                        { kind }
                    </span>
                </td>
                <td data-label="Online" class="num">{ format::number(room.online as f64) }</td>
                <td data-label="Messages" class="num">{ format::number(room.messages as f64) }</td>
                <td data-label="Last activity">
                    { room.last_activity.map_or_else(|| "never".to_owned(), |ms| format::ago(ms, now)) }
                </td>
                <td data-label="Owner">
                    { room.owner.as_ref().map_or_else(|| "–".to_owned(), ToString::to_string) }
                </td>
                <td data-label="Moderators">{ moderators }</td>
            </tr>
            if is_open {
                <tr key={format!("{}-audit", room.room)} class="audit-row">
                    <td colspan="6"><RoomAudit room={room.room.clone()} /></td>
                </tr>
            }
        </>
    }
}

/// Props of [`RoomAudit`].
#[derive(Properties, PartialEq)]
struct RoomAuditProps {
    room: RoomName,
}

/// A room's audit log, newest first, paged back on request.
#[component]
fn RoomAudit(props: &RoomAuditProps) -> Html {
    let entries = use_state(Listing::<AuditEntry>::default);
    let more = use_state(|| false);
    {
        let (entries, more) = (entries.clone(), more.clone());
        use_effect_with(props.room.clone(), move |room| {
            let room = room.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match moderation_api::audit(&room, None).await {
                    Ok(page) => {
                        more.set(page.len() >= moderation_api::AUDIT_PAGE);
                        entries.set(Listing::Loaded(page));
                    }
                    Err(failure) => entries.set(Listing::Failed(failure.message(Purpose::Console))),
                }
            });
        });
    }
    let older = {
        let (entries, more, room) = (entries.clone(), more.clone(), props.room.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(before) = entries.items().and_then(|items| items.last()).map(|e| e.id) else {
                return;
            };
            let (entries, more, room) = (entries.clone(), more.clone(), room.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(page) = moderation_api::audit(&room, Some(before)).await {
                    more.set(page.len() >= moderation_api::AUDIT_PAGE);
                    let mut all = entries
                        .items()
                        .map(<[AuditEntry]>::to_vec)
                        .unwrap_or_default();
                    all.extend(page.into_iter().filter(|entry| entry.id < before));
                    entries.set(Listing::Loaded(all));
                }
            });
        })
    };
    html! {
        <div class="room-audit" data-testid={testid::ROOM_AUDIT}>
            <h3>{ format!("Audit log of #{}", props.room) }</h3>
            <AuditList entries={(*entries).clone()} empty={format!("Nothing has happened in #{} yet.", props.room)} />
            if *more {
                <button type="button" class="link" onclick={older}>{ "Older entries" }</button>
            }
        </div>
    }
}

/// Props of [`AuditList`].
#[derive(Properties, PartialEq)]
pub struct AuditListProps {
    /// The lines, newest first.
    pub entries: Listing<AuditEntry>,
    /// What to say when there are none.
    pub empty: AttrValue,
}

/// Audit lines, newest first: when, who (and through which API key, for a backend's act),
/// what to whom.
#[component]
pub fn AuditList(props: &AuditListProps) -> Html {
    match &props.entries {
        Listing::Loading => html! { <p class="hint" role="status">{ "Loading…" }</p> },
        Listing::Failed(reason) => html! { <p class="error" role="alert">{ reason }</p> },
        Listing::Loaded(list) if list.is_empty() => {
            html! { <p class="empty-state">{ props.empty.clone() }</p> }
        }
        Listing::Loaded(list) => html! {
            <ol class="audit-log" data-testid={testid::AUDIT_LOG}>
                { for list.iter().map(|entry| html! {
                    <li key={entry.id} data-testid={testid::AUDIT_ENTRY}>
                        <span class="meta">{ format::when(entry.ts) }</span>
                        { " " }
                        <bdi class="author">{ entry.actor.as_str() }</bdi>
                        if let Some(key) = &entry.key {
                            <span class="meta">{ format!(" (API key “{key}”)") }</span>
                        }
                        { format!(" {}", describe(entry)) }
                    </li>
                }) }
            </ol>
        },
    }
}
