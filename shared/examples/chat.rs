//! A terminal chat client for Chinwag, built on nothing but `chinwag-shared` and a WebSocket.
//!
//! It shows that the wire-protocol crate serves any Rust program, not only our server and the
//! browser client: every frame it sends is a [`ClientMsg`], every frame it reads is decoded as a
//! [`ServerMsg`], and names are checked with the same [`Username`]/[`RoomName`] rules the server
//! applies, so a bad name is refused here with the server's own wording.
//!
//! ```text
//! cargo run -p chinwag-shared --example chat -- [--url ws://127.0.0.1:8080] [--room general] [--after N] NAME
//! ```
//!
//! It joins `--room` (replaying the history after `--after`, by default all of it), then prints
//! chat as `[HH:MM:SS] name: text` (UTC), presence as `* alice, bob are here` / `* bob joined` /
//! `* bob left`, and refusals as `! code: detail`. Each line read from stdin is posted to the
//! current room; `/join ROOM` joins another room (with its history) and makes it current,
//! `/leave ROOM` leaves one, `/quit` or end of input (Ctrl-D) closes the connection and exits 0.
//! A line starting with `//` is sent with one `/` removed. If the server closes the connection,
//! the close code and reason are printed and the exit status is 1. Usage errors exit with 2.
//!
//! To speak as an account, create a personal access token in the browser (account menu →
//! access tokens) and put it in `CHINWAG_TOKEN`: it is sent as `Authorization: Bearer` on the
//! upgrade (an environment variable, not a flag, so it stays out of the process list), and
//! NAME must then be the account's name.
//!
//! Because it reads stdin line by line it also works in pipes:
//! `(echo hello; sleep 1) | cargo run -q -p chinwag-shared --example chat -- alice`.

use chinwag_shared::{
    Change, ChatRecord, ClientMsg, DEFAULT_ROOM, MessageText, RoomName, ServerMsg, Username,
};
use futures_util::{SinkExt, StreamExt};
use std::{error::Error, io::Write, process::ExitCode, time::Duration};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::{
    connect_async,
    tungstenite::{
        self, Message,
        client::IntoClientRequest,
        http::{HeaderValue, header::AUTHORIZATION},
        protocol::{CloseFrame, frame::coding::CloseCode},
    },
};

const USAGE: &str = "\
usage: chat [--url URL] [--room ROOM] [--after N] NAME

  --url URL    server to connect to (default ws://127.0.0.1:8080; http://HOST:PORT works too)
  --room ROOM  room to join first and post to (default general)
  --after N    replay stored messages with id > N (default 0: the whole history)

Each line you type is posted. Commands: /join ROOM, /leave ROOM, /quit.
End of input (Ctrl-D) closes the connection.

Set CHINWAG_TOKEN to a personal access token to speak as your account (NAME is then its name).
";

const DEFAULT_URL: &str = "ws://127.0.0.1:8080";

/// How long to wait for the server to answer our close frame before leaving anyway.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// The parsed command line.
struct Args {
    url: String,
    room: RoomName,
    after: u64,
    name: Username,
}

enum Parsed {
    Run(Args),
    Help,
}

fn parse_args(mut raw: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut url = DEFAULT_URL.to_owned();
    let mut room = DEFAULT_ROOM.to_owned();
    let mut after = 0;
    let mut name = None;
    let mut options_done = false;
    while let Some(arg) = raw.next() {
        if options_done || !arg.starts_with('-') || arg == "-" {
            if name.replace(arg).is_some() {
                return Err("give exactly one NAME (quote a name with spaces)".to_owned());
            }
            continue;
        }
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| raw.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--" => options_done = true,
            "-h" | "--help" => return Ok(Parsed::Help),
            "--url" => url = value()?,
            "--room" => room = value()?,
            "--after" => {
                let raw_after = value()?;
                after = raw_after.parse().map_err(|_| {
                    format!("--after wants a message id (0 or more), not {raw_after:?}")
                })?;
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    let name = name.ok_or("NAME is missing")?;
    Ok(Parsed::Run(Args {
        url: websocket_base(&url)?,
        room: RoomName::parse(&room).map_err(|err| format!("bad --room {room:?}: {err}"))?,
        after,
        name: Username::parse(&name).map_err(|err| format!("bad NAME {name:?}: {err}"))?,
    }))
}

/// The server prints `http://ADDR` when it starts; let that be pasted as is.
fn websocket_base(url: &str) -> Result<String, String> {
    let url = url.trim_end_matches('/');
    let Some((scheme, rest)) = url.split_once("://") else {
        return Ok(format!("ws://{url}"));
    };
    let scheme = match scheme {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        other => return Err(format!("--url: unsupported scheme {other:?}; use ws://")),
    };
    Ok(format!("{scheme}://{rest}"))
}

/// Usernames may hold spaces and any letter, so they must be escaped inside a query string.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("chat: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("chat: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(args)).unwrap_or_else(|err| {
        eprintln!("chat: {err}");
        ExitCode::FAILURE
    });
    // Tokio reads stdin with a blocking read on another thread that nothing can cancel; a
    // normal runtime drop would wait for it, i.e. hang until the user pressed Enter after the
    // server had already gone.
    runtime.shutdown_background();
    code
}

