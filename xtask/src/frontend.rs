//! `cargo xtask frontend`: the browser client, built into `dist/` and made ready to serve.
//!
//! Three builds of the frontend crate by trunk (the chat, the operators' console, the chat's
//! lazily loaded panels), each then finished ([`crate::finish`]: short names, minified glue
//! and styles, names and integrity from the final bytes) and precompressed
//! ([`crate::precompress`]). `cargo xtask run`, `test` and `cluster` build it the same way.

use crate::{command::run, finish, precompress, tools};
use anyhow::{Context, Result};
use std::{fs, path::Path, process::Command};

/// Installs trunk, wasm-bindgen-cli, wasm-opt and esbuild as needed, then `trunk build
/// --release` of the chat (`index.html` into `dist/`), of the operators' console
/// (`admin.html` into `dist/admin/`) and of the chat's lazily loaded panels (`panels.html`
/// into `dist/panels/`), finishes each, then writes the brotli and gzip copies the server
/// sends to browsers that accept them.
pub fn build_frontend(root: &Path) -> Result<()> {
    let path = tools::ensure_frontend_toolchain(root)?;
    let trunk_build = |args: &[&str]| {
        let mut trunk = Command::new("trunk");
        trunk
            .current_dir(root)
            .env("PATH", &path)
            .arg("build")
            .args(args);
        run(&mut trunk)
    };
    // The chat first: trunk empties its dist (`dist/`, so `dist/admin/` too) before writing.
    trunk_build(&["--release", "--offline"])?;
    // The console, a bundle of its own (feature `console`), which the server sends at /admin.
    // The target first: `--offline` takes an optional value and would swallow it.
    trunk_build(&[
        "admin.html",
        "--release",
        "--offline",
        "--dist",
        "dist/admin",
        "--public-url",
        "/admin/",
    ])?;
    // The chat's panels that a visit may never open, loaded by the chat when one opens. Their
    // names carry no hash: the chat's `boot.js` names them (frontend/src/panels/mod.rs).
    trunk_build(&[
        "panels.html",
        "--release",
        "--offline",
        "--filehash",
        "false",
        "--dist",
        "dist/panels",
        "--public-url",
        "/panels/",
    ])?;
    // Not a page: without it, `/panels/` is not one either.
    let page = root.join("dist/panels/index.html");
    fs::remove_file(&page).with_context(|| format!("removing {}", page.display()))?;
    let dist = root.join("dist");
    let esbuild = tools::esbuild(root);
    for (dir, page) in [("", true), ("admin", true), ("panels", false)] {
        let finished = finish::finish(&dist.join(dir), &esbuild, page)?;
        eprintln!(
            "xtask: finished dist/{dir}: {} names shortened, {} files renamed by their bytes",
            finished.renamed,
            finished.moved.len()
        );
    }
    let summary = precompress::precompress(&dist)?;
    for (file, [plain, gzip, brotli]) in &summary.sizes {
        let name = file.strip_prefix(&dist).unwrap_or(file).display();
        eprintln!("xtask: {name}: {plain} B, gzip {gzip} B, brotli {brotli} B");
    }
    eprintln!(
        "xtask: precompressed dist/: {} copies written, {} up to date",
        summary.written, summary.fresh
    );
    Ok(())
}
