//! deploy/Dockerfile: its build stage copies every file the build reads, and the image runs
//! its own configuration (all interfaces, non-root, a HEALTHCHECK on /readyz).
//!
//! The image once failed to build because `rules/` (embedded by `include_str!` in
//! src/rules/builtin.rs) was never copied; no container runtime runs here, so this check
//! reads the Dockerfile's COPY lines and the source's include paths instead.

use super::{read, repo};
use std::path::{Component, Path, PathBuf};

/// The build context directory the build stage works in (`WORKDIR`).
const WORKDIR: &str = "/src";

/// One `COPY` of the build stage: context paths and where they land.
#[derive(Debug)]
struct Copy {
    sources: Vec<String>,
    dest: String,
}

/// The Dockerfile's instructions, continuation lines joined and comments dropped.
fn instructions(dockerfile: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(trimmed);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

/// The first stage's (the build's) `COPY` instructions that take files from the context.
fn build_stage_copies(dockerfile: &str) -> Vec<Copy> {
    let mut copies = Vec::new();
    let mut stages = 0;
    for instruction in instructions(dockerfile) {
        let mut words = instruction.split_whitespace();
        match words.next().map(str::to_ascii_uppercase).as_deref() {
            Some("FROM") => stages += 1,
            Some("COPY") if stages == 1 => {
                let args: Vec<&str> = words.collect();
                if args.iter().any(|a| a.starts_with("--from")) {
                    continue;
                }
                let paths: Vec<String> = args
                    .iter()
                    .filter(|a| !a.starts_with("--"))
                    .map(|a| a.trim_start_matches("./").to_string())
                    .collect();
                let (dest, sources) = paths.split_last().expect("COPY has a destination");
                copies.push(Copy {
                    sources: sources
                        .iter()
                        .map(|s| s.trim_end_matches('/').into())
                        .collect(),
                    dest: dest.clone(),
                });
            }
            _ => {}
        }
    }
    copies
}

/// Where a copied context path lands, relative to the WORKDIR. Docker copies a directory's
/// contents into the destination (`COPY src ./src`), and a file into a destination ending in
/// `/` (or given several sources) under its own name.
fn landing(source: &str, copy: &Copy) -> String {
    let dest = copy
        .dest
        .trim_start_matches(WORKDIR)
        .trim_start_matches('/');
    let dest = dest.trim_start_matches("./");
    let dir = dest.trim_end_matches('/');
    let file_name = Path::new(source).file_name().unwrap().to_str().unwrap();
    let into_dir = dest.is_empty() || dest == "." || dest.ends_with('/') || copy.sources.len() > 1;
    if repo(source).is_dir() || !into_dir {
        return if dir.is_empty() || dir == "." {
            ".".into()
        } else {
            dir.into()
        };
    }
    if dir.is_empty() || dir == "." {
        file_name.into()
    } else {
        format!("{dir}/{file_name}")
    }
}

/// The files of `needed` (context paths) that the build stage does not copy to the same
/// relative place in its WORKDIR.
fn missing(dockerfile: &str, needed: &[String]) -> Vec<String> {
    let copies = build_stage_copies(dockerfile);
    let copied = |file: &str| {
        copies.iter().any(|copy| {
            copy.sources.iter().any(|source| {
                let under = file == source || file.starts_with(&format!("{source}/"));
                // A file or directory must keep its path: src/ at ./src, not at ./.
                under && landing(source, copy) == *source
            })
        })
    };
    needed.iter().filter(|f| !copied(f)).cloned().collect()
}

/// `a/b/../c` → `a/c` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Test-only source: a `tests.rs`/`*_tests.rs` module file, or the text after an inline
/// `#[cfg(test)] mod … {` (includes there are not compiled into a release build).
fn release_part(file: &Path, text: &str) -> Option<String> {
    let stem = file.file_stem()?.to_str()?;
    if stem == "tests" || stem.ends_with("_tests") {
        return None;
    }
    let mut end = text.len();
    let mut offset = 0;
    let mut after_cfg_test = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if after_cfg_test && t.starts_with("mod ") && t.ends_with('{') {
            end = offset;
            break;
        }
        after_cfg_test = t == "#[cfg(test)]";
        offset += line.len();
    }
    Some(text[..end].to_string())
}

