//! Running the tools a task needs, and finding what cargo built.
//!
//! Every task starts other programs (cargo, trunk, npm, redis-server, …) the same way: echoed
//! as a shell line first, so a failing step can be run again by hand, and failing the task
//! unless the program exits 0.

use anyhow::{Context, Result, bail};
use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// Where cargo puts what it builds: `CARGO_TARGET_DIR` when set (relative to the workspace
/// root, as cargo reads it there), else `target/` in the root. Binaries the tasks start
/// (`chinwag`, debug or release) are looked up here, so a shared or private target dir works.
pub fn build_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| root.join("target"), |dir| root.join(dir))
}

/// Runs `command`, echoing it, and fails unless it exits 0.
pub fn run(command: &mut Command) -> Result<()> {
    eprintln!("xtask: $ {}", describe(command));
    let status = command
        .status()
        .with_context(|| format!("cannot start {}", describe(command)))?;
    if !status.success() {
        bail!("{} failed: {status}", describe(command));
    }
    Ok(())
}

pub fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}
