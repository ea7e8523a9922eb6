//! Client text frames → protocol messages, or the error frame that explains why not.
//!
//! The only place client JSON is parsed. The fast path decodes a tagged [`ClientMsg`] directly;
//! only when that fails does it look again to tell the seed's untagged shape, an unknown `type`,
//! a malformed known type and non-JSON apart, so each gets its own error code.

use chinwag_shared::{ClientMsg, Envelope, ErrorCode, ErrorFrame, SeedMsg, ValidationError};
use serde_json::{Map, Value};

/// Decodes one text frame.
pub fn decode(text: &str) -> Result<ClientMsg, ErrorFrame> {
    // Frames are JSON objects. serde's tagged enums would also accept an array (`["leave",
    // "lobby"]`), so anything else is refused before they see it.
    if !text.trim_start().starts_with('{') {
        return Err(not_an_object(text));
    }
    let tagged_error = match serde_json::from_str::<ClientMsg>(text) {
        Ok(message) => return Ok(message),
        Err(err) => err,
    };
    // The slow path, for frames that are not a tagged message: read the object once to tell
    // the seed's untagged shape (no `type` at all) from a wrong or unknown `type`.
    let object: Map<String, Value> = match serde_json::from_str(text) {
        Ok(object) => object,
        // Valid JSON can still fail here (a number beyond f64, like 1e400): that is a bad
        // message, not bad JSON.
        Err(err) if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() => {
            return Err(error(ErrorCode::BadMessage, err.to_string()));
        }
        Err(err) => return Err(error(ErrorCode::BadJson, err.to_string())),
    };
    match object.get("type") {
        None => serde_json::from_value::<SeedMsg>(Value::Object(object))
            .map(ClientMsg::from)
            .map_err(|err| error(ErrorCode::BadMessage, format!("untagged message: {err}"))),
        Some(Value::String(kind)) if Envelope::is_known(kind) => Err(error(
            ErrorCode::BadMessage,
            format!("{kind:?} message: {tagged_error}"),
        )),
        Some(Value::String(kind)) => Err(error(
            ErrorCode::UnknownType,
            format!(
                "unknown type {kind:?}; expected one of {:?}",
                Envelope::KNOWN_TYPES
            ),
        )),
        Some(_) => Err(error(
            ErrorCode::BadMessage,
            "\"type\" must be a string".to_owned(),
        )),
    }
}

/// The error for a frame that is not a JSON object: malformed JSON, or the wrong kind.
fn not_an_object(text: &str) -> ErrorFrame {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => error(
            ErrorCode::BadMessage,
            "expected a JSON object with a string \"type\"".to_owned(),
        ),
        Err(err) => error(ErrorCode::BadJson, err.to_string()),
    }
}

/// The error frame for a message whose fields failed validation.
pub fn rejection(message: &ClientMsg, err: &ValidationError) -> ErrorFrame {
    ErrorFrame {
        code: err.code(),
        detail: err.to_string(),
        room: message.room().map(str::to_owned),
        client_id: message.client_id().map(str::to_owned),
        retry_after_ms: None,
    }
}

/// An error frame that names no room or client id.
pub fn error(code: ErrorCode, detail: String) -> ErrorFrame {
    ErrorFrame {
        code,
        detail,
        room: None,
        client_id: None,
        retry_after_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(text: &str) -> ErrorCode {
        decode(text).unwrap_err().code
    }

    #[test]
    fn each_kind_of_bad_frame_gets_its_own_code() {
        assert_eq!(code_of("{not json"), ErrorCode::BadJson);
        assert_eq!(code_of(""), ErrorCode::BadJson);
        assert_eq!(code_of("[1,2]"), ErrorCode::BadMessage);
        assert_eq!(code_of(r#"{"type":7}"#), ErrorCode::BadMessage);
        assert_eq!(code_of(r#"{"type":"dance"}"#), ErrorCode::UnknownType);
        assert_eq!(code_of(r#"{"type":"join"}"#), ErrorCode::BadMessage);
        assert_eq!(
            code_of(r#"{"type":"send","message":5}"#),
            ErrorCode::BadMessage
        );
        assert_eq!(code_of(r#"{"username":"a"}"#), ErrorCode::BadMessage);
        assert_eq!(code_of(r#"["leave","lobby"]"#), ErrorCode::BadMessage);
        assert_eq!(
            code_of(r#"{"type":null,"username":"a","message":"b"}"#),
            ErrorCode::BadMessage
        );
    }

    #[test]
    fn the_seed_shape_and_tagged_sends_decode() {
        assert!(matches!(
            decode(r#"{"username":"alice","message":"hi"}"#),
            Ok(ClientMsg::Send { room: None, .. })
        ));
        assert!(matches!(
            decode(r#"{"type":"send","room":"x","message":"hi"}"#),
            Ok(ClientMsg::Send { room: Some(_), .. })
        ));
    }

    #[test]
    fn rejections_name_the_room_and_client_id() {
        let message = decode(r#"{"type":"send","message":" ","client_id":"c1"}"#).unwrap();
        let err = message.validate().unwrap_err();
        let frame = rejection(&message, &err);
        assert_eq!(frame.code, ErrorCode::EmptyMessage);
        assert_eq!(frame.client_id.as_deref(), Some("c1"));
        assert_eq!(frame.room.as_deref(), Some("general"));
    }
}
