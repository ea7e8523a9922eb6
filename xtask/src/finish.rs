//! Finishing the built client: after trunk, each bundle's files made smaller, and named and
//! signed by the bytes that ship.
//!
//! Three steps, each for a cost trunk leaves in the files a first visit downloads:
//!
//! 1. **Short names between the wasm and its glue.** wasm-bindgen names every function the
//!    wasm imports from its JavaScript glue, and each closure shim it exports, with a 16-digit
//!    hash (`__wbg_addEventListener_90e553fdce254421`). Both files carry every such name, and
//!    hex digits barely compress. [`shorten_names`] renames them `_a`, `_b`, … in the wasm's
//!    import and export sections and the same way in the glue; names without a hash
//!    (`memory`, `__wbindgen_malloc`, the panels' `mount`) stay, since other code uses them.
//! 2. **Minified glue and styles**, by esbuild (installed by `tools.rs` like wasm-opt).
//!    trunk's own `--minify` fails on the glue's `export default` and leaves it as it was.
//! 3. **Names and integrity from the final bytes.** trunk hashes a file's name and computes
//!    its `integrity` before wasm-opt and before these steps, so both are recomputed here:
//!    a hashed name is replaced by one from SHA-256 of what it now holds (the glue and its
//!    wasm share one, of both), and every `integrity="sha384-…"` in the page is that of the
//!    file it names. A file cached as immutable under its name therefore always has the
//!    bytes that name was made from, whatever tool changed them.
//!
//! The panels' bundle (`--filehash false`, no page) takes the first two steps only: its
//! `boot.js` names its files, which the server sends `no-cache`.

use anyhow::{Context, Result, bail};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use sha2::{Digest, Sha256, Sha384};
use std::{
    collections::{HashMap, HashSet},
    fs,
    path::{Path, PathBuf},
    process::Command,
};
use wasm_encoder::{
    ExportKind, ExportSection, ImportSection, RawSection,
    reencode::{Reencode, RoundtripReencoder},
};
use wasmparser::{Parser, Payload};

/// What a bundle's finishing did, for the build's log.
#[derive(Debug)]
pub struct Finished {
    /// Names shortened between the wasm and its glue.
    pub renamed: usize,
    /// The page's files under their new names, `(old, new)`; empty for the panels.
    pub moved: Vec<(String, String)>,
}

/// Finishes the bundle in `dir`: its one `*_bg.wasm`, the glue beside it, its stylesheets,
/// and `index.html` if `page` (then the hashed names and integrity too).
pub fn finish(dir: &Path, esbuild: &Path, page: bool) -> Result<Finished> {
    let wasm_path = the_wasm(dir)?;
    let stem = file_name(&wasm_path)
        .strip_suffix("_bg.wasm")
        .context("a wasm's name ends in _bg.wasm")?
        .to_owned();
    let glue_path = dir.join(format!("{stem}.js"));
    let wasm = fs::read(&wasm_path).with_context(|| format!("reading {}", wasm_path.display()))?;
    let glue = fs::read_to_string(&glue_path)
        .with_context(|| format!("reading {}", glue_path.display()))?;

    let (wasm, names) = shorten_names(&wasm)?;
    let glue = rename_identifiers(&glue, &names)?;
    fs::write(&wasm_path, &wasm)?;
    fs::write(&glue_path, glue)?;
    minify(esbuild, &glue_path)?;
    let styles = files_ending(dir, ".css")?;
    for style in &styles {
        minify(esbuild, style)?;
    }
    let mut finished = Finished {
        renamed: names.len(),
        moved: Vec::new(),
    };
    if !page {
        return Ok(finished);
    }

    // The glue and its wasm are one release: one name for both, from both.
    let pair = content_hash(&[&fs::read(&glue_path)?, &wasm]);
    if let Some(old_hash) = trunk_hash(&stem) {
        let new_stem = stem.replacen(old_hash, &pair, 1);
        finished
            .moved
            .push(move_file(&glue_path, &format!("{new_stem}.js"))?);
        finished
            .moved
            .push(move_file(&wasm_path, &format!("{new_stem}_bg.wasm"))?);
    }
    for style in &styles {
        let name = file_name(style);
        let Some(old_hash) = trunk_hash(name.trim_end_matches(".css")) else {
            continue;
        };
        let hash = content_hash(&[&fs::read(style)?]);
        finished
            .moved
            .push(move_file(style, &name.replacen(old_hash, &hash, 1))?);
    }

    let page_path = dir.join("index.html");
    let mut html = fs::read_to_string(&page_path)?;
    for (old, new) in &finished.moved {
        html = html.replace(old.as_str(), new);
    }
    let html = with_integrity(&html, dir)?;
    fs::write(&page_path, html)?;
    Ok(finished)
}

