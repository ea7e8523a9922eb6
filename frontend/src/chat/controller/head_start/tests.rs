//! The head start against every order its answers can take: a simulated server keeps a
//! room's log, answers the early page, the socket's join and its live frames, and the
//! requests the head start makes; the client runs the real [`HeadStart`] and the real
//! reducer. Whatever the order, the room must end showing the server's records once each,
//! in order, without a gap, from at least the newest page's worth up to the newest.

use super::*;
use crate::chat::state::ChatState;
use chinwag_shared::{ChatRecord, ServerMsg, Username};
use std::collections::VecDeque;
use wasm_bindgen_test::wasm_bindgen_test;

const ROOM: &str = "pageload";

fn room() -> RoomName {
    RoomName::parse(ROOM).unwrap()
}

/// The server's side of one room.
struct Server {
    epoch: Epoch,
    log: Vec<ChatRecord>,
    /// Whether the client's socket has joined (live records then go to it).
    joined: bool,
    /// Frames sent to the socket, not yet delivered.
    socket: VecDeque<ServerMsg>,
}

impl Server {
    fn new(epoch: &str, messages: u64) -> Self {
        let mut server = Self {
            epoch: Epoch::from(epoch),
            log: Vec::new(),
            joined: false,
            socket: VecDeque::new(),
        };
        server.post(messages);
        server
    }

    fn post(&mut self, count: u64) {
        for _ in 0..count {
            let id = self.log.len() as u64 + 1;
            let record = ChatRecord {
                id,
                room: room(),
                username: Username::parse("writer").unwrap(),
                message: format!("{} message {id}", self.epoch.as_str()),
                ts: 1_700_000_000_000,
                guest: true,
                bot: false,
                client_id: None,
                change: None,
                deleted: None,
                edited: None,
            };
            self.log.push(record.clone());
            if self.joined {
                self.socket.push_back(ServerMsg::Chat(record));
            }
        }
    }

    /// The room's history replaced by a new one of `messages` records.
    fn reset(&mut self, epoch: &str, messages: u64) {
        self.epoch = Epoch::from(epoch);
        self.log.clear();
        self.post(messages);
    }

    fn page(&self, records: Vec<ChatRecord>) -> HistoryPage {
        HistoryPage {
            records,
            epoch: Some(self.epoch.clone()),
        }
    }

    fn newest(&self) -> HistoryPage {
        let from = self.log.len().saturating_sub(HISTORY_PAGE);
        self.page(self.log[from..].to_vec())
    }

    fn before(&self, before: u64) -> HistoryPage {
        let below: Vec<_> = self.log.iter().filter(|r| r.id < before).cloned().collect();
        let from = below.len().saturating_sub(HISTORY_PAGE);
        self.page(below[from..].to_vec())
    }

    fn after(&self, after: u64) -> HistoryPage {
        self.page(
            self.log
                .iter()
                .filter(|r| r.id > after)
                .take(500)
                .cloned()
                .collect(),
        )
    }

    fn join(&mut self) {
        self.joined = true;
        self.socket.push_back(ServerMsg::Joined {
            room: room(),
            last_id: self.log.len() as u64,
            epoch: Some(self.epoch.clone()),
        });
    }
}

/// The client: the reducer, the head start, and answers to its requests not yet delivered.
struct Client {
    state: ChatState,
    head_start: HeadStart,
    /// The early page, once the server has read it.
    early: Option<HistoryPage>,
    /// Answers to the history requests the client made, in order.
    http: VecDeque<HistoryPage>,
    /// How many history requests the client made (the early page not counted).
    requests: usize,
}

impl Client {
    fn new() -> Self {
        Self {
            state: ChatState::new(
                Username::parse("reader").unwrap(),
                vec![room()],
                Some(room()),
            ),
            head_start: HeadStart::Waiting {
                room: room(),
                joined: None,
            },
            early: None,
            http: VecDeque::new(),
            requests: 0,
        }
    }

    fn show(&mut self, page: HistoryPage) {
        self.state.apply(ChatAction::HistoryLoaded {
            room: room(),
            records: page.records,
            page_size: HISTORY_PAGE,
            epoch: page.epoch,
        });
    }

    /// What the controller's `take_step` does; requests are answered by `server` now and
    /// delivered later ([`Event::Http`]), as over the network.
    fn take_step(&mut self, server: &Server, step: Step, page: Option<HistoryPage>) {
        match step {
            Step::Nothing => {}
            Step::Show(fill) => {
                self.show(page.unwrap());
                if let Some(fill) = fill {
                    self.fill(server, fill);
                }
            }
            Step::Fill(fill) => self.fill(server, fill),
            Step::LoadBefore(before) => {
                self.requests += 1;
                self.http.push_back(server.before(before));
            }
        }
    }

