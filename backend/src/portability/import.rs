//! `chinwag import`: an export's lines ([`super::format`]) loaded into an empty store.
//!
//! The destination must hold no room and no account: an import recreates ids (records' and
//! accounts'), which would collide with a log or a directory already there. Lines are read one at a time (each at most
//! [`MAX_LINE_BYTES`]) and checked before anything is written: the header first, then
//! accounts, then rooms in strictly ascending name order (which is how a room given twice is
//! caught without remembering every room), each followed by its records in strictly
//! ascending id order, each record well formed for what it is ([`check_record`]). Records
//! are written in batches of at most [`BATCH_RECORDS`] / [`BATCH_BYTES`] through
//! [`crate::store::Store::restore`]. A failed import leaves what it wrote so far: empty the
//! destination and run it again.

use super::{
    PortabilityError,
    check::check_record,
    format::{AccountLine, Header, Line, MAX_LINE_BYTES, Member, RoomLine},
};
use crate::{
    admin::Engine,
    store::{
        accounts::{Account, AccountId, PrivateRoom},
        record_bytes,
    },
};
use chinwag_shared::{ChatRecord, RoomName};
use std::io::BufRead;

/// Most records written per restore call.
const BATCH_RECORDS: usize = 256;

/// About the most bytes of records written per restore call.
const BATCH_BYTES: usize = 1024 * 1024;

/// Longest password hash accepted: an Argon2id PHC string is about a hundred bytes.
const MAX_HASH_BYTES: usize = 512;

/// What an import loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    /// Accounts created.
    pub accounts: u64,
    /// Rooms read.
    pub rooms: u64,
    /// Records written.
    pub records: u64,
}

impl std::fmt::Display for Imported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {} accounts, {} rooms, {} records",
            self.accounts, self.rooms, self.records
        )
    }
}

/// Loads the export on `input` into `engine`, which must be empty.
pub async fn import(
    engine: &Engine,
    input: &mut dyn BufRead,
) -> Result<Imported, PortabilityError> {
    if !engine.store.room_names(None, 1).await?.is_empty() {
        return Err(PortabilityError::NotEmpty("rooms"));
    }
    let accounts = &engine.directory.accounts;
    if !accounts.list_accounts(None, None, 1).await?.is_empty() {
        return Err(PortabilityError::NotEmpty("accounts"));
    }
    let mut loader = Loader {
        engine,
        line: 0,
        done: Imported::default(),
        room: None,
        batch: Vec::new(),
        batch_bytes: 0,
    };
    let mut buffer = Vec::new();
    match loader.next_line(input, &mut buffer) {
        Ok(Some(Line::Header(header))) if header == Header::current() => {}
        Err(PortabilityError::Io(err)) => return Err(err.into()),
        _ => return Err(PortabilityError::NoHeader),
    }
    while let Some(line) = loader.next_line(input, &mut buffer)? {
        match line {
            Line::Header(_) => return Err(loader.invalid("a second header")),
            Line::Account(account) => loader.account(account).await?,
            Line::Room(room) => loader.room(room).await?,
            Line::Record(record) => loader.record(record).await?,
        }
    }
    loader.flush().await?;
    Ok(loader.done)
}

/// The room being loaded.
struct OpenRoom {
    name: RoomName,
    /// The id of its last record read (0 before the first).
    last_id: u64,
}

/// An import in progress.
struct Loader<'a> {
    engine: &'a Engine,
    /// The number of the line last read.
    line: u64,
    done: Imported,
    /// The room of the last room line; `None` while accounts are being read.
    room: Option<OpenRoom>,
    /// Its records read but not yet written.
    batch: Vec<ChatRecord>,
    batch_bytes: usize,
}