/// The string literals given to `include_str!`, `include_bytes!` and `#[path = …]`.
fn include_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in ["include_str!(\"", "include_bytes!(\"", "#[path = \""] {
        for (at, _) in text.match_indices(marker) {
            let rest = &text[at + marker.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_string());
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every context path `cargo build --release` reads: the manifest and lock file, the
/// targets Cargo.toml names, everything under src/, and each file src/ embeds.
fn build_inputs(root: &Path) -> Vec<String> {
    let mut needed = vec!["Cargo.toml".to_string(), "Cargo.lock".to_string()];
    // No TOML parser in the tree: the keys that name files are read line by line.
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for line in manifest.lines() {
        let line = line.trim();
        if let Some(v) = line
            .strip_prefix("path = ")
            .or(line.strip_prefix("build = "))
        {
            needed.push(v.trim_matches('"').to_string());
        }
        if let Some(name) = line.strip_prefix("name = ")
            && manifest.contains(&format!("[[bench]]\nname = {name}"))
        {
            needed.push(format!("benches/{}.rs", name.trim_matches('"')));
        }
    }
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    for file in files {
        let rel = file.strip_prefix(root).unwrap().to_path_buf();
        needed.push(rel.to_string_lossy().into_owned());
        let text = std::fs::read_to_string(&file).unwrap();
        let Some(release) = release_part(&file, &text) else {
            continue;
        };
        for literal in include_literals(&release) {
            let target = normalize(&rel.parent().unwrap().join(literal));
            needed.push(target.to_string_lossy().into_owned());
        }
    }
    needed.sort();
    needed.dedup();
    needed
}

#[test]
fn dockerfile_copies_every_file_the_build_reads() {
    let needed = build_inputs(&repo(""));
    for embedded in [
        "config/moat.yaml",
        "rules/default/00-gtube.yaml",
        "src/main.rs",
    ] {
        assert!(
            needed.iter().any(|n| n == embedded),
            "the scan of build inputs misses {embedded}: {needed:?}"
        );
    }
    for file in &needed {
        assert!(repo(file).is_file(), "build input {file} does not exist");
    }
    let lost = missing(&read("deploy/Dockerfile"), &needed);
    assert!(
        lost.is_empty(),
        "deploy/Dockerfile's build stage does not COPY what the build reads: {lost:?}"
    );
}

/// The check itself: the Dockerfile as it was when the image could not build (no
/// `COPY rules`), and a COPY to the wrong place, are both caught.
#[test]
fn dockerfile_check_catches_a_missing_or_misplaced_copy() {
    let needed = build_inputs(&repo(""));
    let full = read("deploy/Dockerfile");
    let without_rules = full.replace("COPY rules ./rules\n", "");
    assert_ne!(
        full, without_rules,
        "the Dockerfile copies rules/ as `COPY rules ./rules`"
    );
    let lost = missing(&without_rules, &needed);
    assert!(
        lost.contains(&"rules/default/00-gtube.yaml".to_string()),
        "{lost:?}"
    );
    let misplaced = full.replace("COPY config ./config", "COPY config ./");
    assert!(missing(&misplaced, &needed).contains(&"config/moat.yaml".to_string()));
    // Only the build stage counts: the same COPY in the runtime stage does not help.
    let late = format!("{without_rules}\nCOPY rules ./rules\n");
    assert!(!missing(&late, &needed).is_empty());
}

#[test]
fn dockerfile_runs_as_non_root_with_a_readyz_healthcheck() {
    let all = instructions(&read("deploy/Dockerfile"));
    let runtime: Vec<&String> = all
        .iter()
        .skip_while(|i| !i.starts_with("FROM"))
        .skip(1)
        .skip_while(|i| !i.starts_with("FROM"))
        .collect();
    let user = runtime
        .iter()
        .rev()
        .find_map(|i| i.strip_prefix("USER "))
        .expect("the runtime stage sets USER");
    let uid = user.split(':').next().unwrap().trim();
    assert!(uid != "0" && uid != "root", "USER {user}");
    let health = runtime
        .iter()
        .find_map(|i| i.strip_prefix("HEALTHCHECK "))
        .expect("HEALTHCHECK");
    let cmd = exec_form(health.split_once("CMD").expect("HEALTHCHECK … CMD").1);
    let serve = exec_form(
        runtime
            .iter()
            .find_map(|i| i.strip_prefix("CMD "))
            .expect("CMD"),
    );
    // The probe and the server read the same file, so it asks the port the server opened.
    assert_eq!(cmd[..2], ["/usr/local/bin/moat", "health"]);
    assert_eq!(
        cmd[2..],
        serve[1..],
        "health and serve take the same --config"
    );
    assert_eq!(serve[..2], ["serve", "--config"]);
}

/// The configuration the image runs: valid, on every interface, ports the image EXPOSEs,
/// state on the volume (absolute paths).
#[test]
fn image_config_listens_on_all_interfaces() {
    let dockerfile = read("deploy/Dockerfile");
    let config_in_image = exec_form(
        instructions(&dockerfile)
            .iter()
            .find_map(|i| i.strip_prefix("CMD "))
            .unwrap(),
    )[2]
    .clone();
    assert!(
        dockerfile.contains(&format!("COPY deploy/container.yaml {config_in_image}")),
        "the image's configuration is deploy/container.yaml at {config_in_image}"
    );
    let config = moat::config::Config::load(&repo("deploy/container.yaml"))
        .unwrap_or_else(|e| panic!("deploy/container.yaml: {e}"));
    let admin = config
        .admin
        .listen
        .expect("admin listener for the HEALTHCHECK");
    let mut ports = Vec::new();
    for addr in config.listen.iter().chain([&admin]) {
        assert!(addr.ip().is_unspecified(), "{addr} is not all interfaces");
        ports.push(addr.port().to_string());
    }
    let expose = instructions(&dockerfile)
        .into_iter()
        .find_map(|i| i.strip_prefix("EXPOSE ").map(str::to_string))
        .expect("EXPOSE");
    let exposed: Vec<&str> = expose.split_whitespace().collect();
    assert_eq!(ports, exposed);
    let moat::config::BackendTarget::Maildir { path: mail } = &config.backend.target else {
        panic!("the image's stand-alone backend is a Maildir");
    };
    for path in [mail, &config.policy.quarantine.path] {
        assert!(
            path.starts_with("/var/lib/moat"),
            "{} is not on the volume",
            path.display()
        );
    }
}

/// `["a", "b"]` → [a, b].
fn exec_form(text: &str) -> Vec<String> {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not exec form: {text}: {e}"))
}
