//! `chinwag-bench`: Chinwag's load generator, and the baselines it compares Chinwag with.
//!
//! Thin entry: parse the command line, pin this process to the load CPU(s) before any thread
//! exists (see [`pinning`]), build the tokio runtime and hand over to [`modes::run`].
//! Modules: [`cli`] the flags; [`server`] starts and stops targets (through
//! `chinwag-testkit`'s launcher); [`client`] one connection of any target kind; [`signin`]
//! accounts and sessions made before a run; [`changes`] edits and deletions in a run (issue
//! 15); [`http`] hand-written HTTP/1.1; [`payload`] the
//! timestamped message; [`modes`] broadcast, throughput, idle, storm, smoke and the transport
//! and long-poll labs; [`stats`] percentiles; [`procinfo`] server RSS and CPU over a phase; [`report`] JSON and tables;
//! [`plot`] the SVG chart; [`baselines`] the comparison servers.
//! Exit status: 0 every step passed, 1 a step failed (loss, error), 2 the run could not run.

mod baselines;
mod changes;
mod cli;
mod client;
mod http;
mod modes;
mod payload;
mod pinning;
mod plot;
mod procinfo;
mod progress;
mod report;
mod server;
mod signin;
mod stats;

use clap::Parser;
use cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::ServeBaseline(args) => baselines::serve(args).map(|()| true),
        Command::Plot(args) => plot::run(args).map(|()| true),
        _ => measure(cli),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("chinwag-bench: a step failed (see the report above)");
            ExitCode::from(1)
        }
        Err(err) => {
            eprintln!("chinwag-bench: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Pins, then runs a measuring mode on a runtime whose threads inherit the load CPUs: a
/// current-thread runtime when the load has one CPU (no work-stealing machinery to pay for on
/// every one of ten thousand sockets' wakeups), multi-threaded otherwise.
fn measure(cli: Cli) -> anyhow::Result<bool> {
    let pinning = pinning::apply(cli.pin);
    runtime()?.block_on(modes::run(cli.command, pinning, cli.json))
}

/// A current-thread runtime when this process may use one CPU (pinned there, it is the
/// fastest tokio has: no work stealing), else one worker per CPU.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let one_cpu = std::thread::available_parallelism().is_ok_and(|n| n.get() == 1);
    if one_cpu {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    }
}
