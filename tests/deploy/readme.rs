//! Issue 18 item 7: the README tells a new admin which Rust to install and how `moat` gets
//! on PATH; the version it names is the one Cargo.toml and the Dockerfile build with.

use super::read;

/// `rust-version = "X.Y"` of Cargo.toml.
fn rust_version() -> String {
    let toml = read("Cargo.toml");
    let line = toml
        .lines()
        .find(|l| l.starts_with("rust-version"))
        .expect("Cargo.toml sets rust-version");
    line.split('"').nth(1).expect("quoted version").to_string()
}

#[test]
fn readme_names_the_rust_version_and_how_moat_gets_on_path() {
    let v = rust_version();
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("Rust {v}")),
        "README must name Rust {v}"
    );
    assert!(
        readme.contains("cargo install --path ."),
        "README: cargo install"
    );
    assert!(
        readme.contains("install -m 0755 target/release/moat /usr/local/bin/"),
        "README: install the release binary"
    );
    let dockerfile = read("deploy/Dockerfile");
    assert!(
        dockerfile.contains(&format!("rust:{v}")),
        "deploy/Dockerfile builds with Rust {v}"
    );
}
