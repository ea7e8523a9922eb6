//! When to reconnect, and over which transport: the policy the controller follows, as a pure
//! state machine with time and randomness passed in, so it is tested without a browser.
//!
//! The controller tells a [`Reconnect`] what happened to its connection: it is being opened
//! ([`Reconnect::connecting`]), it opened, it closed, it could not even be built, or the
//! browser says now is a good time (back online, tab shown). A close answers with a [`Next`]:
//! retry the same transport after a delay, or fall back to long-polling first. The policy
//! never gives up; an offline browser only changes the status the controller shows.
//!
//! Delays come from [`backoff::delay_ms`] (full jitter, doubling to a cap). The attempt count
//! starts over when a connection opens, when the browser says to retry now, and on fallback,
//! so the new transport starts with short waits. Two WebSockets in a row that close without
//! ever opening mean the network (a proxy, a firewall) does not pass WebSockets: the policy
//! falls back to long-polling, once, and never when `?transport=` forced a transport.

use super::{backoff, transport::TransportKind};

/// WebSockets in a row that close without opening before falling back to long-polling.
pub const FAILED_OPENS_BEFORE_FALLBACK: u32 = 2;

/// What to do after a connection closed or could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Open the same transport again after `delay_ms`.
    Retry {
        /// The wait, in milliseconds.
        delay_ms: u32,
    },
    /// Switch to `to` (tell the person), then open it after `delay_ms`.
    FallBack {
        /// The transport to use from now on.
        to: TransportKind,
        /// The wait, in milliseconds.
        delay_ms: u32,
    },
}

impl Next {
    /// How long to wait before the next attempt.
    pub fn delay_ms(self) -> u32 {
        match self {
            Next::Retry { delay_ms } | Next::FallBack { delay_ms, .. } => delay_ms,
        }
    }
}

/// The reconnect and fallback state of one chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconnect {
    /// The transport to open next; changes only by fallback, never when forced.
    kind: TransportKind,
    /// Whether `?transport=` chose `kind`.
    forced: bool,
    /// WebSockets in a row that closed without ever opening.
    failed_opens: u32,
    /// Whether the current connection has opened.
    opened: bool,
    /// Attempts since the last open, retry-now or fallback: the backoff's exponent.
    attempts: u32,
}

impl Reconnect {
    /// The policy for a chat that starts on `forced`, if `?transport=` named one, and on a
    /// WebSocket otherwise.
    pub fn new(forced: Option<TransportKind>) -> Self {
        Self {
            kind: forced.unwrap_or(TransportKind::WebSocket),
            forced: forced.is_some(),
            failed_opens: 0,
            opened: false,
            attempts: 0,
        }
    }

    /// The transport to open next.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }

    /// A connection of [`Self::kind`] is being opened; returns that kind.
    pub fn connecting(&mut self) -> TransportKind {
        self.opened = false;
        self.kind
    }

    /// The connection opened: the backoff and the count of failed opens start over.
    pub fn opened(&mut self) {
        self.attempts = 0;
        self.opened = true;
        self.failed_opens = 0;
    }

    /// The connection closed (or failed before opening). `random` is drawn uniformly from
    /// [0, 1) for the jitter.
    pub fn closed(&mut self, random: f64) -> Next {
        if self.never_opened_socket() {
            self.failed_opens += 1;
            if self.failed_opens >= FAILED_OPENS_BEFORE_FALLBACK {
                self.kind = TransportKind::LongPoll;
                self.attempts = 0;
                return Next::FallBack {
                    to: self.kind,
                    delay_ms: self.next_delay(random),
                };
            }
        }
        Next::Retry {
            delay_ms: self.next_delay(random),
        }
    }

    /// The transport could not even be built (a URL the browser refuses): retry after the
    /// backoff. Not a sign that WebSockets are blocked, so it does not count towards fallback.
    pub fn open_failed(&mut self, random: f64) -> Next {
        Next::Retry {
            delay_ms: self.next_delay(random),
        }
    }

    /// The browser came back online or the tab was shown, and no connection is open or on its
    /// way: the next attempt goes now, and the backoff starts over.
    pub fn retry_now(&mut self) {
        self.attempts = 0;
    }

    /// Whether the connection that just ended was an unforced WebSocket that never opened.
    fn never_opened_socket(&self) -> bool {
        !self.opened && !self.forced && self.kind == TransportKind::WebSocket
    }

