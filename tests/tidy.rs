//! The architecture's invariants (ARCHITECTURE.md), checked by reading the source tree as text:
//!
//! - no SQL outside `crates/papi-store` (and `migrations/`): no `sqlx` in the code or the
//!   dependencies of any other crate, and no SQL statement (`SELECT … FROM`, `INSERT INTO`,
//!   `UPDATE … SET`, `DELETE FROM`, `CREATE`/`ALTER`/`DROP TABLE`) in a string literal;
//! - no HTTP below `papi-server`: no `axum`, `http::`, `hyper`, `tower` (nor an HTTP client) in the
//!   code or the dependencies of any crate but `papi-server` and the `papi` binary;
//! - crate dependencies point one way, as the code map draws them: each crate's `papi-*`
//!   dependencies are among those [`ALLOWED_DEPENDENCIES`] lists for it;
//! - no product source file over [`MAX_LINES`] lines.
//!
//! "Product source" is every `.rs` file under `crates/*/src/` and `src/`. Test code is exempt: the
//! integration tests (`tests/`, `crates/*/tests/`, which may read a database directly to tamper with
//! it) and the test modules kept in their own files under a `tests/` folder of a crate's `src/`.
//! A unit test module inside a product file is part of that file, and counted with it.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// The longest a product source file may be: past it, a file holds more than one concern.
const MAX_LINES: usize = 800;

/// Product files known to be over [`MAX_LINES`], each being split by concern. Remove a file from this
/// list when it is split: the test fails while a file here is no longer over the limit.
const TOO_LONG_BEING_SPLIT: &[&str] = &[];

/// Which `papi-*` crates each crate may depend on (`[dependencies]`), as ARCHITECTURE.md draws them.
/// The `papi` binary is thin glue over all of them and depends on whatever it needs; nothing depends
/// on it or on `papi-server`.
const ALLOWED_DEPENDENCIES: &[(&str, &[&str])] = &[
    ("papi-survey", &[]),
    ("papi-sample", &[]),
    ("papi-auth", &[]),
    ("papi-chart", &[]),
    ("papi-xlsform", &["papi-survey"]),
    ("papi-store", &["papi-survey"]),
    ("papi-table", &["papi-survey"]),
    (
        "papi-simulate",
        &["papi-survey", "papi-sample", "papi-table"],
    ),
    ("papi-score", &["papi-survey", "papi-table"]),
    ("papi-export", &["papi-survey", "papi-store", "papi-table"]),
    (
        "papi-recompute",
        &[
            "papi-survey",
            "papi-store",
            "papi-table",
            "papi-score",
            "papi-sample",
        ],
    ),
    (
        "papi-server",
        &[
            "papi-survey",
            "papi-store",
            "papi-auth",
            "papi-xlsform",
            "papi-export",
            "papi-recompute",
            "papi-sample",
            "papi-chart",
            "papi-score",
        ],
    ),
];

/// The one crate that writes SQL.
const SQL_CRATE: &str = "papi-store";

/// The crates that may know HTTP: the service, and the `papi` binary that starts it.
const HTTP_CRATES: &[&str] = &["papi-server", "papi"];

/// Paths in code that mean HTTP, and dependencies that bring it.
const HTTP_PATHS: &[&str] = &[
    "axum",
    "http",
    "http_body",
    "http_body_util",
    "hyper",
    "hyper_util",
    "tower",
    "tower_http",
    "reqwest",
    "ureq",
];

