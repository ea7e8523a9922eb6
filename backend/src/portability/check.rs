//! What a log may hold, record by record: the rule an import holds every record line to, so
//! a hand-edited export cannot make a log the server would misread (an id repeated, a change
//! of a later record, a deleted message that kept its text, a text no client could send).

use chinwag_shared::{Change, ChatRecord, MessageText};

/// Whether `record` may follow a record with id `previous` in a log: ids ascend, a change
/// points back at an earlier record, a message's state points forward at its change, and
/// texts are valid messages except where the log keeps none (a tombstone, a deletion record,
/// an edit record of a deleted message).
pub fn check_record(record: &ChatRecord, previous: u64) -> Result<(), String> {
    let id = record.id;
    if id <= previous {
        return Err(format!("record {id} after record {previous} (ids ascend)"));
    }
    let text_is_valid = || MessageText::parse(&record.message).is_ok();
    let later = |what: &str, at: u64| {
        if at > id {
            Ok(())
        } else {
            Err(format!("record {id}'s {what} is not a later record ({at})"))
        }
    };
    match &record.change {
        None => {
            if let Some(edited) = record.edited {
                later("edit", edited)?;
            }
            match &record.deleted {
                Some(deletion) if record.message.is_empty() => later("deletion", deletion.id),
                Some(_) => Err(format!("record {id} is deleted but keeps its text")),
                None if text_is_valid() => Ok(()),
                None => Err(format!("record {id}'s text is not a valid message")),
            }
        }
        Some(Change::Edit { target } | Change::Delete { target, .. }) if *target >= id => Err(
            format!("record {id} changes record {target}, which is not an earlier one"),
        ),
        Some(_) if record.edited.is_some() || record.deleted.is_some() => Err(format!(
            "record {id} is a change record with a message's state"
        )),
        Some(Change::Edit { .. }) if record.message.is_empty() || text_is_valid() => Ok(()),
        Some(Change::Edit { .. }) => Err(format!("record {id}'s text is not a valid message")),
        Some(Change::Delete { .. }) if record.message.is_empty() => Ok(()),
        Some(Change::Delete { .. }) => Err(format!("deletion record {id} has a text")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::{Deletion, RoomName, Username};

    fn record(id: u64, message: &str) -> ChatRecord {
        ChatRecord {
            id,
            room: RoomName::parse("r").unwrap(),
            username: Username::parse("ada").unwrap(),
            message: message.to_owned(),
            ts: 1,
            guest: false,
            bot: false,
            client_id: None,
            change: None,
            deleted: None,
            edited: None,
        }
    }

    #[test]
    fn records_that_a_log_could_hold_pass() {
        assert!(check_record(&record(1, "hi"), 0).is_ok());
        let edited = ChatRecord {
            edited: Some(3),
            ..record(1, "hi again")
        };
        assert!(check_record(&edited, 0).is_ok());
        let tombstone = ChatRecord {
            deleted: Some(Deletion { id: 4, by: None }),
            ..record(2, "")
        };
        assert!(check_record(&tombstone, 1).is_ok());
        let edit = ChatRecord {
            change: Some(Change::Edit { target: 1 }),
            ..record(3, "")
        };
        assert!(
            check_record(&edit, 2).is_ok(),
            "an edit of a deleted message"
        );
        let deletion = ChatRecord {
            change: Some(Change::Delete {
                target: 2,
                moderator: true,
            }),
            ..record(4, "")
        };
        assert!(check_record(&deletion, 3).is_ok());
    }

    #[test]
    fn records_no_log_holds_are_refused() {
        assert!(check_record(&record(1, "hi"), 1).is_err(), "ids ascend");
        assert!(check_record(&record(0, "hi"), 0).is_err());
        assert!(check_record(&record(1, ""), 0).is_err(), "an empty message");
        let long = "x".repeat(chinwag_shared::MAX_MESSAGE_CHARS + 1);
        assert!(check_record(&record(1, &long), 0).is_err());
        let texted_tombstone = ChatRecord {
            deleted: Some(Deletion { id: 4, by: None }),
            ..record(2, "still here")
        };
        assert!(
            check_record(&texted_tombstone, 0).is_err(),
            "a deletion takes the text"
        );
        let backwards = ChatRecord {
            edited: Some(1),
            ..record(2, "hi")
        };
        assert!(check_record(&backwards, 0).is_err());
        let forward = ChatRecord {
            change: Some(Change::Edit { target: 5 }),
            ..record(3, "text")
        };
        assert!(
            check_record(&forward, 0).is_err(),
            "a change of a later record"
        );
        let texted_deletion = ChatRecord {
            change: Some(Change::Delete {
                target: 1,
                moderator: false,
            }),
            ..record(3, "text")
        };
        assert!(check_record(&texted_deletion, 0).is_err());
        let stated_change = ChatRecord {
            change: Some(Change::Edit { target: 1 }),
            edited: Some(9),
            ..record(3, "text")
        };
        assert!(check_record(&stated_change, 0).is_err());
    }
}
