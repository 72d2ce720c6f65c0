//! The deploy/ files checked without the systems they are for: no container runtime and no
//! Kubernetes cluster run here, so the suite reads the files and checks what each one
//! promises against the source tree and against Moat's own configuration parser.

#[path = "deploy/dockerfile.rs"]
mod dockerfile;

#[path = "deploy/kubernetes.rs"]
mod kubernetes;

#[path = "deploy/replies.rs"]
mod replies;

/// A file of the repository.
pub fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[path = "deploy/readme.rs"]
mod readme;
