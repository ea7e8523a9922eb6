//! OpenAPI schemas of the validated newtypes (the `openapi` feature, which only the server
//! turns on, so the browser's wasm never links `utoipa`).
//!
//! The wire structs derive `utoipa::ToSchema` where they are defined, under
//! `cfg_attr(feature = "openapi", …)`. The validated newtypes ([`Username`], [`RoomName`],
//! [`ClientId`], [`ClientToken`], [`MessageText`], [`Epoch`]) serialize by hand as plain JSON
//! strings, so a derive would describe their private `Arc<str>` instead of what is on the
//! wire. Their schemas are written here: a string with the limits of [`crate::limits`] that
//! `parse` enforces, so a reader of `/api/openapi.json` learns the rules without the code.
//! JSON Schema counts `maxLength` in Unicode code points, as the limits do.

use crate::{
    ClientId, ClientToken, Epoch, MAX_CLIENT_ID_CHARS, MAX_MESSAGE_CHARS, MAX_ROOM_CHARS,
    MAX_USERNAME_CHARS, MessageText, RoomName, Username,
};
use utoipa::openapi::{ObjectBuilder, RefOr, Type, schema::Schema};

/// What one validated string allows.
struct Rules {
    description: &'static str,
    max_chars: Option<usize>,
    pattern: Option<&'static str>,
    example: &'static str,
}

impl Rules {
    fn schema(&self) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(self.description))
            .min_length(self.max_chars.map(|_| 1))
            .max_length(self.max_chars)
            .pattern(self.pattern)
            .examples([self.example])
            .into()
    }
}

/// Implements `PartialSchema` and `ToSchema` (named after the type) from a [`Rules`].
macro_rules! string_schema {
    ($type:ty, $rules:expr) => {
        impl utoipa::PartialSchema for $type {
            fn schema() -> RefOr<Schema> {
                $rules.schema()
            }
        }

        impl utoipa::ToSchema for $type {}
    };
}

string_schema!(
    Username,
    Rules {
        description: "A person's name: letters, digits, combining marks (a few per \
                      character), space, `_`, `-` and `.`; no space at either end, no \
                      mixed scripts. Names that look alike (case, confusable letters) are \
                      one name for the rule that an account's name is its own.",
        max_chars: Some(MAX_USERNAME_CHARS),
        pattern: None,
        example: "ada",
    }
);

string_schema!(
    RoomName,
    Rules {
        description: "A room's name: lowercase ASCII letters, digits, `-` and `_`, starting \
                      with a letter or digit.",
        max_chars: Some(MAX_ROOM_CHARS),
        pattern: Some("^[a-z0-9][a-z0-9_-]*$"),
        example: "general",
    }
);

string_schema!(
    ClientId,
    Rules {
        description: "The sender's own id for a message; a retry carries the same one, and \
                      the server stores the message once. No control characters.",
        max_chars: Some(MAX_CLIENT_ID_CHARS),
        pattern: None,
        example: "b7f3-0001",
    }
);

string_schema!(
    ClientToken,
    Rules {
        description: "A guest browser's own secret: connections presenting the same token \
                      may share a name in a room (two tabs). No control characters.",
        max_chars: Some(MAX_CLIENT_ID_CHARS),
        pattern: None,
        example: "k2ZQ9x",
    }
);

string_schema!(
    MessageText,
    Rules {
        description: "A chat message: not blank; no control characters but newline, \
                      carriage return and tab.",
        max_chars: Some(MAX_MESSAGE_CHARS),
        pattern: None,
        example: "hello",
    }
);

string_schema!(
    Epoch,
    Rules {
        description: "The opaque name of a room's history, which its ids count in: keep it \
                      and send it back, never parse it (the `Chinwag-Epoch` header).",
        max_chars: None,
        pattern: None,
        example: "sqlite-18a2f3c4d5e6f708",
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    fn json<T: PartialSchema>() -> serde_json::Value {
        serde_json::to_value(T::schema()).unwrap()
    }

    #[test]
    fn validated_names_are_strings_with_their_limits() {
        let room = json::<RoomName>();
        assert_eq!(room["type"], "string");
        assert_eq!(room["maxLength"], MAX_ROOM_CHARS);
        assert_eq!(room["minLength"], 1);
        let pattern = room["pattern"].as_str().unwrap();
        assert!(pattern.starts_with('^'), "{pattern}");
        assert_eq!(json::<Username>()["maxLength"], MAX_USERNAME_CHARS);
        assert_eq!(json::<MessageText>()["maxLength"], MAX_MESSAGE_CHARS);
        assert_eq!(json::<ClientId>()["maxLength"], MAX_CLIENT_ID_CHARS);
        assert!(json::<Epoch>().get("maxLength").is_none());
    }

    #[test]
    fn each_example_passes_its_own_rule() {
        let example =
            |schema: serde_json::Value| schema["examples"][0].as_str().unwrap().to_owned();
        assert!(Username::parse(&example(json::<Username>())).is_ok());
        assert!(RoomName::parse(&example(json::<RoomName>())).is_ok());
        assert!(ClientId::parse(&example(json::<ClientId>())).is_ok());
        assert!(ClientToken::parse(&example(json::<ClientToken>())).is_ok());
        assert!(MessageText::parse(&example(json::<MessageText>())).is_ok());
    }
}