#[test]
fn no_sql_outside_the_store() {
    let mut problems = String::new();
    for krate in crates() {
        if krate.name == SQL_CRATE {
            continue;
        }
        for dep in dependencies(&krate.manifest) {
            if dep == "sqlx" {
                let _ = writeln!(problems, "{}: depends on sqlx", krate.manifest_path);
            }
        }
        for file in &krate.sources {
            let lexed = lex(&file.text);
            for (line, word) in words(&lexed.code) {
                if word == "sqlx" {
                    let _ = writeln!(problems, "{}:{line}: uses sqlx", file.path);
                }
            }
            for (line, literal) in &lexed.strings {
                if let Some(statement) = sql_statement(literal) {
                    let _ = writeln!(
                        problems,
                        "{}:{line}: SQL in a string ({statement})",
                        file.path
                    );
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "SQL belongs in crates/papi-store (ARCHITECTURE.md):\n{problems}"
    );
}

#[test]
fn no_http_below_the_server() {
    let mut problems = String::new();
    for krate in crates() {
        if HTTP_CRATES.contains(&krate.name.as_str()) {
            continue;
        }
        for dep in dependencies(&krate.manifest) {
            if HTTP_PATHS.contains(&dep.replace('-', "_").as_str()) {
                let _ = writeln!(problems, "{}: depends on {dep}", krate.manifest_path);
            }
        }
        for file in &krate.sources {
            for (line, path) in http_paths(&lex(&file.text).code) {
                let _ = writeln!(problems, "{}:{line}: uses {path}", file.path);
            }
        }
    }
    assert!(
        problems.is_empty(),
        "HTTP belongs in crates/papi-server (ARCHITECTURE.md):\n{problems}"
    );
}

#[test]
fn crate_dependencies_point_one_way() {
    let mut problems = String::new();
    let known: Vec<&str> = ALLOWED_DEPENDENCIES.iter().map(|(name, _)| *name).collect();
    for krate in crates() {
        let deps: Vec<String> = dependencies(&krate.manifest)
            .into_iter()
            .filter(|d| d == "papi" || d.starts_with("papi-"))
            .collect();
        if krate.name == "papi" {
            if deps.iter().any(|d| d == "papi") {
                let _ = writeln!(problems, "{}: depends on itself", krate.manifest_path);
            }
            continue;
        }
        let Some((_, allowed)) = ALLOWED_DEPENDENCIES
            .iter()
            .find(|(name, _)| *name == krate.name)
        else {
            let _ = writeln!(
                problems,
                "{}: crate {} is not in the code map (ARCHITECTURE.md and ALLOWED_DEPENDENCIES)",
                krate.manifest_path, krate.name
            );
            continue;
        };
        for dep in deps {
            if !allowed.contains(&dep.as_str()) {
                let _ = writeln!(
                    problems,
                    "{}: {} may not depend on {dep} (it may depend on {})",
                    krate.manifest_path,
                    krate.name,
                    if allowed.is_empty() {
                        "no papi crate".to_owned()
                    } else {
                        allowed.join(", ")
                    }
                );
            }
        }
    }
    // The table itself is one-way: every crate's allowed dependencies come before it in the table,
    // so there can be no cycle, and nothing may depend on the service.
    for (i, (name, allowed)) in ALLOWED_DEPENDENCIES.iter().enumerate() {
        for dep in *allowed {
            if !known[..i].contains(dep) {
                let _ = writeln!(
                    problems,
                    "ALLOWED_DEPENDENCIES: {name} → {dep} does not point down the table"
                );
            }
        }
    }
    assert!(
        problems.is_empty(),
        "crate dependencies break the code map (ARCHITECTURE.md):\n{problems}"
    );
}

#[test]
fn no_product_file_is_too_long() {
    let mut problems = String::new();
    let mut listed_and_over = Vec::new();
    for krate in crates() {
        for file in &krate.sources {
            let lines = file.text.lines().count();
            let listed = TOO_LONG_BEING_SPLIT.contains(&file.path.as_str());
            if lines > MAX_LINES {
                if listed {
                    listed_and_over.push(file.path.as_str().to_owned());
                } else {
                    let _ = writeln!(
                        problems,
                        "{}: {lines} lines; split it by concern (at most {MAX_LINES})",
                        file.path
                    );
                }
            }
        }
    }
    for listed in TOO_LONG_BEING_SPLIT {
        if !listed_and_over.iter().any(|p| p == listed) {
            let _ = writeln!(
                problems,
                "{listed}: no longer over {MAX_LINES} lines (or gone); remove it from TOO_LONG_BEING_SPLIT"
            );
        }
    }
    assert!(
        problems.is_empty(),
        "one concern per file (ARCHITECTURE.md):\n{problems}"
    );
}

/// The checks above catch what they are meant to, and no more.
#[test]
fn the_checks_see_code_and_strings_apart() {
    let src = r##"
// SELECT id FROM interviews: a comment is not a statement.
/* INSERT INTO /* nested */ still a comment */
let a = "SELECT id, answers FROM interviews WHERE id = $1";
let b = r#"INSERT INTO users (id) VALUES ($1)"#;
let c = "select the village from the list";
let d = '"'; let e: &'static str = "UPDATE users SET role = $1";
let f = "http://localhost:8080"; use axum::Router; let g = tower_http::trace::TraceLayer::new_for_http();
let h = my_http::Thing; let sqlx_free = 1;
"##;
    let lexed = lex(src);
    let statements: Vec<(usize, String)> = lexed
        .strings
        .iter()
        .filter_map(|(line, s)| sql_statement(s).map(|st| (*line, st)))
        .collect();
    assert_eq!(
        statements,
        vec![
            (4, "SELECT … FROM".to_owned()),
            (5, "INSERT INTO".to_owned()),
            (7, "UPDATE … SET".to_owned()),
        ]
    );
    let paths: Vec<(usize, String)> = http_paths(&lexed.code);
    assert_eq!(
        paths,
        vec![(8, "axum::".to_owned()), (8, "tower_http::".to_owned())]
    );
    assert!(!words(&lexed.code).iter().any(|(_, w)| w == "sqlx"));
    assert_eq!(
        dependencies(
            "[package]\nname = \"x\"\n\n[dependencies]\nsqlx.workspace = true\naxum = { version = \"0.8\" }\n\
             \n[dev-dependencies]\ntower = \"0.5\"\n\n[dependencies.hyper]\nversion = \"1\"\n"
        ),
        vec!["sqlx", "axum", "hyper"]
    );
}

/// A crate of the workspace (or the `papi` binary at its root) and its product source files.
struct Crate {
    name: String,
    manifest_path: String,
    manifest: String,
    sources: Vec<SourceFile>,
}

struct SourceFile {
    /// Relative to the workspace root, with `/`.
    path: String,
    text: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every crate: the `papi` binary (`src/`) and each of `crates/*`.
fn crates() -> Vec<Crate> {
    let root = root();
    let mut dirs: Vec<PathBuf> = fs::read_dir(root.join("crates"))
        .expect("crates/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs.insert(0, root.clone());
    dirs.into_iter()
        .map(|dir| {
            let manifest_path = relative(&dir.join("Cargo.toml"));
            let manifest = fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
            let name =
                package_name(&manifest).unwrap_or_else(|| panic!("{manifest_path}: no name"));
            let mut sources = Vec::new();
            collect_sources(&dir.join("src"), &mut sources);
            sources.sort_by(|a, b| a.path.cmp(&b.path));
            Crate {
                name,
                manifest_path,
                manifest,
                sources,
            }
        })
        .collect()
}

/// The `.rs` files under `dir`, leaving out test modules kept in a `tests/` folder.
fn collect_sources(dir: &Path, out: &mut Vec<SourceFile>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "tests") {
                collect_sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path).expect("a source file is UTF-8");
            out.push(SourceFile {
                path: relative(&path),
                text,
            });
        }
    }
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .expect("inside the workspace")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some((key, value)) = line.split_once('=') {
                if key.trim() == "name" {
                    return Some(value.trim().trim_matches('"').to_owned());
                }
            }
        }
    }
    None
}

