//! Structs read from JSON objects only, in the browser's wasm.
//!
//! serde's derived reader of a struct takes two forms: an object of named fields, and an
//! array of the fields in order. Nothing Chinwag writes uses the array form, yet every derived
//! reader carries the code for it, and the browser downloads that code (about 11 kB of the
//! chat's wasm over all the types it reads). So in the wasm build the structs the browser
//! reads derive with `serde(remote = "Self")`, which makes the derived reader an inherent
//! function, and [`object_only!`] implements `Deserialize` by that reader through
//! [`ObjectOnly`]: where the reader asks its format for a struct, it asks for a map. For an
//! object, serde_json's two calls are the same code, so what is read and every error are as
//! before; an array is refused ("invalid type: sequence, expected struct …"), and the array
//! reader is never compiled into the wasm. Natively (the server, the tests, the native
//! clients) the derived `Deserialize` is as serde writes it.

use serde::de::{Deserializer, Visitor};

/// A format's reader, but a struct is read as a map (see the module docs).
pub struct ObjectOnly<D>(pub D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    // A derived struct reader calls `deserialize_struct` only; the rest is for completeness.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// `Deserialize` for the struct `$ty`, which derives it with `serde(remote = "Self")`: its
/// derived reader, through [`ObjectOnly`]. With `, Serialize`, also `Serialize`: its derived
/// writer as it is (`remote` makes that one inherent too).
macro_rules! object_only {
    ($ty:ident) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $ty::deserialize($crate::object_only::ObjectOnly(deserializer))
            }
        }
    };
    ($ty:ident, Serialize) => {
        $crate::object_only::object_only!($ty);

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $ty::serialize(self, serializer)
            }
        }
    };
}

pub(crate) use object_only;

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    /// A struct as the wasm build marks them, here on every target.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(remote = "Self")]
    struct Marked {
        id: u64,
        #[serde(default)]
        name: Option<String>,
    }
    super::object_only!(Marked, Serialize);

    /// The same struct as serde derives it (of the same name, so that errors that name it
    /// compare equal).
    mod derived {
        use serde::{Deserialize, Serialize};

        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        pub struct Marked {
            pub id: u64,
            #[serde(default)]
            pub name: Option<String>,
        }
    }
    use derived::Marked as Derived;

    fn both(json: &str) -> (Result<Marked, String>, Result<Derived, String>) {
        (
            serde_json::from_str(json).map_err(|err| err.to_string()),
            serde_json::from_str(json).map_err(|err| err.to_string()),
        )
    }

    #[test]
    fn objects_read_and_fail_as_the_derived_reader_does() {
        let (marked, derived) = both(r#"{"name":"ada","x":[1],"id":7}"#);
        assert_eq!(
            marked,
            Ok(Marked {
                id: 7,
                name: Some("ada".to_owned())
            })
        );
        assert_eq!(
            derived,
            Ok(Derived {
                id: 7,
                name: Some("ada".to_owned())
            })
        );
        for bad in [
            r#"{"name":"ada"}"#,
            r#"{"id":1,"id":2}"#,
            r#"{"id":"7"}"#,
            r#"{"id":7"#,
            r#""text""#,
            "",
        ] {
            let (marked, derived) = both(bad);
            assert!(marked.is_err(), "{bad}");
            assert_eq!(marked.err(), derived.err(), "{bad}");
        }
    }

    #[test]
    fn an_array_is_refused_where_the_derived_reader_takes_it() {
        let (marked, derived) = both(r#"[7,"ada"]"#);
        assert_eq!(
            marked.err().as_deref(),
            Some("invalid type: sequence, expected struct Marked at line 1 column 0")
        );
        assert!(derived.is_ok());
    }

    #[test]
    fn what_is_written_is_the_derived_writers() {
        let marked = Marked { id: 7, name: None };
        let derived = Derived { id: 7, name: None };
        assert_eq!(
            serde_json::to_string(&marked).ok(),
            serde_json::to_string(&derived).ok()
        );
    }
}
