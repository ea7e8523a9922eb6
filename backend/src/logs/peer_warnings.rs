//! [`PeerWarnings`]: at most a few warning lines per client address and minute for each kind
//! of refusal, then a count of the rest.
//!
//! A refusal caused by the client (a cross-site origin, a connection over the caps, a socket
//! over its rate) is worth one line to the operator, not one per request: a client repeating
//! it 2,000 times would otherwise write 2,000 lines. Each (address, [`Warning`]) pair gets
//! `per_window` lines per [`WINDOW`]; the rest are counted, and one summary line ("left out
//! N") follows when that window is over: at the pair's next warning, at the next sweep of
//! the table (at most one per window), or at shutdown ([`PeerWarnings::flush`]).
//!
//! Bound: the table holds at most `capacity` pairs. When it is full and no window has ended,
//! a new address shares one "other addresses" budget per kind, so a crowd of addresses (an
//! IPv6 /64 has 2⁶⁴) can neither grow the table nor the log past
//! (`capacity` + kinds) × `per_window` lines per window. The table logic is pure, with time
//! passed in; [`PeerWarnings`] wraps it in a short `Mutex` section and logs after the guard
//! is dropped.

use std::{
    collections::HashMap,
    fmt,
    net::IpAddr,
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

/// How long one budget of warning lines lasts.
pub const WINDOW: Duration = Duration::from_secs(60);

/// A kind of refusal whose warnings are budgeted per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Warning {
    /// A browser request from a page whose origin may not use the server (403).
    ForbiddenOrigin,
    /// A WebSocket connection over the total or per-address cap (503 / 429).
    ConnectionRefused,
    /// A socket sent frames faster than its rate allows.
    RateLimited,
    /// Sign-in attempts from this address, or for the account it tried, are locked out
    /// after too many wrong passwords (429).
    SignInLocked,
}

impl Warning {
    /// The name written in the `warning` field of a summary.
    pub fn as_str(self) -> &'static str {
        match self {
            Warning::ForbiddenOrigin => "forbidden_origin",
            Warning::ConnectionRefused => "connection_refused",
            Warning::RateLimited => "rate_limited",
            Warning::SignInLocked => "sign_in_locked",
        }
    }
}

/// Whose budget a warning draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Peer {
    /// One client address.
    Address(IpAddr),
    /// Every address that arrived while the table was full.
    Others,
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Address(address) => address.fmt(f),
            Peer::Others => f.write_str("other addresses"),
        }
    }
}

/// Warnings of one kind from one peer that were not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeftOut {
    /// Whose warnings.
    pub peer: Peer,
    /// Which kind.
    pub warning: Warning,
    /// How many lines were not written.
    pub count: u64,
}

/// One pair's budget in the current window.
#[derive(Debug, Clone, Copy)]
struct Budget {
    window_start: Instant,
    logged: u32,
    left_out: u64,
}

impl Budget {
    fn new(now: Instant) -> Self {
        Self {
            window_start: now,
            logged: 0,
            left_out: 0,
        }
    }

    fn ended(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.window_start) >= WINDOW
    }
}

/// The budgets; pure, time passed in.
#[derive(Debug)]
struct Table {
    per_window: u32,
    capacity: usize,
    /// Budgets of single addresses: at most `capacity`.
    budgets: HashMap<(IpAddr, Warning), Budget>,
    /// The shared budgets of addresses that found the table full, one per kind.
    others: HashMap<Warning, Budget>,
    /// No window in the table ends before this, so sweeping earlier would find nothing.
    next_sweep: Instant,
}

impl Table {
    fn new(per_window: u32, capacity: usize, now: Instant) -> Self {
        Self {
            per_window,
            capacity: capacity.max(1),
            budgets: HashMap::new(),
            others: HashMap::new(),
            next_sweep: now + WINDOW,
        }
    }

