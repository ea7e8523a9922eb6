//! Edits and deletions in a run (issue 15): which posts become change records, of which
//! message, and how a receiver times a deletion that carries no stamp.
//!
//! With `--changes-percent P` a signed-in poster turns P % of its posts, spread evenly by
//! [`ChangeMix`], into an edit or a deletion of one of its own recent messages ([`OwnIds`]),
//! made through `PATCH` / `DELETE /api/rooms/{room}/messages/{id}` ([`ChangeClient`]). An edit
//! carries a fresh stamp as its new text, so receivers time it like a message; a deletion's
//! text is empty, so the poster notes its stamp under the target id in [`DeleteClock`] before
//! asking, and receivers look it up by the target their frame names ([`deleted_target`]).
//! Callers: the broadcast mode's senders and receivers, and the storm's poster.

use crate::{http::HttpConn, payload::Stamp};
use anyhow::{Context, Result, bail};
use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::Mutex,
    time::Duration,
};
use tokio::time::Instant;

/// Own message ids a poster remembers as targets.
const REMEMBERED: usize = 64;
/// Longest one edit or deletion request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A keep-alive connection idle this long is replaced before the next request: the server
/// closes idle ones after 5 s (actix-web's default), and a request racing that close would
/// fail for the bench's sake, not the server's.
const MAX_IDLE: Duration = Duration::from_secs(2);

/// What one post of a poster is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Post {
    /// A new message over the WebSocket.
    Message,
    /// An edit of the poster's newest message.
    Edit,
    /// A deletion of the poster's newest message.
    Delete,
}

/// Which of a poster's posts are changes: `percent` of them, spread evenly, edits and
/// deletions taking turns (edit first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeMix {
    percent: u32,
}

impl ChangeMix {
    /// `percent` of posts become changes (at most 50, so there is always something to change).
    pub fn new(percent: u32) -> Result<Self> {
        if percent > 50 {
            bail!("--changes-percent must be 0..=50");
        }
        Ok(Self { percent })
    }

    /// The share of posts that are changes, in percent.
    pub fn percent(self) -> u32 {
        self.percent
    }

    /// What post number `index` (from 0) is: a change whenever the running count of changes
    /// due, `floor((index + 1) · P / 100)`, goes up; the n-th change is an edit for even n.
    pub fn post(self, index: u64) -> Post {
        let p = u64::from(self.percent);
        let before = index * p / 100;
        if (index + 1) * p / 100 == before {
            Post::Message
        } else if before.is_multiple_of(2) {
            Post::Edit
        } else {
            Post::Delete
        }
    }
}

/// A poster's own recent message ids (not change records, not deleted), newest last, and how
/// far its own messages have come back.
#[derive(Debug, Default)]
pub struct OwnIds {
    ids: VecDeque<u64>,
    /// One past the highest sequence number of its own messages seen back.
    seen_through: u64,
}

impl OwnIds {
    /// Its own message with sequence number `seq` came back.
    pub fn confirmed_seq(&mut self, seq: u64) {
        self.seen_through = self.seen_through.max(seq + 1);
    }

    /// Whether its own message `seq` (or a later one) has come back. A change waits for its
    /// sender's previous message: the two travel on different connections, and a change
    /// that overtook it would reach receivers out of the sender's order.
    pub fn has_seen(&self, seq: u64) -> bool {
        self.seen_through > seq
    }

    /// Remembers a confirmed message id of the poster's own, forgetting the oldest past
    /// [`REMEMBERED`].
    pub fn push(&mut self, id: u64) {
        if self.ids.back().is_some_and(|&last| last >= id) {
            return;
        }
        self.ids.push_back(id);
        if self.ids.len() > REMEMBERED {
            self.ids.pop_front();
        }
    }

    /// The newest one, to edit (it stays a target).
    pub fn newest(&self) -> Option<u64> {
        self.ids.back().copied()
    }

    /// The newest one, to delete (it is no target any more).
    pub fn take_newest(&mut self) -> Option<u64> {
        self.ids.pop_back()
    }
}

/// When each deletion was asked for, by target id, for the receivers to time its record.
#[derive(Debug, Default)]
pub struct DeleteClock {
    asked: Mutex<HashMap<u64, Stamp>>,
}

impl DeleteClock {
    /// Notes that deleting `target` is post `stamp` (sender, sequence number, time asked).
    pub fn asked(&self, target: u64, stamp: Stamp) {
        if let Ok(mut asked) = self.asked.lock() {
            asked.insert(target, stamp);
        }
    }

    /// The stamp of the deletion of `target`, if this run asked for one.
    pub fn stamp(&self, target: u64) -> Option<Stamp> {
        self.asked.lock().ok()?.get(&target).copied()
    }
}

