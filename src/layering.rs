//! The dependency rule, checked on the source (docs/architecture.md "The dependency rule"):
//! `config/` is plain data that imports only itself and leaf modules (which import nothing
//! of the crate), and only the process layer reaches the server module.

use std::path::{Path, PathBuf};

/// Modules `config/` may use besides itself: vocabularies that import nothing of the crate.
const CONFIG_MAY_USE: &[&str] = &["crate::config", "crate::address"];

/// The only files that may name the server module: the process (`moat serve`: signals, the
/// file watch) and the admin listener (`POST /reload`).
const SERVER_USERS: &[&str] = &["src/daemon.rs", "src/daemon/watch.rs", "src/admin/mod.rs"];

/// The path searched for, spelt so that this file does not match itself.
const SERVER: &str = concat!("crate::", "server");

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
        let file = root().join(format!("src/{}.rs", leaf.trim_start_matches("crate::")));
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