/// Renames every import and export whose name ends in wasm-bindgen's 16 hex digits to a
/// short one; returns the new module and the renaming, old name to new.
pub fn shorten_names(wasm: &[u8]) -> Result<(Vec<u8>, HashMap<String, String>)> {
    let mut names = HashMap::new();
    let mut short = |name: &str| -> String {
        if !ends_in_hash(name) {
            return name.to_owned();
        }
        let next = short_name(names.len());
        names.entry(name.to_owned()).or_insert(next).clone()
    };
    let mut module = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.context("reading the wasm")?;
        match payload {
            Payload::Version { .. } | Payload::End(_) => {}
            Payload::ImportSection(reader) => {
                let mut section = ImportSection::new();
                for import in reader.into_imports() {
                    let import = import?;
                    let ty = RoundtripReencoder.entity_type(import.ty)?;
                    section.import(import.module, &short(import.name), ty);
                }
                module.section(&section);
            }
            Payload::ExportSection(reader) => {
                let mut section = ExportSection::new();
                for export in reader {
                    let export = export?;
                    let kind = ExportKind::from(export.kind);
                    section.export(&short(export.name), kind, export.index);
                }
                module.section(&section);
            }
            other => {
                // Every other section as it was, byte for byte; the code section arrives
                // whole here and its function bodies are skipped.
                if let Some((id, range)) = other.as_section() {
                    let range = usize::try_from(range.start)?..usize::try_from(range.end)?;
                    module.section(&RawSection {
                        id,
                        data: &wasm[range],
                    });
                }
            }
        }
    }
    Ok((module.finish(), names))
}