/// How the connection is ending, once it is.
#[derive(Clone, Copy)]
enum Closing {
    /// We sent a close frame (end of input or `/quit`); exit with this code.
    ByUs(u8),
    /// The server closed first; that is a failure for a chat client.
    ByServer,
}

async fn run(args: Args) -> Result<ExitCode, Box<dyn Error>> {
    let url = format!(
        "{}/socket?room={}&username={}&after={}",
        args.url,
        args.room,
        percent_encode(args.name.as_str()),
        args.after
    );
    let mut request = url.as_str().into_client_request()?;
    if let Ok(token) = std::env::var("CHINWAG_TOKEN") {
        let bearer = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .map_err(|_| "CHINWAG_TOKEN holds characters a header cannot")?;
        request.headers_mut().insert(AUTHORIZATION, bearer);
    }
    let (socket, _response) = match connect_async(request).await {
        Ok(connected) => connected,
        Err(tungstenite::Error::Http(response)) => {
            // The server validates the query before upgrading and explains a refusal in the body.
            let body = response.body().as_deref().unwrap_or_default();
            eprintln!(
                "chat: {url} refused the connection: {} {}",
                response.status(),
                String::from_utf8_lossy(body)
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(err) => return Err(format!("cannot connect to {url}: {err}").into()),
    };
    let (mut sink, mut frames) = socket.split();
    let mut input = BufReader::new(tokio::io::stdin()).lines();
    let mut chat = Chat::new(args.name, args.room)?;
    let mut closing: Option<Closing> = None;
    let mut deadline = tokio::time::Instant::now();

    loop {
        tokio::select! {
            frame = frames.next() => match frame {
                Some(Ok(Message::Text(text))) => chat.show(text.as_str())?,
                Some(Ok(Message::Binary(bytes))) => {
                    eprintln!("? ignored a {}-byte binary frame", bytes.len());
                }
                Some(Ok(Message::Close(frame))) => {
                    if closing.is_none() {
                        eprintln!("connection closed by the server: {}", describe_close(frame.as_ref()));
                        closing = Some(Closing::ByServer);
                        deadline = tokio::time::Instant::now() + CLOSE_GRACE;
                    }
                    // Keep reading: tungstenite sends its reply to the server's close on the
                    // next poll, and the stream ends once the handshake is complete.
                }
                // Pings are answered by tungstenite itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Err(err)) => {
                    return Ok(match closing {
                        Some(Closing::ByUs(code)) => ExitCode::from(code),
                        Some(Closing::ByServer) => ExitCode::FAILURE,
                        None => {
                            eprintln!("connection lost: {err}");
                            ExitCode::FAILURE
                        }
                    });
                }
                None => {
                    return Ok(match closing {
                        Some(Closing::ByUs(code)) => ExitCode::from(code),
                        Some(Closing::ByServer) => ExitCode::FAILURE,
                        None => {
                            eprintln!("connection lost without a close frame");
                            ExitCode::FAILURE
                        }
                    });
                }
            },
            line = input.next_line(), if closing.is_none() => {
                let action = match line {
                    Ok(Some(line)) => chat.command(&line)?,
                    Ok(None) => Action::Quit(0),
                    Err(err) => {
                        eprintln!("chat: cannot read stdin: {err}");
                        Action::Quit(1)
                    }
                };
                match action {
                    Action::Nothing => {}
                    Action::Send(msg) => {
                        sink.send(Message::text(serde_json::to_string(&msg)?)).await?;
                    }
                    Action::Quit(code) => {
                        let bye = CloseFrame { code: CloseCode::Normal, reason: "bye".into() };
                        if let Err(err) = sink.send(Message::Close(Some(bye))).await {
                            eprintln!("chat: could not send the close frame: {err}");
                            return Ok(ExitCode::FAILURE);
                        }
                        closing = Some(Closing::ByUs(code));
                        deadline = tokio::time::Instant::now() + CLOSE_GRACE;
                    }
                }
            },
            () = tokio::time::sleep_until(deadline), if closing.is_some() => {
                return Ok(match closing {
                    Some(Closing::ByUs(code)) => {
                        eprintln!("chat: no close reply from the server within {CLOSE_GRACE:?}; leaving");
                        ExitCode::from(code)
                    }
                    _ => ExitCode::FAILURE,
                });
            }
        }
    }
}

fn describe_close(frame: Option<&CloseFrame>) -> String {
    match frame {
        Some(frame) if frame.reason.is_empty() => format!("code {}", frame.code),
        Some(frame) => format!("code {} ({})", frame.code, frame.reason),
        None => "no close code".to_owned(),
    }
}

/// What a line of input asks for.
enum Action {
    Nothing,
    Send(ClientMsg),
    Quit(u8),
}

/// The client's state: who we are, which rooms we asked to be in, and the next `client_id`.
struct Chat {
    name: Username,
    /// The room given on the command line; sends go here once every `/join`ed room is left.
    home: RoomName,
    /// Rooms in the order they were joined; the last is where lines are posted.
    rooms: Vec<RoomName>,
    /// 64 random bits per run, then a counter. The server deduplicates per room and author
    /// (here: our name), so the ids only need to differ from our own earlier runs'; but they
    /// are shown to nobody else, and no one should be able to guess them either: ids made
    /// from the pid and start time were, and let someone post first under our next one.
    id_prefix: String,
    sent: u64,
}

impl Chat {
    fn new(name: Username, home: RoomName) -> Result<Self, getrandom::Error> {
        Ok(Self {
            name,
            rooms: vec![home.clone()],
            home,
            id_prefix: format!("cli-{:016x}", getrandom::u64()?),
            sent: 0,
        })
    }

    fn current_room(&self) -> &RoomName {
        self.rooms.last().unwrap_or(&self.home)
    }

    /// Turns one line of input into what to send, printing any local complaint.
    fn command(&mut self, line: &str) -> Result<Action, std::io::Error> {
        if line.trim().is_empty() {
            return Ok(Action::Nothing);
        }
        let text = match line.strip_prefix('/') {
            Some(escaped) if escaped.starts_with('/') => escaped,
            Some(command) => return self.slash_command(command),
            None => line,
        };
        // Checking locally with the server's own rule saves a round trip and says why at once.
        if let Err(err) = MessageText::parse(text) {
            say(&format!("! {}: {err}", err.code()))?;
            return Ok(Action::Nothing);
        }
        self.sent += 1;
        Ok(Action::Send(ClientMsg::Send {
            room: Some(self.current_room().to_string()),
            username: Some(self.name.to_string()),
            message: text.to_owned(),
            client_id: Some(format!("{}-{}", self.id_prefix, self.sent)),
        }))
    }

    fn slash_command(&mut self, command: &str) -> Result<Action, std::io::Error> {
        let words: Vec<&str> = command.split_whitespace().collect();
        let room =
            |word: &str| RoomName::parse(word).map_err(|err| format!("! invalid_room: {err}"));
        let action = match words.as_slice() {
            ["quit"] => Ok(Action::Quit(0)),
            ["join", name] => room(name).map(|room| {
                self.rooms.retain(|joined| *joined != room);
                self.rooms.push(room.clone());
                Action::Send(ClientMsg::Join {
                    room: room.to_string(),
                    // From 0 so that a room we switch to arrives with its history.
                    after: Some(0),
                    username: Some(self.name.to_string()),
                    token: None,
                    epoch: None,
                })
            }),
            ["leave", name] => room(name).map(|room| {
                self.rooms.retain(|joined| *joined != room);
                Action::Send(ClientMsg::Leave {
                    room: room.to_string(),
                })
            }),
            _ => Err("? commands: /join ROOM, /leave ROOM, /quit (start a message with // to send a leading /)".to_owned()),
        };
        match action {
            Ok(action) => Ok(action),
            Err(complaint) => {
                say(&complaint)?;
                Ok(Action::Nothing)
            }
        }
    }

    /// Prints one incoming text frame; anything unexpected is reported and skipped.
    fn show(&self, text: &str) -> Result<(), std::io::Error> {
        match serde_json::from_str::<ServerMsg>(text) {
            Ok(msg) => match self.render(&msg) {
                Some(line) => say(&line),
                None => Ok(()),
            },
            Err(err) => {
                let preview: String = text.chars().take(200).collect();
                eprintln!("? unrecognised frame ({err}): {}", printable(&preview));
                Ok(())
            }
        }
    }

    /// A room label, only once more than one room's messages can be interleaved.
    fn tag(&self, room: &RoomName) -> String {
        if self.rooms.len() > 1 {
            format!("#{room} ")
        } else {
            String::new()
        }
    }

    fn render(&self, msg: &ServerMsg) -> Option<String> {
        Some(match msg {
            // A terminal cannot rewrite a line already printed, so a change is a line of its
            // own that says which message it changes.
            ServerMsg::Chat(ChatRecord {
                change: Some(change),
                room,
                username,
                message,
                ..
            }) => match change {
                Change::Edit { target } => format!(
                    "* {}{} edited message {target}: {}",
                    self.tag(room),
                    printable(username.as_str()),
                    printable(message).replace('\n', "\n           ")
                ),
                Change::Delete {
                    target,
                    moderator: true,
                } => format!(
                    "* {}message {target} was deleted by {}",
                    self.tag(room),
                    printable(username.as_str())
                ),
                Change::Delete { target, .. } => {
                    format!("* {}message {target} was deleted", self.tag(room))
                }
            },
            ServerMsg::Chat(record) if record.deleted.is_some() => format!(
                "[{}] {}{}: (message deleted)",
                clock(record.ts),
                self.tag(&record.room),
                printable(record.username.as_str()),
            ),
            ServerMsg::Chat(record) => format!(
                "[{}] {}{}: {}",
                clock(record.ts),
                self.tag(&record.room),
                printable(record.username.as_str()),
                // Line up continuation lines of multi-line messages under the text.
                printable(&record.message).replace('\n', "\n           ")
            ),
            ServerMsg::Joined { room, last_id, .. } => {
                format!("* joined #{room} (last id {last_id})")
            }
            ServerMsg::HistoryReset { room, .. } => {
                format!("* #{room}'s history was replaced on the server; it starts again")
            }
            ServerMsg::Left { room } => format!("* left #{room}"),
            ServerMsg::Presence {
                room,
                users,
                count: Some(count),
                ..
            } => {
                let names: Vec<String> = users.iter().map(|u| printable(u.as_str())).collect();
                format!(
                    "* {}{count} are here, among them {}",
                    self.tag(room),
                    names.join(", ")
                )
            }
            ServerMsg::Presence { room, users, .. } => {
                let names: Vec<String> = users.iter().map(|u| printable(u.as_str())).collect();
                let verb = if names.len() == 1 { "is" } else { "are" };
                if names.is_empty() {
                    format!("* {}nobody is here", self.tag(room))
                } else {
                    format!("* {}{} {verb} here", self.tag(room), names.join(", "))
                }
            }
            // The server announces our own arrival to the room too; we already know.
            ServerMsg::UserJoined { username, .. } | ServerMsg::UserLeft { username, .. }
                if *username == self.name =>
            {
                return None;
            }
            ServerMsg::UserJoined { room, username, .. } => {
                format!(
                    "* {}{} joined",
                    self.tag(room),
                    printable(username.as_str())
                )
            }
            ServerMsg::UserLeft { room, username } => {
                format!("* {}{} left", self.tag(room), printable(username.as_str()))
            }
            ServerMsg::PresenceDiff {
                room,
                arrived,
                departed,
                count,
                ..
            } => format!(
                "* {}{} came, {} left; {count} here",
                self.tag(room),
                arrived.len(),
                departed.len()
            ),
            ServerMsg::ReadMarker { .. } | ServerMsg::RoomSettingsChanged { .. } => return None,
            // Browsers send a notice per burst of keystrokes; a line-based terminal cannot erase
            // a line again, so printing them would bury the conversation.
            ServerMsg::Typing { .. } => return None,
            ServerMsg::RoomsChanged => "* your private rooms or direct messages changed".to_owned(),
            ServerMsg::Error(frame) => format!("! {}: {}", frame.code, printable(&frame.detail)),
        })
    }
}

/// Writes a line to stdout, reporting a closed pipe as an error instead of panicking.
fn say(line: &str) -> Result<(), std::io::Error> {
    writeln!(std::io::stdout().lock(), "{line}")
}

/// `HH:MM:SS` in UTC of a Unix-milliseconds timestamp.
fn clock(ts_ms: u64) -> String {
    let secs = ts_ms / 1000 % 86_400;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The server refuses control characters, but a terminal obeys escape sequences, so nothing
/// from the network reaches it unchecked.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}
