//! The chat JSON the Redis engine stores and publishes, built only here: a record's stored
//! form ([`stored_json`]), and the same text with holes for what only a Lua script knows.
//!
//! The append and change scripts ([`crate::cluster::log`]) assign ids and read Redis's clock
//! inside their atomic step, so the node hands them [`ChatTemplate`] (holes for a record's id
//! and timestamp) and [`RevisedTemplate`] (a message's state after a change, with a hole for
//! the change record's id); the scripts write no JSON of their own. Invariant: a plain
//! message's stored bytes are the ones Redis entries have always held; `change`, `edited` and
//! `deleted` appear exactly as `chinwag_shared::ChatRecord` serializes them, and only when set.

use chinwag_shared::{Applied, Change, ChatRecord, Deletion, RoomName, Username};
use serde::Serialize;
use std::sync::LazyLock;

/// A chat frame as the Redis engine stores and publishes it: the fields of
/// [`ChatRecord`], tagged `"type":"chat"`, in the order Redis entries have always had (id
/// and timestamp last, so every record's text ends the same way from its id on), and never
/// the `client_id`, which is its author's alone. The change fields are serialized as the
/// shared record does (skipped when unset), so a plain message's bytes did not change.
#[derive(Serialize)]
#[serde(tag = "type", rename = "chat")]
struct StoredChat<'a> {
    room: &'a RoomName,
    username: &'a Username,
    message: &'a str,
    guest: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    bot: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<&'a Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    edited: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted: Option<&'a Deletion>,
    id: u64,
    ts: u64,
}

impl<'a> StoredChat<'a> {
    /// `record`'s stored form, with `id` and `ts` in place of its own.
    fn of(record: &'a ChatRecord, id: u64, ts: u64) -> Self {
        // Exhaustive on purpose: a new field of ChatRecord stops the build here until the
        // stored form says what it does with it.
        let ChatRecord {
            id: _,
            room,
            username,
            message,
            ts: _,
            guest,
            bot,
            client_id: _,
            change,
            edited,
            deleted,
        } = record;
        Self {
            room,
            username,
            message,
            guest: *guest,
            bot: *bot,
            change: change.as_ref(),
            edited: *edited,
            deleted: deleted.as_ref(),
            id,
            ts,
        }
    }

    fn to_json(&self) -> String {
        // serde_json fails only on maps with non-string keys or failing Serialize impls; this
        // struct has neither.
        #[expect(clippy::expect_used, reason = "a stored chat always serializes")]
        serde_json::to_string(self).expect("a stored chat always serializes")
    }
}

/// A chat frame's JSON with two holes, where the append script puts the id it assigns and
/// Redis's clock: `{before_id}{id}{before_ts}{ts}{after_ts}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTemplate {
    /// Everything before the id.
    pub before_id: String,
    /// Between the id and the timestamp.
    pub before_ts: String,
    /// After the timestamp.
    pub after_ts: String,
}

impl ChatTemplate {
    /// The template of `record`'s stored form (its own id, timestamp and `client_id` are
    /// ignored), from one serialization: the stored form writes the id and the timestamp
    /// last, so everything from the id on is the same for every record ([`TAIL`]), and only
    /// the text before it is this record's.
    pub fn new(record: &ChatRecord) -> Self {
        let blank = StoredChat::of(record, 0, 0).to_json();
        let tail = &*TAIL;
        match blank.strip_suffix(&tail.blank) {
            Some(before_id) => Self {
                before_id: before_id.to_owned(),
                before_ts: tail.template.before_ts.clone(),
                after_ts: tail.template.after_ts.clone(),
            },
            // Only if a field were ever written after the timestamp: find the holes the slow way.
            None => Self::by_difference(record),
        }
    }

    /// Finds the holes by serializing `record` twice, with id 0 and ts 0 and with id 1 and ts
    /// 2: the two texts are the same length and differ in exactly those two digits. No field
    /// name or JSON syntax is written by hand.
    fn by_difference(record: &ChatRecord) -> Self {
        let blank = StoredChat::of(record, 0, 0).to_json();
        let marked = StoredChat::of(record, 1, 2).to_json();
        let holes: Vec<(usize, u8)> = blank
            .bytes()
            .zip(marked.bytes())
            .enumerate()
            .filter(|(_, (blank, marked))| blank != marked)
            .map(|(at, (_, marked))| (at, marked))
            .collect();
        let [(id_at, b'1'), (ts_at, b'2')] = holes[..] else {
            // StoredChat writes `id` before `ts`, as numbers: one digit each here.
            unreachable!("a stored chat has its id, then its ts, as numbers: {holes:?}");
        };
        Self {
            before_id: blank[..id_at].to_owned(),
            before_ts: blank[id_at + 1..ts_at].to_owned(),
            after_ts: blank[ts_at + 1..].to_owned(),
        }
    }