    fn next_delay(&mut self, random: f64) -> u32 {
        let attempt = self.attempts;
        self.attempts = attempt.saturating_add(1);
        backoff::delay_ms(attempt, random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Randomness that always draws the top of the window, so a delay shows its ceiling.
    const TOP: f64 = 0.999_999;

    /// One failed attempt: opening, then closing without ever opening.
    fn fail(policy: &mut Reconnect) -> Next {
        policy.connecting();
        policy.closed(TOP)
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_chat_starts_on_a_websocket_unless_one_transport_is_forced() {
        assert_eq!(Reconnect::new(None).kind(), TransportKind::WebSocket);
        for kind in [
            TransportKind::WebSocket,
            TransportKind::LongPoll,
            TransportKind::Poll,
        ] {
            assert_eq!(Reconnect::new(Some(kind)).kind(), kind);
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn each_failed_attempt_doubles_the_window_until_the_cap() {
        let mut policy = Reconnect::new(Some(TransportKind::WebSocket));
        let delays: Vec<u32> = (0..7).map(|_| fail(&mut policy).delay_ms()).collect();
        assert_eq!(
            delays,
            [499, 999, 1_999, 3_999, 7_999, 14_999, 14_999],
            "the ceilings of backoff's windows"
        );
        assert!(delays.iter().all(|&delay| delay < backoff::CAP_MS));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_delay_is_drawn_from_the_whole_window() {
        let mut policy = Reconnect::new(None);
        policy.connecting();
        policy.opened();
        assert_eq!(policy.closed(0.0), Next::Retry { delay_ms: 0 });
        assert_eq!(policy.closed(0.5), Next::Retry { delay_ms: 500 });
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn an_open_connection_starts_the_backoff_over() {
        let mut policy = Reconnect::new(None);
        fail(&mut policy);
        policy.connecting();
        policy.opened();
        assert_eq!(policy.closed(TOP), Next::Retry { delay_ms: 499 });
        assert_eq!(fail(&mut policy), Next::Retry { delay_ms: 999 });
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn retrying_now_starts_the_backoff_over() {
        let mut policy = Reconnect::new(Some(TransportKind::LongPoll));
        for _ in 0..4 {
            fail(&mut policy);
        }
        policy.retry_now();
        assert_eq!(fail(&mut policy), Next::Retry { delay_ms: 499 });
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn two_websockets_in_a_row_that_never_open_fall_back_to_long_polling() {
        let mut policy = Reconnect::new(None);
        assert_eq!(fail(&mut policy), Next::Retry { delay_ms: 499 });
        assert_eq!(
            fail(&mut policy),
            Next::FallBack {
                to: TransportKind::LongPoll,
                delay_ms: 499,
            },
            "the new transport starts with the shortest window"
        );
        assert_eq!(policy.kind(), TransportKind::LongPoll);
        assert_eq!(policy.connecting(), TransportKind::LongPoll);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn long_polling_is_the_last_fallback_even_if_it_never_opens() {
        let mut policy = Reconnect::new(None);
        fail(&mut policy);
        fail(&mut policy);
        for attempt in 1..6 {
            assert!(
                matches!(fail(&mut policy), Next::Retry { .. }),
                "attempt {attempt} on long-polling"
            );
        }
        assert_eq!(policy.kind(), TransportKind::LongPoll);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_socket_that_opened_in_between_resets_the_count_of_failed_opens() {
        let mut policy = Reconnect::new(None);
        fail(&mut policy);
        policy.connecting();
        policy.opened();
        policy.closed(TOP);
        assert!(matches!(fail(&mut policy), Next::Retry { .. }));
        assert!(matches!(fail(&mut policy), Next::FallBack { .. }));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_socket_that_closes_after_opening_is_not_a_failed_open() {
        let mut policy = Reconnect::new(None);
        for _ in 0..5 {
            policy.connecting();
            policy.opened();
            assert!(matches!(policy.closed(TOP), Next::Retry { .. }));
        }
        assert_eq!(policy.kind(), TransportKind::WebSocket);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_forced_websocket_never_falls_back() {
        let mut policy = Reconnect::new(Some(TransportKind::WebSocket));
        for _ in 0..10 {
            assert!(matches!(fail(&mut policy), Next::Retry { .. }));
        }
        assert_eq!(policy.kind(), TransportKind::WebSocket);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_socket_that_cannot_be_built_backs_off_but_does_not_count_towards_fallback() {
        let mut policy = Reconnect::new(None);
        for delay_ms in [499, 999, 1_999] {
            policy.connecting();
            assert_eq!(policy.open_failed(TOP), Next::Retry { delay_ms });
        }
        assert_eq!(fail(&mut policy), Next::Retry { delay_ms: 3_999 });
        assert_eq!(policy.kind(), TransportKind::WebSocket);
    }
}