    /// The controller's `fill_gap`: pages after `after` until the join's newest.
    fn fill(&mut self, server: &Server, fill: Fill) {
        let mut after = fill.after;
        for _ in 0..FILL_REQUESTS {
            self.requests += 1;
            let page = server.after(after);
            let newest = page.records.last().map(|r| r.id);
            self.http.push_back(page);
            match newest {
                Some(newest) if newest < fill.joined.last_id => after = newest,
                _ => return,
            }
        }
        panic!("the fill did not reach the join");
    }

    fn deliver_page(&mut self, server: &Server) {
        let page = self.early.take().expect("the server read the page first");
        let point = PagePoint {
            newest: page.records.last().map(|r| r.id),
            epoch: page.epoch.clone(),
        };
        if let Some((_, step)) = self.head_start.page_arrived(Some(point)) {
            self.take_step(server, step, Some(page));
        }
    }

    /// Every frame the socket has received, in order; a `joined` as `on_message` takes it.
    fn deliver_socket(&mut self, server: &mut Server) {
        while let Some(msg) = server.socket.pop_front() {
            if let ServerMsg::Joined {
                room,
                last_id,
                epoch,
                ..
            } = &msg
            {
                let joined = Joined {
                    last_id: *last_id,
                    epoch: epoch.clone(),
                };
                match self.head_start.joined(room, joined) {
                    Some(step) => self.take_step(server, step, None),
                    None => {
                        let loaded = self.state.rooms.get(room).is_some_and(|view| {
                            view.loaded && !view.join_resets(*last_id, epoch.as_ref())
                        });
                        if !loaded {
                            self.requests += 1;
                            self.http.push_back(server.before(last_id + 1));
                        }
                    }
                }
            }
            self.state.apply(ChatAction::Server { msg, now: 0.0 });
        }
    }

    fn deliver_http(&mut self) {
        while let Some(page) = self.http.pop_front() {
            self.show(page);
        }
    }
}

/// One thing happening, in the order a scenario lists them.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// Someone posts this many messages.
    Post(u64),
    /// The server reads the early page (its answer is then on its way).
    ReadPage,
    /// The server handles the socket's join.
    Join,
    /// The early page's answer reaches the client.
    Page,
    /// The socket's frames so far reach the client.
    Socket,
    /// The answers to the client's other requests reach it.
    Http,
    /// The room's history is replaced (a new epoch, with this many messages).
    Reset(u64),
}

/// Runs `events` on a room of 120 messages, then delivers whatever is left; the room must
/// show the server's log as it is. Returns the client's request count beyond the early page.
fn run(events: &[Event]) -> usize {
    let mut server = Server::new("first", 120);
    let mut client = Client::new();
    for event in events {
        match *event {
            Event::Post(count) => server.post(count),
            Event::ReadPage => client.early = Some(server.newest()),
            Event::Join => server.join(),
            Event::Page => client.deliver_page(&server),
            Event::Socket => client.deliver_socket(&mut server),
            Event::Http => client.deliver_http(),
            Event::Reset(count) => server.reset("second", count),
        }
    }
    client.deliver_socket(&mut server);
    client.deliver_http();
    assert_eq!(
        client.head_start,
        HeadStart::Idle,
        "{events:?}: left unsettled"
    );
    let view = client.state.rooms.get(&room()).unwrap();
    let shown: Vec<(u64, &str)> = view
        .messages
        .values()
        .map(|r| (r.id, r.message.as_str()))
        .collect();
    let newest = server.log.len();
    let first = shown.first().map_or(1, |(id, _)| *id) as usize;
    assert!(
        newest < HISTORY_PAGE || first + HISTORY_PAGE <= newest + 1,
        "{events:?}: fewer than a page shown (from {first} of {newest})"
    );
    let expected: Vec<(u64, &str)> = server.log[first.saturating_sub(1)..]
        .iter()
        .map(|r| (r.id, r.message.as_str()))
        .collect();
    assert_eq!(
        shown, expected,
        "{events:?}: not the server's records, once each, in order"
    );
    client.requests
}

use Event::*;