    /// The JSON with `id` and `ts` in the holes: what the append script makes.
    pub fn fill(&self, id: u64, ts: u64) -> String {
        format!(
            "{}{id}{}{ts}{}",
            self.before_id, self.before_ts, self.after_ts
        )
    }
}

/// The part of every stored chat from its id on, found once by [`ChatTemplate::by_difference`]
/// on a sample record: the template's constant pieces, and that part's text with id 0 and ts 0.
struct Tail {
    template: ChatTemplate,
    blank: String,
}

#[expect(clippy::expect_used, reason = "a constant name is valid")]
static TAIL: LazyLock<Tail> = LazyLock::new(|| {
    let sample = ChatRecord {
        id: 0,
        room: RoomName::default_room(),
        username: Username::parse("sample").expect("a valid name"),
        message: String::new(),
        ts: 0,
        guest: true,
        bot: false,
        client_id: None,
        change: None,
        deleted: None,
        edited: None,
    };
    let template = ChatTemplate::by_difference(&sample);
    let blank = format!("0{}0{}", template.before_ts, template.after_ts);
    Tail { template, blank }
});

/// `record`'s stored form, complete (its own id and timestamp, no `client_id`): what the
/// change script stores for a record whose state the node already knows, such as an edit
/// record with its text removed.
pub fn stored_json(record: &ChatRecord) -> String {
    StoredChat::of(record, record.id, record.ts).to_json()
}

/// A message's stored form after a change, with one hole where the change record's id goes
/// (in `edited`, or in the tombstone's `deleted.id`): `{before_id}{id}{after_id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisedTemplate {
    /// Everything before the change record's id.
    pub before_id: String,
    /// Everything after it.
    pub after_id: String,
}

impl RevisedTemplate {
    /// Two ids no record reaches, of the same length, that differ in their first and last
    /// digits: the two serializations then differ in exactly those digits' span.
    const MARKS: [u64; 2] = [1_000_000_000_000_000_000, 9_999_999_999_999_999_999];

    /// The template of `message` once `change` (a change record whose id is ignored) is
    /// folded into it by [`ChatRecord::apply`], the one rule every copy of a message follows.
    /// `None` if the change would not apply (`message` is a change record, deleted, or not
    /// its target).
    pub fn new(message: &ChatRecord, change: &ChatRecord) -> Option<Self> {
        let [first, second] = Self::MARKS.map(|mark| {
            let mut revised = message.clone();
            let marked = ChatRecord {
                id: mark,
                ..change.clone()
            };
            (revised.apply(&marked) == Applied::Changed).then(|| stored_json(&revised))
        });
        let (first, second) = (first?, second?);
        // Everything but the mark is the same text in both, and the marks differ in their
        // first and last digits, so the common prefix and suffix stop exactly at the mark.
        let prefix = common_prefix(&first, &second);
        let suffix = common_suffix(&first[prefix..], &second[prefix..]);
        let hole = &first[prefix..first.len() - suffix];
        if hole != Self::MARKS[0].to_string() {
            // Only if apply wrote the id twice or not at all: it writes it once.
            unreachable!("a change's id appears once in the revised message: {first}");
        }
        Some(Self {
            before_id: first[..prefix].to_owned(),
            after_id: first[first.len() - suffix..].to_owned(),
        })
    }

    /// The JSON with `change_id` in the hole: what the change script makes.
    pub fn fill(&self, change_id: u64) -> String {
        format!("{}{change_id}{}", self.before_id, self.after_id)
    }
}

/// The length in bytes of the longest common prefix of `a` and `b`, on a char boundary.
fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((at, _), _)| at)
}

/// The length in bytes of the longest common suffix of `a` and `b`, on a char boundary.
fn common_suffix(a: &str, b: &str) -> usize {
    a.chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum()
}

#[cfg(test)]
mod tests;