/// `glue` with each identifier that `names` renames replaced by its new name. The names it
/// holds end in 16 hex digits, so no other identifier, string or comment matches one whole.
/// Refuses a glue that already uses one of the new names, which would then mean two things.
pub fn rename_identifiers(glue: &str, names: &HashMap<String, String>) -> Result<String> {
    let new_names: HashSet<&str> = names.values().map(String::as_str).collect();
    let is_part = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(glue.len());
    let mut rest = glue;
    while let Some(start) = rest.find(is_part) {
        out.push_str(&rest[..start]);
        let word_and_after = &rest[start..];
        let end = word_and_after
            .find(|c| !is_part(c))
            .unwrap_or(word_and_after.len());
        let word = &word_and_after[..end];
        if new_names.contains(word) {
            bail!("the glue already has an identifier `{word}`, a name meant for the wasm's");
        }
        out.push_str(names.get(word).map_or(word, String::as_str));
        rest = &word_and_after[end..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `_a` … `_z`, `_ba` …: short, and never a name wasm-bindgen gives (they start `__` or
/// with a letter).
fn short_name(mut n: usize) -> String {
    const LETTERS: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";
    let mut name = Vec::new();
    loop {
        name.push(char::from(LETTERS[n % 26]));
        n /= 26;
        if n == 0 {
            break;
        }
    }
    name.push('_');
    name.iter().rev().collect()
}

/// Whether `name` ends in `_` and 16 hex digits, optionally `h` before them and `_N` after
/// (a second shim of one closure type): the names wasm-bindgen makes unique with a hash.
fn ends_in_hash(name: &str) -> bool {
    let name = match name.rsplit_once('_') {
        Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => name,
    };
    let Some((_, hash)) = name.rsplit_once('_') else {
        return false;
    };
    let hash = hash.strip_prefix('h').unwrap_or(hash);
    hash.len() == 16
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// trunk's hash in a file stem (`style-e1a969dd60dedeb6`, `chinwag-frontend-f253294dbf2b16`):
/// the part after the last `-`, 12 to 16 hex digits.
fn trunk_hash(stem: &str) -> Option<&str> {
    let (_, hash) = stem.rsplit_once('-')?;
    let hex = (12..=16).contains(&hash.len())
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    hex.then_some(hash)
}

/// The first 16 hex digits of SHA-256 over `parts`, one after the other.
fn content_hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `html` with each `integrity="sha384-…"` set to the hash of the file its tag names (by
/// `href` or `src`, looked up by its last path segment in `dir`).
fn with_integrity(html: &str, dir: &Path) -> Result<String> {
    const MARK: &str = "integrity=\"";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(MARK) {
        let tag_start = rest[..at].rfind('<').context("integrity outside a tag")?;
        let tag_end = at + rest[at..].find('>').context("an unclosed tag")?;
        let tag = &rest[tag_start..tag_end];
        let url = attribute(tag, "href")
            .or_else(|| attribute(tag, "src"))
            .with_context(|| format!("no href or src in {tag}"))?;
        let file = dir.join(url.rsplit('/').next().unwrap_or(url));
        let bytes = fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        let value_start = at + MARK.len();
        let value_end = value_start + rest[value_start..].find('"').context("unclosed value")?;
        out.push_str(&rest[..value_start]);
        out.push_str("sha384-");
        out.push_str(&BASE64.encode(Sha384::digest(&bytes)));
        rest = &rest[value_end..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The value of `name="…"` in `tag`.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

fn minify(esbuild: &Path, file: &Path) -> Result<()> {
    let mut command = Command::new(esbuild);
    command
        .arg(file)
        .args(["--minify", "--log-level=warning", "--allow-overwrite"])
        .arg(format!("--outfile={}", file.display()));
    if file.extension().is_some_and(|e| e == "js") {
        // The glue is an ES module the page imports; keep it one.
        command.arg("--format=esm");
    }
    crate::command::run(&mut command)
}

fn move_file(from: &Path, to_name: &str) -> Result<(String, String)> {
    let old = file_name(from).to_owned();
    let to = from.with_file_name(to_name);
    fs::rename(from, &to).with_context(|| format!("renaming {}", from.display()))?;
    Ok((old, to_name.to_owned()))
}

fn the_wasm(dir: &Path) -> Result<PathBuf> {
    match files_ending(dir, "_bg.wasm")?.as_slice() {
        [one] => Ok(one.clone()),
        other => bail!(
            "{}: expected one *_bg.wasm, found {}",
            dir.display(),
            other.len()
        ),
    }
}

fn files_ending(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.is_file() && file_name(&path).ends_with(suffix) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        CodeSection, EntityType, Function, FunctionSection, Instruction, TypeSection,
    };
    use wasmparser::{ExternalKind, TypeRef};

    const IMPORT: &str = "__wbg_addEventListener_90e553fdce254421";
    const SHIM: &str = "wasm_bindgen__convert__closures_____invoke__h716f60a7fdd8ecae";
    const SECOND_SHIM: &str = "wasm_bindgen__convert__closures_____invoke__h716f60a7fdd8ecae_3";

    /// A module importing `IMPORT` and `__wbindgen_init_externref_table`-like plain names,
    /// and exporting two shims, `memory`-like plain names and a function calling the import.
    fn module() -> Vec<u8> {
        let mut module = wasm_encoder::Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        module.section(&types);
        let mut imports = ImportSection::new();
        imports.import("./app_bg.js", IMPORT, EntityType::Function(0));
        imports.import("./app_bg.js", "__wbindgen_init", EntityType::Function(0));
        module.section(&imports);
        let mut functions = FunctionSection::new();
        functions.function(0);
        module.section(&functions);
        let mut exports = ExportSection::new();
        exports.export(SHIM, ExportKind::Func, 2);
        exports.export(SECOND_SHIM, ExportKind::Func, 2);
        exports.export("mount", ExportKind::Func, 2);
        module.section(&exports);
        let mut code = CodeSection::new();
        let mut body = Function::new([]);
        body.instruction(&Instruction::Call(0));
        body.instruction(&Instruction::End);
        code.function(&body);
        module.section(&code);
        module.finish()
    }

    fn names_in(wasm: &[u8]) -> (Vec<(String, String)>, Vec<String>) {
        let mut imports = Vec::new();
        let mut exports = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.expect("a valid module") {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import.unwrap();
                        assert!(matches!(import.ty, TypeRef::Func(0)));
                        imports.push((import.module.to_owned(), import.name.to_owned()));
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        let export = export.unwrap();
                        assert_eq!((export.kind, export.index), (ExternalKind::Func, 2));
                        exports.push(export.name.to_owned());
                    }
                }
                _ => {}
            }
        }
        (imports, exports)
    }

    #[test]
    fn hashed_names_become_short_and_the_rest_stay() {
        let (wasm, names) = shorten_names(&module()).unwrap();
        wasmparser::validate(&wasm).expect("still a valid module");
        let (imports, exports) = names_in(&wasm);
        assert_eq!(
            imports,
            [
                ("./app_bg.js".to_owned(), "_a".to_owned()),
                ("./app_bg.js".to_owned(), "__wbindgen_init".to_owned())
            ]
        );
        assert_eq!(exports, ["_b", "_c", "mount"]);
        assert_eq!(names.len(), 3);
        assert_eq!(names[SECOND_SHIM], "_c");
    }

    #[test]
    fn the_glue_is_renamed_the_same_way_and_only_whole_names() {
        let (_, names) = shorten_names(&module()).unwrap();
        let glue = format!(
            "const i = {{ {IMPORT}: function(a) {{ a.x(); }}, __wbindgen_init() {{}} }};\n\
             function {SHIM}(a) {{ wasm.{SHIM}(a); }}\n\
             wasm.{SECOND_SHIM}(1); wasm.{SHIM}_9x(2); // {IMPORT}x\n\
             export function mount(e) {{ return wasm.mount(e); }}"
        );
        assert_eq!(
            rename_identifiers(&glue, &names).unwrap(),
            format!(
                "const i = {{ _a: function(a) {{ a.x(); }}, __wbindgen_init() {{}} }};\n\
                 function _b(a) {{ wasm._b(a); }}\n\
                 wasm._c(1); wasm.{SHIM}_9x(2); // {IMPORT}x\n\
                 export function mount(e) {{ return wasm.mount(e); }}"
            )
        );
    }

    #[test]
    fn a_glue_that_already_uses_a_short_name_is_refused() {
        let (_, names) = shorten_names(&module()).unwrap();
        let glue = format!("const _b = 1; wasm.{SHIM}(_b);");
        let error = rename_identifiers(&glue, &names).unwrap_err();
        assert!(error.to_string().contains("`_b`"), "{error}");
    }

    #[test]
    fn only_wasm_bindgens_hashes_count_as_hashed() {
        for name in [IMPORT, SHIM, SECOND_SHIM, "__wbg_new_3e95cd7386bb9a6c"] {
            assert!(ends_in_hash(name), "{name}");
        }
        for name in [
            "memory",
            "__wbindgen_malloc",
            "mount",
            "__wbg_new_3e95cd7386bb9a6",
            "__wbg_new_3E95CD7386BB9A6C",
            "__wbg_new_3e95cd7386bb9a6g",
            "3e95cd7386bb9a6c",
        ] {
            assert!(!ends_in_hash(name), "{name}");
        }
    }

    #[test]
    fn short_names_count_in_letters() {
        let first: Vec<_> = [0, 1, 25, 26, 27, 26 * 26].map(short_name).into();
        assert_eq!(first, ["_a", "_b", "_z", "_ba", "_bb", "_baa"]);
    }

    #[test]
    fn trunks_hash_is_found_in_a_stem() {
        assert_eq!(
            trunk_hash("style-e1a969dd60dedeb6"),
            Some("e1a969dd60dedeb6")
        );
        assert_eq!(
            trunk_hash("chinwag-frontend-f253294dbf2b16"),
            Some("f253294dbf2b16")
        );
        assert_eq!(trunk_hash("chinwag-frontend"), None);
        assert_eq!(trunk_hash("boot"), None);
    }

    #[test]
    fn integrity_is_that_of_the_file_each_tag_names() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("app-0123456789abcdef.js"), b"glue").unwrap();
        fs::write(dir.path().join("style-0123456789abcdef.css"), b"css").unwrap();
        let html = "<link rel=\"modulepreload\" href=\"/app-0123456789abcdef.js\" \
                    integrity=\"sha384-old\">\n<link rel=\"stylesheet\" \
                    href=\"/admin/style-0123456789abcdef.css\" integrity=\"sha384-x\"/>";
        let out = with_integrity(html, dir.path()).unwrap();
        let glue = BASE64.encode(Sha384::digest(b"glue"));
        let css = BASE64.encode(Sha384::digest(b"css"));
        assert_eq!(
            out,
            format!(
                "<link rel=\"modulepreload\" href=\"/app-0123456789abcdef.js\" \
                 integrity=\"sha384-{glue}\">\n<link rel=\"stylesheet\" \
                 href=\"/admin/style-0123456789abcdef.css\" integrity=\"sha384-{css}\"/>"
            )
        );
        let missing = "<script src=\"/gone.js\" integrity=\"sha384-x\"></script>";
        assert!(with_integrity(missing, dir.path()).is_err());
    }
}
