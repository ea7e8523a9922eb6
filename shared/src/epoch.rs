//! [`Epoch`]: the name of one room's history, the space its ids are counted in.
//!
//! Ids are only comparable within one epoch. When a server's history is replaced (its database
//! came back empty, or another was swapped in) the room gets a new epoch and its ids start
//! again from 1, so a client that resumes with `after` also says which epoch that `after` was
//! counted in, and a mismatch is answered with `history_reset` instead of a silent gap.
//!
//! An epoch is opaque: compare it, keep it, send it back; never parse it. It is cheap to
//! clone (a shared `str`), because the server stamps every chat frame of a room with it and
//! every session compares it on every frame — comparing the pointer first.
//!
//! On the wire it is a plain JSON string. Servers that predate epochs sent none, or `""`:
//! [`Epoch::from_wire`] reads both as "no epoch", which is why [`ServerMsg::Joined`]'s field
//! is an `Option<Epoch>`.
//!
//! [`ServerMsg::Joined`]: crate::ServerMsg::Joined

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::sync::Arc;

/// The opaque name of a room's history (see the module docs).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Epoch(Arc<str>);

impl Epoch {
    /// The epoch as its wire text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `self` and `other` are the same allocation: a shortcut for equality that a
    /// session takes on every frame stamped by its own node.
    pub fn ptr_eq(&self, other: &Epoch) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Reads an epoch field of the wire, where `""` (or nothing) meant "no epoch".
    pub fn from_wire(text: Option<String>) -> Option<Epoch> {
        text.filter(|text| !text.is_empty()).map(Epoch::from)
    }
}

impl std::ops::Deref for Epoch {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Epoch {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Epoch {
    fn from(text: &str) -> Self {
        Epoch(Arc::from(text))
    }
}

impl From<String> for Epoch {
    fn from(text: String) -> Self {
        Epoch(Arc::from(text))
    }
}

impl PartialEq<str> for Epoch {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Epoch {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Epoch {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Epoch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Epoch::from)
    }
}

/// Serde helpers for an `Option<Epoch>` field where the wire's `""` means none.
pub mod optional {
    use super::Epoch;
    use serde::{Deserialize, Deserializer};

    /// Whether the field is left out when written: `None`, or an empty epoch (which old
    /// servers meant as none).
    pub fn is_none_or_empty(epoch: &Option<Epoch>) -> bool {
        epoch.as_ref().is_none_or(|epoch| epoch.is_empty())
    }

    /// Reads `null`, a missing field (with `#[serde(default)]`) or `""` as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Epoch>, D::Error> {
        Option::<String>::deserialize(deserializer).map(Epoch::from_wire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_is_a_plain_json_string_both_ways() {
        let epoch = Epoch::from("k3x9");
        assert_eq!(serde_json::to_string(&epoch).unwrap(), r#""k3x9""#);
        let back: Epoch = serde_json::from_str(r#""k3x9""#).unwrap();
        assert_eq!(back, epoch);
        assert_eq!(format!("{back} {back:?}"), r#"k3x9 "k3x9""#);
    }

    #[test]
    fn an_empty_wire_epoch_means_none() {
        assert_eq!(Epoch::from_wire(Some(String::new())), None);
        assert_eq!(Epoch::from_wire(None), None);
        assert_eq!(
            Epoch::from_wire(Some("e".into())).as_deref(),
            Some("e"),
            "a real epoch is kept"
        );
    }

    #[test]
    fn clones_share_one_allocation_and_equal_texts_compare_equal() {
        let epoch = Epoch::from("e");
        let clone = epoch.clone();
        assert!(epoch.ptr_eq(&clone));
        let other = Epoch::from("e");
        assert!(!epoch.ptr_eq(&other), "a separate allocation");
        assert_eq!(epoch, other);
        assert_ne!(epoch, Epoch::from("f"));
        assert!(epoch == "e");
    }

    #[test]
    fn a_joined_frame_without_an_epoch_or_with_an_empty_one_reads_as_none() {
        use crate::server_msg::ServerMsg;
        let epoch_of = |json: &str| match serde_json::from_str(json).unwrap() {
            ServerMsg::Joined { epoch, .. } => epoch,
            other => panic!("{other:?}"),
        };
        let bare = r#"{"type":"joined","room":"general","last_id":3"#;
        assert_eq!(epoch_of(&format!("{bare}}}")), None);
        assert_eq!(epoch_of(&format!(r#"{bare},"epoch":""}}"#)), None);
        assert_eq!(
            epoch_of(&format!(r#"{bare},"epoch":"e1"}}"#)),
            Some(Epoch::from("e1"))
        );
        let joined = |epoch| ServerMsg::Joined {
            room: crate::names::RoomName::default_room(),
            last_id: 3,
            epoch,
        };
        assert_eq!(
            serde_json::to_string(&joined(None)).unwrap(),
            format!("{bare}}}")
        );
        assert_eq!(
            serde_json::to_string(&joined(Some(Epoch::from("e1")))).unwrap(),
            format!(r#"{bare},"epoch":"e1"}}"#)
        );
    }
}