    /// Whether a warning of `warning` from `address` at `now` may be written; summaries of
    /// windows that ended are pushed to `left_out`.
    fn judge(
        &mut self,
        address: IpAddr,
        warning: Warning,
        now: Instant,
        left_out: &mut Vec<LeftOut>,
    ) -> bool {
        if now >= self.next_sweep {
            self.sweep(now, left_out);
        }
        let per_window = self.per_window;
        let (peer, budget) = self.budget(address, warning, now);
        if budget.ended(now) {
            push_left_out(peer, warning, budget, left_out);
            *budget = Budget::new(now);
        }
        if budget.logged < per_window {
            budget.logged += 1;
            true
        } else {
            budget.left_out += 1;
            false
        }
    }

    /// The budget a warning from `address` draws on: its own, or the shared one when the
    /// table is full.
    fn budget(&mut self, address: IpAddr, warning: Warning, now: Instant) -> (Peer, &mut Budget) {
        let key = (address, warning);
        if self.budgets.contains_key(&key) || self.budgets.len() < self.capacity {
            let budget = self.budgets.entry(key).or_insert_with(|| Budget::new(now));
            (Peer::Address(address), budget)
        } else {
            let budget = self
                .others
                .entry(warning)
                .or_insert_with(|| Budget::new(now));
            (Peer::Others, budget)
        }
    }

    /// Forgets every budget whose window ended, summarising what each left out.
    fn sweep(&mut self, now: Instant, left_out: &mut Vec<LeftOut>) {
        self.budgets.retain(|&(address, warning), budget| {
            let keep = !budget.ended(now);
            if !keep {
                push_left_out(Peer::Address(address), warning, budget, left_out);
            }
            keep
        });
        self.others.retain(|&warning, budget| {
            let keep = !budget.ended(now);
            if !keep {
                push_left_out(Peer::Others, warning, budget, left_out);
            }
            keep
        });
        let oldest = self
            .budgets
            .values()
            .chain(self.others.values())
            .map(|budget| budget.window_start)
            .min();
        self.next_sweep = oldest.unwrap_or(now) + WINDOW;
    }

    /// Summarises and forgets every budget (shutdown).
    fn drain(&mut self, left_out: &mut Vec<LeftOut>) {
        for ((address, warning), budget) in self.budgets.drain() {
            push_left_out(Peer::Address(address), warning, &budget, left_out);
        }
        for (warning, budget) in self.others.drain() {
            push_left_out(Peer::Others, warning, &budget, left_out);
        }
    }
}

fn push_left_out(peer: Peer, warning: Warning, budget: &Budget, left_out: &mut Vec<LeftOut>) {
    if budget.left_out > 0 {
        left_out.push(LeftOut {
            peer,
            warning,
            count: budget.left_out,
        });
    }
}

/// The shared, locked table; one per server.
#[derive(Debug)]
pub struct PeerWarnings {
    table: Mutex<Table>,
}

impl PeerWarnings {
    /// `per_window` lines per address, kind and [`WINDOW`]; at most `capacity` addresses
    /// tracked at once (each kind counts once).
    pub fn new(per_window: u32, capacity: usize) -> Self {
        Self {
            table: Mutex::new(Table::new(per_window, capacity, Instant::now())),
        }
    }

    /// Whether to write a warning of kind `warning` about `address` now. Summaries of ended
    /// windows are logged here, after the lock is released.
    pub fn admit(&self, address: IpAddr, warning: Warning) -> bool {
        let mut left_out = Vec::new();
        let admitted = self
            .lock()
            .judge(address, warning, Instant::now(), &mut left_out);
        log_left_out(&left_out);
        admitted
    }

