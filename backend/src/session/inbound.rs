//! Client text frames → protocol messages, or the error frame that explains why not.
//!
//! The only place client JSON is parsed. The fast path decodes a tagged [`ClientMsg`] directly;
//! only when that fails does it look again to tell the seed's untagged shape, an unknown `type`,
//! a malformed known type and non-JSON apart, so each gets its own error code.

use chinwag_shared::{ClientMsg, Envelope, ErrorCode, ErrorFrame, SeedMsg, ValidationError};

/// Decodes one text frame.
pub fn decode(text: &str) -> Result<ClientMsg, ErrorFrame> {
    let tagged_error = match serde_json::from_str::<ClientMsg>(text) {
        Ok(message) => return Ok(message),
        Err(err) => err,
    };
    match serde_json::from_str::<Envelope>(text) {
        Ok(Envelope { kind: None }) => serde_json::from_str::<SeedMsg>(text)
            .map(ClientMsg::from)
            .map_err(|err| error(ErrorCode::BadMessage, format!("untagged message: {err}"))),
        Ok(Envelope { kind: Some(kind) }) if Envelope::is_known(&kind) => Err(error(
            ErrorCode::BadMessage,
            format!("{kind:?} message: {tagged_error}"),
        )),
        Ok(Envelope { kind: Some(kind) }) => Err(error(
            ErrorCode::UnknownType,
            format!(
                "unknown type {kind:?}; expected one of {:?}",
                Envelope::KNOWN_TYPES
            ),
        )),
        Err(_) if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() => Err(error(
            ErrorCode::BadMessage,
            "expected a JSON object with a string \"type\"".to_owned(),
        )),
        Err(err) => Err(error(ErrorCode::BadJson, err.to_string())),
    }
}

/// The error frame for a message whose fields failed validation.
pub fn rejection(message: &ClientMsg, err: &ValidationError) -> ErrorFrame {
    ErrorFrame {
        code: err.code(),
        detail: err.to_string(),
        room: message.room().map(str::to_owned),
        client_id: message.client_id().map(str::to_owned),
    }
}

/// An error frame that names no room or client id.
pub fn error(code: ErrorCode, detail: String) -> ErrorFrame {
    ErrorFrame {
        code,
        detail,
        room: None,
        client_id: None,
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
