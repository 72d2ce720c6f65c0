//! The dependency rule, checked on the source (docs/architecture.md "The dependency rule"):
//! `config/` is plain data that imports only itself and leaf modules (which import nothing
//! of the crate), and only the process layer reaches the server module.

use std::path::{Path, PathBuf};

/// Modules `config/` may use besides itself: vocabularies that import nothing of the crate.
const CONFIG_MAY_USE: &[&str] = &["crate::config", "crate::address"];

/// The only files that may name the server module: the process (`moat serve`: signals, the
/// file watch) and the admin listener (`POST /reload`).
const SERVER_USERS: &[&str] = &[
    "src/daemon/mod.rs",
    "src/daemon/watch.rs",
    "src/admin/mod.rs",
];

/// The path searched for, spelt so that this file does not match itself.
const SERVER: &str = concat!("crate::", "inbound::server");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file, without comments and without its unit tests (tests may reach
/// anything to set up what they test).
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    if path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with("tests.rs"))
        || path
            .strip_prefix(root())
            .unwrap_or(path)
            .components()
            .any(|c| c.as_os_str() == "tests")
    {
        return Vec::new();
    }
    let text = std::fs::read_to_string(path).expect("readable source");
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

/// Every `crate::…` path a file's code names, with its line.
fn crate_paths(path: &Path) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in code_lines(path) {
        let mut rest = line.as_str();
        while let Some(i) = rest.find("crate::") {
            let tail = &rest[i..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            found.push((n, tail[..end].to_string()));
            rest = &tail[end..];
        }
    }
    found
}

fn relative(path: &Path) -> String {
    let shown = path.strip_prefix(root()).unwrap_or(path);
    shown.to_string_lossy().replace('\\', "/")
}

#[test]
fn config_is_a_leaf_of_plain_data() {
    let mut files = Vec::new();
    rust_files(&root().join("src/config"), &mut files);
    assert!(files.len() > 10, "found the config sources");
    let mut wrong = Vec::new();
    for file in &files {
        for (line, path) in crate_paths(file) {
            if !CONFIG_MAY_USE.iter().any(|ok| path.starts_with(ok)) {
                wrong.push(format!("{}:{line}: {path}", relative(file)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "config/ reaches up:\n{}",
        wrong.join("\n")
    );
    // What config may use must itself be a leaf.
    for leaf in &CONFIG_MAY_USE[1..] {
        let file = module_file(leaf);
        let uses = crate_paths(&file);
        assert!(
            uses.is_empty(),
            "{} is not a leaf: {uses:?}",
            relative(&file)
        );
    }
}

#[test]
fn only_the_process_layer_names_the_server() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut users: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).expect("readable source");
            text.contains(SERVER)
        })
        .map(|f| relative(f))
        .collect();
    users.sort();
    let mut expected: Vec<String> = SERVER_USERS.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(users, expected, "files naming {SERVER}");
}

// The folder layout (docs/architecture.md "Where things are"): folders are the architecture.

/// The file of a module named by its path (`crate::a::b`): `src/a/b.rs` or `src/a/b/mod.rs`.
fn module_file(module: &str) -> PathBuf {
    let rel = module.trim_start_matches("crate::").replace("::", "/");
    let flat = root().join(format!("src/{rel}.rs"));
    if flat.exists() {
        flat
    } else {
        root().join(format!("src/{rel}/mod.rs"))
    }
}

/// The only files at the top of `src/`: the two crate roots and two leaves that no layer owns
/// (the fuzz target bodies and the HTTP head parser of the admin and scan-API listeners).
const TOP_FILES: &[&str] = &["fuzzing.rs", "http_head.rs", "lib.rs", "main.rs"];

#[test]
fn the_top_of_src_is_folders() {
    let mut flat: Vec<String> = std::fs::read_dir(root().join("src"))
        .expect("src")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .filter(|n| !TOP_FILES.contains(&n.as_str()))
        .collect();
    flat.sort();
    assert!(
        flat.is_empty(),
        "flat files at the top of src/ (give each a folder): {flat:?}"
    );
}

#[test]
fn modules_are_where_the_compiler_looks_and_tests_in_one_place() {
    let attribute = concat!("#[", "path");
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim_start().starts_with(attribute) {
                wrong.push(format!("{}:{}: {}", relative(file), i + 1, line.trim()));
            }
            if line.trim() != "#[cfg(test)]" {
                continue;
            }
            // the item the attribute applies to, past further attributes
            let item = lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.starts_with("#["))
                .unwrap_or("");
            let is_mod = item.starts_with("mod ") || item.starts_with("pub(crate) mod ");
            if is_mod && !item.ends_with("mod tests;") {
                wrong.push(format!("{}:{}: {item}", relative(file), i + 2));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "a path attribute, or unit tests not in `#[cfg(test)] mod tests;` (<module>/tests.rs):\n{}",
        wrong.join("\n")
    );
}
