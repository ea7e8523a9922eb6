//! What a moderator asks to be done to someone: mute, ban or kick, and for how long. The
//! message menu and the members and presence panels build these; [`carry_out`] does one over
//! the HTTP API and says in words what was done ([`Sanction::done`]) or why it was not. The
//! chat's controller calls it, and so does the members panel in the panels' bundle
//! ([`crate::panels`]), which has no controller.

use crate::account::{failure::Purpose, moderation_api};
use chinwag_shared::{
    RoomName, Username,
    moderation::{SanctionBody, SanctionKind},
};

/// A sanction, with its duration where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sanction {
    /// May read, may not post; for `seconds`, or until lifted (`None`).
    Mute {
        /// How long.
        seconds: Option<u64>,
    },
    /// May not join, read or post; for `seconds`, or until lifted (`None`).
    Ban {
        /// How long.
        seconds: Option<u64>,
    },
    /// Out of the room now; may come back.
    Kick,
}

/// A moderator's act on one person of the room on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModAct {
    /// Whom.
    pub who: Username,
    /// What.
    pub sanction: Sanction,
}

/// The durations a moderator picks from, in seconds (`None`: until lifted).
pub const DURATIONS: [(Option<u64>, &str); 5] = [
    (Some(10 * 60), "10 minutes"),
    (Some(60 * 60), "1 hour"),
    (Some(24 * 60 * 60), "1 day"),
    (Some(7 * 24 * 60 * 60), "1 week"),
    (None, "until lifted"),
];

/// "10 minutes", "until lifted": how a duration reads.
pub fn duration_words(seconds: Option<u64>) -> String {
    DURATIONS
        .iter()
        .find(|(secs, _)| *secs == seconds)
        .map(|(_, words)| (*words).to_owned())
        .unwrap_or_else(|| match seconds {
            Some(secs) => format!("{secs} s"),
            None => "until lifted".to_owned(),
        })
}

impl Sanction {
    /// What a moderator is asked to confirm: "Mute bob for 1 hour?".
    pub fn question(&self, who: &Username) -> String {
        match self {
            Sanction::Mute { seconds } => format!("Mute {who} {}?", for_how_long(*seconds)),
            Sanction::Ban { seconds } => format!("Ban {who} {}?", for_how_long(*seconds)),
            Sanction::Kick => format!("Kick {who} out of the room?"),
        }
    }

    /// What was done: "bob is muted for 1 hour.".
    pub fn done(&self, who: &Username) -> String {
        match self {
            Sanction::Mute { seconds } => format!("{who} is muted {}.", for_how_long(*seconds)),
            Sanction::Ban { seconds } => format!("{who} is banned {}.", for_how_long(*seconds)),
            Sanction::Kick => format!("{who} was kicked out of the room."),
        }
    }
}

/// Mutes, bans or kicks `act.who` in `room`: `Ok` with what was done ("bob is muted for
/// 1 hour."), or `Err` with the sentence that says why not.
pub async fn carry_out(room: &RoomName, act: &ModAct) -> Result<String, String> {
    let body = SanctionBody::default();
    let who = &act.who;
    let answer = match act.sanction {
        Sanction::Mute { seconds } => {
            let body = SanctionBody { seconds, ..body };
            moderation_api::impose(room, SanctionKind::Mute, who, &body).await
        }
        Sanction::Ban { seconds } => {
            let body = SanctionBody { seconds, ..body };
            moderation_api::impose(room, SanctionKind::Ban, who, &body).await
        }
        Sanction::Kick => moderation_api::kick(room, who, &body).await,
    };
    match answer {
        Ok(()) => Ok(act.sanction.done(who)),
        Err(failure) => Err(format!(
            "Could not do that: {}",
            failure.message(Purpose::Moderation)
        )),
    }
}

/// "for 1 hour", or "until lifted".
fn for_how_long(seconds: Option<u64>) -> String {
    match seconds {
        None => "until lifted".to_owned(),
        some => format!("for {}", duration_words(some)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn each_sanction_asks_and_reports_with_its_duration() {
        let bob = Username::parse("bob").unwrap();
        let hour = Sanction::Mute {
            seconds: Some(3_600),
        };
        assert_eq!(hour.question(&bob), "Mute bob for 1 hour?");
        assert_eq!(hour.done(&bob), "bob is muted for 1 hour.");
        let forever = Sanction::Ban { seconds: None };
        assert_eq!(forever.question(&bob), "Ban bob until lifted?");
        assert_eq!(forever.done(&bob), "bob is banned until lifted.");
        assert_eq!(Sanction::Kick.question(&bob), "Kick bob out of the room?");
        assert_eq!(duration_words(Some(42)), "42 s");
    }
}