impl Loader<'_> {
    fn invalid(&self, reason: impl Into<String>) -> PortabilityError {
        PortabilityError::Invalid {
            line: self.line,
            reason: reason.into(),
        }
    }

    /// The next line, parsed; `None` at the end. Reads at most [`MAX_LINE_BYTES`] (and the
    /// newline) into `buffer`, so a file without newlines is refused, not read whole.
    fn next_line(
        &mut self,
        input: &mut dyn BufRead,
        buffer: &mut Vec<u8>,
    ) -> Result<Option<Line>, PortabilityError> {
        loop {
            buffer.clear();
            let limit = u64::try_from(MAX_LINE_BYTES + 1).unwrap_or(u64::MAX);
            let read = std::io::Read::take(&mut *input, limit).read_until(b'\n', buffer)?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            if buffer.last() == Some(&b'\n') {
                buffer.pop();
            } else if buffer.len() > MAX_LINE_BYTES {
                return Err(PortabilityError::LineTooLong { line: self.line });
            }
            if buffer.iter().all(u8::is_ascii_whitespace) {
                continue; // a blank line (a trailing one, say) says nothing
            }
            return serde_json::from_slice(buffer).map(Some).map_err(|source| {
                PortabilityError::Json {
                    line: self.line,
                    source,
                }
            });
        }
    }

    async fn account(&mut self, line: AccountLine) -> Result<(), PortabilityError> {
        if self.room.is_some() {
            return Err(self.invalid("an account after the rooms (accounts come first)"));
        }
        if line.password_hash.len() > MAX_HASH_BYTES
            || argon2::PasswordHash::new(&line.password_hash).is_err()
        {
            // The hash itself is not repeated: it is a secret's digest.
            return Err(self.invalid(format!("{}'s password hash is not one", line.name)));
        }
        // An engine's id: a positive decimal number, as both engines draw them (a JWT
        // identity's `jwt:…` is never an account), small enough for SQLite's integer key.
        let id_is_an_engines = !line.id.is_empty()
            && line.id.len() <= 18
            && !line.id.starts_with('0')
            && line.id.bytes().all(|b| b.is_ascii_digit());
        if !id_is_an_engines {
            return Err(self.invalid(format!(
                "{}'s id {:?} is not an account id",
                line.name, line.id
            )));
        }
        let account = Account {
            id: AccountId::new(line.id.as_str()),
            name: line.name.clone(),
            password_hash: line.password_hash.clone(),
            created: line.created,
            disabled: line.disabled,
        };
        let directory = &self.engine.directory;
        if directory.accounts.restore_account(&account).await?.is_err() {
            return Err(self.invalid(format!(
                "{} or its id {} again (or a name that looks like it)",
                line.name, line.id
            )));
        }
        if line.admin {
            directory.moderation.set_admin(&account.id, true).await?;
        }
        self.done.accounts += 1;
        Ok(())
    }

    /// The id `member` has in the destination: its account's, or a JWT identity's own.
    async fn member(&self, member: &Member) -> Result<AccountId, PortabilityError> {
        match member {
            Member::Account(name) => Ok(self
                .engine
                .directory
                .accounts
                .account_by_key(&name.hold_key())
                .await?
                .ok_or_else(|| self.invalid(format!("{name} has no account line")))?
                .id),
            // Only a JWT identity is named by id: any other id could be a new account's.
            Member::External(id) if id.starts_with("jwt:") => Ok(AccountId::new(id.as_str())),
            Member::External(id) => Err(self.invalid(format!("{id:?} is not a JWT identity"))),
        }
    }

    async fn room(&mut self, line: RoomLine) -> Result<(), PortabilityError> {
        self.flush().await?;
        if let Some(open) = &self.room
            && line.room <= open.name
        {
            return Err(self.invalid(format!(
                "room {} out of order or again (rooms come in name order)",
                line.room
            )));
        }
        let room = line.room.clone();
        self.room = Some(OpenRoom {
            name: room.clone(),
            last_id: 0,
        });
        let directory = &self.engine.directory;
        if let Some(private) = &line.private {
            let owner = match &private.owner {
                Some(owner) => Some(self.member(owner).await?),
                None => None,
            };
            let mut members = std::collections::BTreeSet::new();
            for member in &private.members {
                members.insert(self.member(member).await?);
            }
            let private = PrivateRoom {
                owner,
                members,
                dm: private.dm,
            };
            if directory
                .accounts
                .create_private_room(&room, &private)
                .await?
                .is_err()
            {
                return Err(self.invalid(format!("room {room} exists already")));
            }
        }
        if let Some(owner) = &line.owner {
            let owner = self.member(owner).await?;
            directory.moderation.set_owner(&room, &owner).await?;
        }
        for moderator in &line.moderators {
            let moderator = self.member(moderator).await?;
            directory
                .moderation
                .set_moderator(&room, &moderator, true)
                .await?;
        }
        if line.slow_mode_secs > 0 {
            directory
                .moderation
                .set_slow_mode(&room, line.slow_mode_secs)
                .await?;
        }
        self.done.rooms += 1;
        Ok(())
    }

    async fn record(&mut self, mut record: ChatRecord) -> Result<(), PortabilityError> {
        let Some(open) = &mut self.room else {
            return Err(self.invalid("a record before any room line"));
        };
        if record.room != open.name {
            let reason = format!("a record of {} under room {}", record.room, open.name);
            return Err(self.invalid(reason));
        }
        if let Err(reason) = check_record(&record, open.last_id) {
            return Err(self.invalid(reason));
        }
        open.last_id = record.id;
        record.client_id = None;
        self.batch_bytes += record_bytes(&record);
        self.batch.push(record);
        if self.batch.len() >= BATCH_RECORDS || self.batch_bytes >= BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes the batch.
    async fn flush(&mut self) -> Result<(), PortabilityError> {
        let Some(open) = &self.room else {
            return Ok(());
        };
        if self.batch.is_empty() {
            return Ok(());
        }
        let room = open.name.clone();
        if let Err(occupied) = self.engine.store.restore(&room, &self.batch).await? {
            // Someone posted to the room while the import ran.
            return Err(self.invalid(format!("room {room}: {occupied}")));
        }
        self.done.records += self.batch.len() as u64;
        self.batch.clear();
        self.batch_bytes = 0;
        Ok(())
    }
}