    /// Logs a summary for every budget that left lines out (at shutdown, so no count is lost).
    pub fn flush(&self) {
        let mut left_out = Vec::new();
        self.lock().drain(&mut left_out);
        log_left_out(&left_out);
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn log_left_out(left_out: &[LeftOut]) {
    for summary in left_out {
        tracing::warn!(
            peer = %summary.peer,
            warning = summary.warning.as_str(),
            left_out = summary.count,
            "repeated warnings were left out of the log"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, last))
    }

    /// Judges `times` warnings at `now`; returns how many were admitted.
    fn admitted(table: &mut Table, address: IpAddr, times: usize, now: Instant) -> usize {
        let mut left_out = Vec::new();
        (0..times)
            .filter(|_| table.judge(address, Warning::ForbiddenOrigin, now, &mut left_out))
            .count()
    }

    #[test]
    fn a_peer_gets_its_budget_per_window_then_nothing() {
        let now = Instant::now();
        let mut table = Table::new(3, 100, now);
        assert_eq!(admitted(&mut table, ip(1), 2_000, now), 3);
        assert_eq!(
            admitted(&mut table, ip(1), 10, now + WINDOW / 2),
            0,
            "the same window"
        );
    }

    #[test]
    fn each_peer_and_each_kind_has_its_own_budget() {
        let now = Instant::now();
        let mut table = Table::new(2, 100, now);
        assert_eq!(admitted(&mut table, ip(1), 5, now), 2);
        assert_eq!(admitted(&mut table, ip(2), 5, now), 2);
        let mut left_out = Vec::new();
        assert!(table.judge(ip(1), Warning::RateLimited, now, &mut left_out));
    }

    #[test]
    fn the_next_window_starts_with_one_summary_of_what_was_left_out() {
        let now = Instant::now();
        let mut table = Table::new(3, 100, now);
        admitted(&mut table, ip(1), 10, now);
        let mut left_out = Vec::new();
        let later = now + WINDOW;
        assert!(table.judge(ip(1), Warning::ForbiddenOrigin, later, &mut left_out));
        assert_eq!(
            left_out,
            [LeftOut {
                peer: Peer::Address(ip(1)),
                warning: Warning::ForbiddenOrigin,
                count: 7
            }]
        );
        left_out.clear();
        assert!(table.judge(ip(1), Warning::ForbiddenOrigin, later, &mut left_out));
        assert!(left_out.is_empty(), "one summary per window: {left_out:?}");
    }

    #[test]
    fn a_full_table_puts_new_addresses_on_one_shared_budget() {
        let now = Instant::now();
        let mut table = Table::new(2, 3, now);
        for last in 1..=3 {
            admitted(&mut table, ip(last), 1, now);
        }
        let newcomers: usize = (10..=200)
            .map(|last| admitted(&mut table, ip(last), 1, now))
            .sum();
        assert_eq!(newcomers, 2, "191 new addresses shared one budget of 2");
        assert_eq!(table.budgets.len(), 3, "the table did not grow");
        assert_eq!(table.others.len(), 1);
        assert_eq!(
            admitted(&mut table, ip(1), 1, now),
            1,
            "known addresses keep theirs"
        );
    }

    #[test]
    fn a_sweep_frees_ended_windows_and_summarises_them() {
        let now = Instant::now();
        let mut table = Table::new(1, 2, now);
        admitted(&mut table, ip(1), 4, now);
        admitted(&mut table, ip(2), 1, now);
        let mut left_out = Vec::new();
        let later = now + WINDOW;
        assert!(table.judge(ip(3), Warning::ForbiddenOrigin, later, &mut left_out));
        assert_eq!(
            left_out,
            [LeftOut {
                peer: Peer::Address(ip(1)),
                warning: Warning::ForbiddenOrigin,
                count: 3
            }]
        );
        assert_eq!(table.budgets.len(), 1, "only the newcomer is left");
    }

    #[test]
    fn the_next_sweep_is_when_the_oldest_remaining_window_ends() {
        let now = Instant::now();
        let mut table = Table::new(1, 10, now);
        admitted(&mut table, ip(1), 1, now);
        let second = now + Duration::from_secs(30);
        admitted(&mut table, ip(2), 1, second);
        let mut left_out = Vec::new();
        table.sweep(now + WINDOW, &mut left_out);
        assert_eq!(
            table.budgets.len(),
            1,
            "the first window ended, the second not"
        );
        assert_eq!(table.next_sweep, second + WINDOW);
    }

    #[test]
    fn draining_summarises_every_budget_that_left_lines_out() {
        let now = Instant::now();
        let mut table = Table::new(2, 10, now);
        admitted(&mut table, ip(1), 2, now);
        admitted(&mut table, ip(2), 5, now);
        let mut left_out = Vec::new();
        table.drain(&mut left_out);
        assert_eq!(
            left_out,
            [LeftOut {
                peer: Peer::Address(ip(2)),
                warning: Warning::ForbiddenOrigin,
                count: 3
            }]
        );
        assert!(table.budgets.is_empty());
    }
}
