//! `chinwag export`: the whole store as JSON lines ([`super::format`]), streamed.
//!
//! Everything is read a page at a time (accounts by name key, rooms by name, records by id)
//! and written out as it is read, so memory stays bounded whatever the store holds; only the
//! site's admins (a handful) are held whole. It reads through the store traits, so it works on
//! either engine and while a server runs: a room created after the walk passed its name, or a
//! record stored after its room was read, is simply not in this export.

use super::{
    PortabilityError,
    format::{AccountLine, Header, Line, Member, PrivateLine, RoomLine},
};
use crate::{
    admin::Engine,
    store::{
        Page,
        accounts::{AccountId, MAX_ACCOUNTS_PAGE, RoomAccess},
    },
};
use chinwag_shared::RoomName;
use std::io::Write;

/// Rooms read per step of the walk by name.
const ROOMS_PER_STEP: usize = 100;

/// Records read per page of a room's log (pages are also bounded by bytes).
const RECORDS_PER_PAGE: usize = 500;

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exported {
    /// Account lines.
    pub accounts: u64,
    /// Room lines.
    pub rooms: u64,
    /// Record lines.
    pub records: u64,
}

impl std::fmt::Display for Exported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exported {} accounts, {} rooms, {} records",
            self.accounts, self.rooms, self.records
        )
    }
}

/// Writes everything `engine` holds to `out`.
pub async fn export(engine: &Engine, out: &mut dyn Write) -> Result<Exported, PortabilityError> {
    let mut done = Exported::default();
    line(out, &Line::Header(Header::current()))?;
    done.accounts = accounts(engine, out).await?;
    let mut after: Option<RoomName> = None;
    loop {
        let rooms = engine
            .store
            .room_names(after.as_ref(), ROOMS_PER_STEP)
            .await?;
        for room in &rooms {
            line(out, &Line::Room(room_line(engine, room).await?))?;
            done.rooms += 1;
            done.records += records(engine, room, out).await?;
        }
        match rooms.last() {
            Some(last) if rooms.len() == ROOMS_PER_STEP => after = Some(last.clone()),
            _ => break,
        }
    }
    out.flush()?;
    Ok(done)
}

fn line(out: &mut dyn Write, line: &Line) -> Result<(), PortabilityError> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")?;
    Ok(())
}

async fn accounts(engine: &Engine, out: &mut dyn Write) -> Result<u64, PortabilityError> {
    let admins = engine.directory.moderation.site_rules().await?.admins;
    let mut written = 0;
    let mut after: Option<String> = None;
    loop {
        let page = engine
            .directory
            .accounts
            .list_accounts(None, after.as_deref(), MAX_ACCOUNTS_PAGE)
            .await?;
        for account in &page {
            let account_line = AccountLine {
                id: account.id.as_str().to_owned(),
                admin: admins.contains(&account.id),
                name: account.name.clone(),
                password_hash: account.password_hash.clone(),
                created: account.created,
                disabled: account.disabled,
            };
            line(out, &Line::Account(account_line))?;
            written += 1;
        }
        match page.last() {
            Some(last) if page.len() == MAX_ACCOUNTS_PAGE => {
                after = Some(last.name.hold_key().as_str().to_owned());
            }
            _ => return Ok(written),
        }
    }
}

/// `id` as an export names it: its account's name, or the id itself if it has no account.
async fn member(engine: &Engine, id: &AccountId) -> Result<Member, PortabilityError> {
    Ok(match engine.directory.accounts.account(id).await? {
        Some(account) => Member::Account(account.name),
        None => Member::External(id.as_str().to_owned()),
    })
}

async fn room_line(engine: &Engine, room: &RoomName) -> Result<RoomLine, PortabilityError> {
    let private = match engine.directory.accounts.room_access(room).await? {
        RoomAccess::Public => None,
        RoomAccess::Private(private) => {
            let owner = match &private.owner {
                Some(owner) => Some(member(engine, owner).await?),
                None => None,
            };
            let mut members = Vec::with_capacity(private.members.len());
            for id in &private.members {
                members.push(member(engine, id).await?);
            }
            Some(PrivateLine {
                owner,
                members,
                dm: private.dm,
            })
        }
    };
    let rules = engine.directory.moderation.room_rules(room).await?;
    let owner = match &rules.owner {
        Some(owner) => Some(member(engine, owner).await?),
        None => None,
    };
    let mut moderators = Vec::with_capacity(rules.moderators.len());
    for id in &rules.moderators {
        moderators.push(member(engine, id).await?);
    }
    Ok(RoomLine {
        room: room.clone(),
        private,
        owner,
        moderators,
        slow_mode_secs: rules.slow_mode_secs,
    })
}

async fn records(
    engine: &Engine,
    room: &RoomName,
    out: &mut dyn Write,
) -> Result<u64, PortabilityError> {
    let mut written = 0;
    let mut after = 0;
    loop {
        let page = engine
            .store
            .page(
                room,
                Page::After {
                    after,
                    limit: RECORDS_PER_PAGE,
                },
            )
            .await?;
        let Some(last) = page.last() else {
            return Ok(written);
        };
        after = last.id;
        for record in page {
            line(out, &Line::Record(crate::store::public(record)))?;
            written += 1;
        }
    }
}
