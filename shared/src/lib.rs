//! Chinwag's wire protocol: the serde types every Chinwag client and server speaks.
//!
//! A client opens a WebSocket on `/socket` and exchanges JSON text frames:
//! - [`client_msg`]: what a client may send — [`ClientMsg`] (tagged by `"type"`) and the seed
//!   lecture's bare `{"username","message"}` ([`SeedMsg`]), which posts to [`DEFAULT_ROOM`].
//!   [`ClientMsg::validate`] turns raw wire fields into a [`Request`] of validated values.
//! - [`server_msg`]: what the server sends — [`ServerMsg`], chat records, presence, errors.
//! - [`record`]: [`ChatRecord`], a stored message with its per-room `id` and server `ts`; the
//!   same JSON object appears on the socket and in the HTTP history API.
//! - [`names`]: [`Username`], [`RoomName`], [`ClientId`], [`MessageText`] — validated newtypes,
//!   the only way to hold one — and [`NameKey`], what the "name is held" rule compares.
//!   `appearance` holds the Unicode rules they apply against invisible, reordered, stacked
//!   and look-alike text.
//! - [`epoch`]: [`Epoch`], the opaque name of a room's history that its ids are counted in.
//! - [`limits`]: every protocol limit as a named constant, shared by server checks and UI counters.
//! - [`account`]: identity and access — sign-up and sign-in bodies, who a request is, access
//!   tokens, private rooms and direct messages.
//! - [`moderation`]: roles, the bodies of the moderation and read-marker routes, sanctions
//!   and the audit log.
//! - [`api_keys`]: the server API's keys and their scopes, for backends.
//! - [`console`]: what the operators' console (`/admin`) shows: live numbers, nodes, rooms,
//!   accounts and their connections.
//! - [`error_code`]: [`ErrorCode`], the stable `code` strings of error frames.
//! - [`unicode`]: the lowercase mapping and the combining-mark lookup, which the browser
//!   client takes from the browser's own Unicode tables.
//! - `object_only` (wasm32 only): the structs the browser reads are read from JSON objects
//!   only there, which spares its wasm serde's reader of their array form.
//! - `schema` (feature `openapi`, the server's only): the OpenAPI schemas of the validated
//!   newtypes; every wire struct derives `utoipa::ToSchema` under the same feature.
//!
//! The promises (ids strictly increasing per room, resume with `after`, idempotent `client_id`)
//! are written down in `docs/protocol.md`. This crate depends on serde, serde_json (for
//! [`ServerMsg::from_json`], the browser's frame decoder) and two no_std unicode-rs table
//! crates (UTS #39 security data, normalization) alone (plus `utoipa` with the `openapi`
//! feature, and `js-sys` on wasm32 for [`unicode`]), so it builds for
//! `wasm32-unknown-unknown` as well as native targets.
#![deny(missing_docs)]

pub mod account;
pub mod api_keys;
mod appearance;
pub mod client_msg;
pub mod console;
pub mod epoch;
pub mod error_code;
pub mod limits;
pub mod moderation;
pub mod names;
// The browser's readers of the structs it reads (natively, for its tests).
#[cfg(any(target_arch = "wasm32", test))]
mod object_only;
pub mod record;
#[cfg(feature = "openapi")]
mod schema;
pub mod server_msg;
pub mod unicode;

pub use client_msg::{ClientMsg, Envelope, Request, SeedMsg};
pub use epoch::Epoch;
pub use error_code::ErrorCode;
pub use limits::*;
pub use names::{
    ClientId, ClientToken, Field, MessageText, NameKey, RoomName, Username, ValidationError,
};
pub use record::{Applied, Change, ChatRecord, Deletion, EPOCH_HEADER, RoomSummary, mentions};
pub use server_msg::{ApiError, ErrorFrame, ServerMsg};
