//! Precompressing the built client: a brotli (`.br`) and a gzip (`.gz`) copy beside each
//! compressible file of `dist/`, for the server to send by the browser's `Accept-Encoding`.
//!
//! Compressing once here, at the highest levels (brotli 11 with a 16 MiB window, gzip 9),
//! costs about ten seconds per build (brotli 11 runs at ~120 KB/s) and nothing per request; compressing per request would cost
//! CPU on every visit, at levels fast enough to do so, which compress worse. A copy is kept
//! only when it is smaller than the file, and skipped when it is already newer than the file,
//! so a second run over an unchanged `dist/` writes nothing.

use anyhow::{Context, Result};
use flate2::{Compression, write::GzEncoder};
use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    time::SystemTime,
};

/// The file types worth compressing; the server looks for copies of the same set. Images and
/// fonts are compressed already.
const COMPRESSIBLE: [&str; 6] = ["wasm", "js", "css", "html", "svg", "json"];

/// Brotli's best quality and its largest standard window (2^24 bytes): the whole wasm fits.
const BROTLI_QUALITY: i32 = 11;
const BROTLI_WINDOW_BITS: i32 = 24;

/// What a run wrote, for the build's log line.
#[derive(Debug, Default)]
pub struct Summary {
    /// Copies written in this run.
    pub written: usize,
    /// Copies already up to date.
    pub fresh: usize,
    /// Each compressible file with its sizes in bytes: plain, gzip, brotli (0 when no copy).
    pub sizes: Vec<(PathBuf, [u64; 3])>,
}

/// Writes the missing or stale `.br`/`.gz` copies of every compressible file under `dist`.
pub fn precompress(dist: &Path) -> Result<Summary> {
    let mut summary = Summary::default();
    for file in compressible_files(dist)? {
        let modified = fs::metadata(&file)?.modified()?;
        let mut original = None;
        for coding in [Coding::Brotli, Coding::Gzip] {
            let copy = coding.copy_of(&file);
            if is_newer(&copy, modified) {
                summary.fresh += 1;
                continue;
            }
            let bytes = match &original {
                Some(bytes) => bytes,
                None => original.insert(
                    fs::read(&file).with_context(|| format!("reading {}", file.display()))?,
                ),
            };
            let compressed = coding.compress(bytes)?;
            if compressed.len() < bytes.len() {
                fs::write(&copy, compressed)
                    .with_context(|| format!("writing {}", copy.display()))?;
                summary.written += 1;
            } else if copy.exists() {
                // A stale copy of a file that no longer compresses would be served instead.
                fs::remove_file(&copy)?;
            }
        }
        let size = |path: &Path| fs::metadata(path).map_or(0, |metadata| metadata.len());
        let sizes = [
            size(&file),
            size(&Coding::Gzip.copy_of(&file)),
            size(&Coding::Brotli.copy_of(&file)),
        ];
        summary.sizes.push((file, sizes));
    }
    summary.sizes.sort();
    Ok(summary)
}

/// A content coding the server can send.
#[derive(Debug, Clone, Copy)]
pub enum Coding {
    Brotli,
    Gzip,
}

impl Coding {
    /// Where the copy of `file` in this coding lives: `app.wasm` → `app.wasm.br`.
    pub fn copy_of(self, file: &Path) -> PathBuf {
        let mut name = file.as_os_str().to_owned();
        name.push(match self {
            Coding::Brotli => ".br",
            Coding::Gzip => ".gz",
        });
        PathBuf::from(name)
    }

    /// `bytes` compressed at this coding's highest level.
    pub fn compress(self, bytes: &[u8]) -> Result<Vec<u8>> {
        match self {
            Coding::Brotli => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: BROTLI_QUALITY,
                    lgwin: BROTLI_WINDOW_BITS,
                    size_hint: bytes.len(),
                    ..Default::default()
                };
                let mut compressed = Vec::new();
                brotli::BrotliCompress(&mut &bytes[..], &mut compressed, &params)
                    .context("brotli")?;
                Ok(compressed)
            }
            Coding::Gzip => {
                let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
                encoder.write_all(bytes)?;
                Ok(encoder.finish()?)
            }
        }
    }
}

/// Every compressible file below `dir`, in every subdirectory.
fn compressible_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .and_then(|extension| extension.to_str())
                .is_some_and(|extension| COMPRESSIBLE.contains(&extension))
            {
                found.push(path);
            }
        }
    }
    Ok(found)
}

/// Whether `copy` exists and was written after the file was last changed.
fn is_newer(copy: &Path, than: SystemTime) -> bool {
    fs::metadata(copy)
        .and_then(|metadata| metadata.modified())
        .is_ok_and(|written| written >= than)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn copies_decompress_to_the_file_and_a_second_run_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("app-0123456789abcdef_bg.wasm");
        let text = "(module (func $chat (export \"chat\")))\n".repeat(200);
        fs::write(&wasm, &text).unwrap();
        fs::create_dir(dir.path().join("admin")).unwrap();
        fs::write(dir.path().join("admin/index.html"), "<p>tiny</p>").unwrap();
        fs::write(dir.path().join("logo.png"), text.as_bytes()).unwrap();

        let first = precompress(dir.path()).unwrap();
        assert_eq!((first.written, first.fresh), (2, 0), "{first:?}");

        let mut from_brotli = String::new();
        brotli::Decompressor::new(&fs::read(Coding::Brotli.copy_of(&wasm)).unwrap()[..], 4096)
            .read_to_string(&mut from_brotli)
            .unwrap();
        assert_eq!(from_brotli, text);
        let mut from_gzip = String::new();
        flate2::read::GzDecoder::new(&fs::read(Coding::Gzip.copy_of(&wasm)).unwrap()[..])
            .read_to_string(&mut from_gzip)
            .unwrap();
        assert_eq!(from_gzip, text);
        // Eleven bytes do not get smaller, and a png is not looked at.
        assert!(
            !Coding::Brotli
                .copy_of(&dir.path().join("admin/index.html"))
                .exists()
        );
        assert!(!Coding::Gzip.copy_of(&dir.path().join("logo.png")).exists());

        let second = precompress(dir.path()).unwrap();
        assert_eq!(second.written, 0, "{second:?}");
        assert_eq!(second.fresh, 2, "{second:?}");
    }
}