/// The names of a manifest's normal and build dependencies (not its dev-dependencies: tests may use
/// what the product may not), in order.
fn dependencies(manifest: &str) -> Vec<String> {
    let mut deps = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_end_matches(']').trim();
            let table = header.rsplit_once('.').map_or(header, |(_, t)| t);
            let is_deps = |t: &str| t == "dependencies" || t == "build-dependencies";
            in_deps = is_deps(header) || (header.starts_with("target.") && is_deps(table));
            // `[dependencies.name]`: a dependency as a table of its own.
            for prefix in ["dependencies.", "build-dependencies."] {
                if let Some(name) = header.strip_prefix(prefix) {
                    deps.push(name.trim_matches('"').to_owned());
                    in_deps = false;
                }
            }
            continue;
        }
        if in_deps {
            if let Some((key, _)) = line.split_once('=') {
                let name = key.trim().split('.').next().unwrap_or("").trim_matches('"');
                if !name.is_empty() {
                    deps.push(name.to_owned());
                }
            }
        }
    }
    deps
}

/// A source file split into its code (comments and literals blanked, lines kept) and the text of
/// its string literals (each with the line it starts on).
struct Lexed {
    code: String,
    strings: Vec<(usize, String)>,
}

/// Splits Rust source into code and string literals: line and nested block comments, strings with
/// escapes, raw strings (`r#"…"#`), byte strings, and character literals told from lifetimes.
fn lex(src: &str) -> Lexed {
    let chars: Vec<char> = src.chars().collect();
    let mut code = String::with_capacity(src.len());
    let mut strings = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Blanks a stretch of source in `code`, keeping its newlines so that lines still count.
    let blank = |code: &mut String, line: &mut usize, text: &[char]| {
        for &c in text {
            if c == '\n' {
                *line += 1;
                code.push('\n');
            } else {
                code.push(' ');
            }
        }
    };
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let after_ident = i > 0 && ident(chars[i - 1]);
        if c == '/' && next == Some('/') {
            let end = chars[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(chars.len(), |p| i + p);
            blank(&mut code, &mut line, &chars[i..end]);
            i = end;
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            let mut j = i;
            while j < chars.len() {
                if chars[j] == '/' && chars.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if chars[j] == '*' && chars.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut code, &mut line, &chars[i..j.min(chars.len())]);
            i = j;
        } else if !after_ident && (c == 'r' || (c == 'b' && next == Some('r'))) && {
            let start = if c == 'b' { i + 2 } else { i + 1 };
            let hashes = chars[start..].iter().take_while(|&&c| c == '#').count();
            chars.get(start + hashes) == Some(&'"')
        } {
            let start = if c == 'b' { i + 2 } else { i + 1 };
            let hashes = chars[start..].iter().take_while(|&&c| c == '#').count();
            let open = start + hashes + 1;
            let mut j = open;
            while j < chars.len()
                && !(chars[j] == '"'
                    && chars[j + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&c| c == '#')
                        .count()
                        == hashes)
            {
                j += 1;
            }
            strings.push((line, chars[open..j.min(chars.len())].iter().collect()));
            let end = (j + 1 + hashes).min(chars.len());
            blank(&mut code, &mut line, &chars[i..end]);
            i = end;
        } else if c == '"' || (c == 'b' && next == Some('"') && !after_ident) {
            let open = if c == 'b' { i + 2 } else { i + 1 };
            let mut j = open;
            let mut text = String::new();
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' && j + 1 < chars.len() {
                    // An escaped newline joins the lines, as Rust does; any other escape is kept
                    // as a space (it is never part of a SQL keyword).
                    text.push(' ');
                    j += 2;
                } else {
                    text.push(chars[j]);
                    j += 1;
                }
            }
            strings.push((line, text));
            let end = (j + 1).min(chars.len());
            blank(&mut code, &mut line, &chars[i..end]);
            i = end;
        } else if c == '\'' {
            // A character literal ('a', '\n', '"'), or a lifetime ('a, 'static) left as code.
            let end = if next == Some('\\') {
                chars[i + 2..]
                    .iter()
                    .position(|&c| c == '\'')
                    .map(|p| i + 2 + p + 1)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match end {
                Some(end) => {
                    blank(&mut code, &mut line, &chars[i..end]);
                    i = end;
                }
                None => {
                    code.push(c);
                    i += 1;
                }
            }
        } else {
            if c == '\n' {
                line += 1;
            }
            code.push(c);
            i += 1;
        }
    }
    Lexed { code, strings }
}