#[wasm_bindgen_test(unsupported = test)]
fn a_quiet_room_shows_the_early_page_whichever_answer_comes_first() {
    // The page before the join, and the join before the page: no request beyond the page.
    assert_eq!(run(&[ReadPage, Join, Page, Socket, Post(2), Socket]), 0);
    assert_eq!(run(&[ReadPage, Join, Socket, Page, Post(2), Socket]), 0);
    assert_eq!(run(&[Join, ReadPage, Socket, Post(1), Socket, Page]), 0);
}

#[wasm_bindgen_test(unsupported = test)]
fn records_sent_between_the_page_and_the_join_are_filled_in_either_order() {
    for between in [1, 3, 49, 50, 51, 80, 499, 500, 501, 1_200] {
        // The page shown first, then the join (and live records after it).
        run(&[ReadPage, Post(between), Join, Post(2), Page, Socket, Http]);
        run(&[
            ReadPage,
            Post(between),
            Join,
            Post(2),
            Page,
            Socket,
            Post(3),
            Socket,
            Http,
        ]);
        // The join and live records first, the page after them.
        run(&[ReadPage, Post(between), Join, Post(2), Socket, Page, Http]);
        run(&[
            ReadPage,
            Post(between),
            Join,
            Socket,
            Post(4),
            Socket,
            Page,
            Post(1),
            Http,
        ]);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_page_read_after_the_join_overlaps_the_live_records_once() {
    for after in [1, 7, 60] {
        // The page holds records the socket also delivers live: each is shown once.
        assert_eq!(run(&[Join, Post(after), ReadPage, Socket, Page]), 0);
        assert_eq!(run(&[Join, Post(after), ReadPage, Page, Socket]), 0);
        run(&[Join, Post(after), ReadPage, Page, Post(2), Socket, Http]);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_history_replaced_between_the_page_and_the_join_shows_only_the_new_one() {
    for fresh in [0, 5, 70] {
        run(&[ReadPage, Reset(fresh), Join, Page, Socket, Http]);
        run(&[ReadPage, Reset(fresh), Join, Socket, Page, Http]);
        run(&[ReadPage, Reset(fresh), Join, Post(2), Socket, Http, Page]);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_failed_early_page_loads_the_room_as_without_one() {
    for join_first in [false, true] {
        let mut server = Server::new("first", 120);
        let mut client = Client::new();
        server.join();
        if join_first {
            client.deliver_socket(&mut server);
        }
        let next = client.head_start.page_arrived(None);
        if let Some((_, step)) = next {
            client.take_step(&server, step, None);
        }
        client.deliver_socket(&mut server);
        client.deliver_http();
        let view = client.state.rooms.get(&room()).unwrap();
        assert_eq!(
            view.messages.keys().copied().collect::<Vec<_>>(),
            (71..=120).collect::<Vec<_>>(),
            "join first: {join_first}"
        );
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn only_the_head_start_room_s_first_join_is_settled_by_it() {
    let other = RoomName::parse("general").unwrap();
    let joined = || Joined {
        last_id: 3,
        epoch: None,
    };
    let mut head_start = HeadStart::Waiting {
        room: room(),
        joined: None,
    };
    assert_eq!(head_start.joined(&other, joined()), None);
    assert_eq!(head_start.joined(&room(), joined()), Some(Step::Nothing));
    let page = PagePoint {
        newest: Some(3),
        epoch: None,
    };
    assert_eq!(
        head_start.page_arrived(Some(page)),
        Some((room(), Step::Show(None)))
    );
    assert_eq!(head_start, HeadStart::Idle);
    assert_eq!(head_start.joined(&room(), joined()), None, "settled once");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_room_taken_away_before_its_join_is_no_longer_settled_by_the_head_start() {
    let joined = Joined {
        last_id: 9,
        epoch: None,
    };
    let page = PagePoint {
        newest: Some(4),
        epoch: None,
    };
    let mut head_start = HeadStart::Shown {
        room: room(),
        page: page.clone(),
    };
    head_start.room_removed(&RoomName::parse("general").unwrap());
    assert_ne!(head_start, HeadStart::Idle, "another room leaves it be");
    head_start.room_removed(&room());
    assert_eq!(head_start, HeadStart::Idle);
    // A rejoin loads its own page, not the records after the old early page.
    assert_eq!(head_start.joined(&room(), joined), None);
    let mut waiting = HeadStart::Waiting {
        room: room(),
        joined: None,
    };
    waiting.room_removed(&room());
    assert_eq!(
        waiting.page_arrived(Some(page)),
        None,
        "a late page is not shown"
    );
}