/// The target of a deletion's change record (`"change":{"kind":"delete","target":N`), read
/// without a full parse; `None` for any other frame.
pub fn deleted_target(frame: &str) -> Option<u64> {
    const MARK: &str = r#""change":{"kind":"delete","target":"#;
    let rest = &frame[frame.find(MARK)? + MARK.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Whether a chat frame is a change record rather than a message.
pub fn is_change(frame: &str) -> bool {
    frame.contains(r#""change":{"kind":"#)
}

/// A signed-in poster's keep-alive HTTP connection for its edits and deletions.
pub struct ChangeClient {
    conn: HttpConn,
    last_used: Instant,
    addr: SocketAddr,
    session: String,
    room: String,
}

impl ChangeClient {
    /// Connects to `addr`; requests present `session` as a bearer token.
    pub async fn connect(addr: SocketAddr, session: &str, room: &str) -> Result<Self> {
        Ok(Self {
            conn: HttpConn::connect(addr).await?.with_bearer(session),
            last_used: Instant::now(),
            addr,
            session: session.to_owned(),
            room: room.to_owned(),
        })
    }

    /// `PATCH …/messages/{target}` with `text`; fails unless answered 200.
    pub async fn edit(&mut self, target: u64, text: &str) -> Result<()> {
        let body = serde_json::json!({ "message": text }).to_string();
        self.request("PATCH", target, &body).await
    }

    /// `DELETE …/messages/{target}`; fails unless answered 200.
    pub async fn delete(&mut self, target: u64) -> Result<()> {
        self.request("DELETE", target, "").await
    }

    async fn request(&mut self, method: &str, target: u64, body: &str) -> Result<()> {
        let path = format!("/api/rooms/{}/messages/{target}", self.room);
        if self.last_used.elapsed() > MAX_IDLE {
            self.conn = HttpConn::connect(self.addr)
                .await?
                .with_bearer(&self.session);
        }
        self.last_used = Instant::now();
        let exchange = async {
            self.conn.send(method, &path, body).await?;
            self.conn.receive().await
        };
        let response = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .with_context(|| format!("{method} {path} timed out"))??;
        if response.status != 200 {
            bail!(
                "{method} {path} answered {}: {}",
                response.status,
                response.text()
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::{ChatRecord, RoomName, ServerMsg, Username, record::Change};

    #[test]
    fn the_mix_makes_exactly_the_share_asked_spread_evenly_edits_and_deletions_in_turn() {
        let mix = ChangeMix::new(10).unwrap();
        let posts: Vec<Post> = (0..200).map(|i| mix.post(i)).collect();
        let changes: Vec<usize> = (0..200).filter(|&i| posts[i] != Post::Message).collect();
        assert_eq!(changes.len(), 20);
        assert!(changes.windows(2).all(|w| w[1] - w[0] == 10), "{changes:?}");
        assert_eq!(posts[9], Post::Edit);
        assert_eq!(posts[19], Post::Delete);
        assert_eq!(posts.iter().filter(|p| **p == Post::Edit).count(), 10);
        let plain = ChangeMix::new(0).unwrap();
        assert!((0..1000).all(|i| plain.post(i) == Post::Message));
        assert!(ChangeMix::new(51).is_err());
        // A change waits for the message before it: never two changes in a row, nor first.
        for percent in 0..=50 {
            let mix = ChangeMix::new(percent).unwrap();
            assert_eq!(mix.post(0), Post::Message, "{percent}%");
            assert!(
                (1..1000).all(|i| mix.post(i) == Post::Message || mix.post(i - 1) == Post::Message),
                "{percent}%"
            );
        }
    }

    #[test]
    fn own_ids_give_the_newest_and_a_deleted_one_is_no_target_again() {
        let mut own = OwnIds::default();
        assert_eq!(own.newest(), None);
        for id in [3, 5, 4, 8] {
            own.push(id);
        }
        assert_eq!(own.newest(), Some(8), "an older id pushed late is ignored");
        assert_eq!(own.take_newest(), Some(8));
        assert_eq!(own.newest(), Some(5));
        for id in 10..200 {
            own.push(id);
        }
        let mut left = 0;
        while own.take_newest().is_some() {
            left += 1;
        }
        assert_eq!(left, REMEMBERED);
        assert!(!own.has_seen(0));
        own.confirmed_seq(4);
        own.confirmed_seq(2);
        assert!(own.has_seen(4) && own.has_seen(0));
        assert!(!own.has_seen(5));
    }

    fn chat(change: Option<Change>) -> String {
        let record = ChatRecord {
            id: 21,
            room: RoomName::parse("bench").unwrap(),
            username: Username::parse("s1").unwrap(),
            message: String::new(),
            ts: 1_700_000_000_000,
            guest: false,
            bot: false,
            client_id: None,
            change,
            deleted: None,
            edited: None,
        };
        serde_json::to_string(&ServerMsg::Chat(record)).unwrap()
    }

    #[test]
    fn a_deletion_frame_names_its_target_and_other_frames_name_none() {
        let delete = chat(Some(Change::Delete {
            target: 7,
            moderator: false,
        }));
        assert_eq!(deleted_target(&delete), Some(7), "{delete}");
        assert!(is_change(&delete));
        let by_moderator = chat(Some(Change::Delete {
            target: 1234,
            moderator: true,
        }));
        assert_eq!(deleted_target(&by_moderator), Some(1234), "{by_moderator}");
        let edit = chat(Some(Change::Edit { target: 7 }));
        assert_eq!(deleted_target(&edit), None);
        assert!(is_change(&edit));
        let message = chat(None);
        assert_eq!(deleted_target(&message), None);
        assert!(!is_change(&message));
    }

    #[test]
    fn the_delete_clock_returns_what_was_noted_for_a_target_only() {
        let clock = DeleteClock::default();
        let stamp = Stamp {
            sender: 2,
            seq: 9,
            sent_ns: 77,
        };
        clock.asked(40, stamp);
        assert_eq!(clock.stamp(40), Some(stamp));
        assert_eq!(clock.stamp(41), None);
    }
}