/// The identifiers of code, each with its line.
fn words(code: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        for word in line.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if !word.is_empty() {
                out.push((n + 1, word.to_owned()));
            }
        }
    }
    out
}

/// Paths into HTTP crates in code (`axum::`, `http::`…), each with its line; `my_http::` is not one.
fn http_paths(code: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        for (at, _) in line.match_indices("::") {
            let before = &line[..at];
            let start = before
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(0, |p| p + 1);
            let name = &before[start..];
            if HTTP_PATHS.contains(&name) {
                out.push((n + 1, format!("{name}::")));
            }
        }
    }
    out
}

/// The kind of SQL statement a string literal holds, if any: upper-case keywords in the order SQL
/// puts them (prose says "select … from" in lower case).
fn sql_statement(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let at = |i: usize| words.get(i).copied().unwrap_or("");
    for (i, w) in words.iter().enumerate() {
        let found = match *w {
            "SELECT" if words[i + 1..].contains(&"FROM") => Some("SELECT … FROM"),
            "INSERT" if at(i + 1) == "INTO" => Some("INSERT INTO"),
            "DELETE" if at(i + 1) == "FROM" => Some("DELETE FROM"),
            "UPDATE" if at(i + 2) == "SET" => Some("UPDATE … SET"),
            "CREATE" | "ALTER" | "DROP"
                if matches!(at(i + 1), "TABLE" | "INDEX" | "TRIGGER" | "VIEW") =>
            {
                Some("a schema change")
            }
            _ => None,
        };
        if let Some(found) = found {
            return Some(found.to_owned());
        }
    }
    None
}
