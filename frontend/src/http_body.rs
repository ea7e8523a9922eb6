//! The JSON body of an HTTP answer, read the same way for every type.
//!
//! gloo's `Response::json::<T>` is an `async fn` per `T`, so each type the client reads had
//! its own compiled wait for the body. Here the wait is one function ([`text`]) and only
//! the decoding ([`parse`], `serde_json::from_str`) is per type. The errors are gloo's own,
//! so their words are as before.

use gloo::net::{Error, http::Response};
use serde::de::DeserializeOwned;

/// The body's text.
pub async fn text(response: &Response) -> Result<String, Error> {
    response.text().await
}

/// `text` as a `T`.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    Ok(serde_json::from_str(text)?)
}

/// The body as a `T`: [`text`], then [`parse`].
pub async fn json<T: DeserializeOwned>(response: &Response) -> Result<T, Error> {
    parse(&text(response).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::{
        ApiError, Change, ChatRecord, ClientId, Deletion, ErrorCode, RoomName, RoomSummary,
        Username,
        account::{AuthMethod, AuthPolicy, Me, RoomInfo},
        moderation::{ReadBody, Role, RoomSettings},
    };
    use serde::Serialize;
    use std::fmt::Debug;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn parsed<T>(parsed: Result<T, chinwag_shared::ValidationError>) -> T {
        parsed.unwrap_or_else(|err| panic!("a valid test value: {err}"))
    }

    fn reads_back<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: T) {
        let text = serde_json::to_string(&value).unwrap_or_else(|err| panic!("{err}"));
        let back: T = parse(&text).unwrap_or_else(|err| panic!("{text}: {err}"));
        assert_eq!(back, value, "{text}");
    }

    fn record(id: u64) -> ChatRecord {
        ChatRecord {
            id,
            room: parsed(RoomName::parse("general")),
            username: parsed(Username::parse("ada")),
            message: "hi".to_owned(),
            ts: 1_700_000_000_000,
            guest: false,
            bot: false,
            client_id: None,
            change: None,
            edited: None,
            deleted: None,
        }
    }

    // In the browser these go through the wasm build's object-only readers
    // (`chinwag_shared`'s `object_only`); natively, through serde's derived ones.
    #[wasm_bindgen_test(unsupported = test)]
    fn every_answer_the_server_writes_reads_back() {
        let ada = parsed(Username::parse("ada"));
        let team = parsed(RoomName::parse("team"));
        reads_back(vec![
            record(1),
            ChatRecord {
                guest: true,
                bot: true,
                client_id: Some(parsed(ClientId::parse("c-1"))),
                edited: Some(3),
                ..record(2)
            },
            ChatRecord {
                change: Some(Change::Delete {
                    target: 2,
                    moderator: true,
                }),
                ..record(3)
            },
            ChatRecord {
                deleted: Some(Deletion {
                    id: 3,
                    by: Some(ada.clone()),
                }),
                ..record(4)
            },
        ]);
        reads_back(vec![RoomSummary {
            room: team.clone(),
            last_id: 9,
            unread: Some(2),
            mentions: None,
        }]);
        reads_back(Me {
            username: ada.clone(),
            method: AuthMethod::Jwt,
            admin: true,
        });
        reads_back(AuthPolicy {
            guests: true,
            sign_up: false,
        });
        reads_back(vec![RoomInfo {
            room: team.clone(),
            private: true,
            owner: Some(ada.clone()),
            dm_with: None,
            last_id: 4,
            unread: Some(1),
            mentions: Some(1),
        }]);
        reads_back(RoomSettings {
            room: team,
            owner: Some(ada.clone()),
            moderators: vec![ada],
            slow_mode_secs: 30,
            role: Role::Owner,
            read: Some(7),
            muted_until: None,
        });
        reads_back(ReadBody { id: 7 });
        reads_back(ApiError {
            code: ErrorCode::SlowMode,
            detail: "wait".to_owned(),
            retry_after_ms: Some(1_500),
        });
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_body_that_is_not_the_type_says_why() {
        let err = parse::<ReadBody>(r#"{"id":"7"}"#)
            .err()
            .map(|err| err.to_string());
        assert_eq!(
            err.as_deref(),
            Some("invalid type: string \"7\", expected u64 at line 1 column 9")
        );
    }
}
