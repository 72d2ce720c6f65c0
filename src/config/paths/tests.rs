use super::*;

#[test]
fn relative_paths_resolve_against_the_config_files_directory() {
    assert_eq!(
        resolve("/etc/moat/moat.yaml", "q"),
        Path::new("/etc/moat/q")
    );
    assert_eq!(
        resolve("/etc/moat/moat.yaml", "./q"),
        Path::new("/etc/moat/./q")
    );
    assert_eq!(
        resolve("/etc/moat/moat.yaml", "/var/q"),
        Path::new("/var/q")
    );
    assert_eq!(resolve("conf/moat.yaml", "q"), Path::new("conf/q"));
    assert_eq!(resolve("moat.yaml", "./q"), Path::new("./q"));
    assert_eq!(
        resolve(super::super::DEFAULT_ORIGIN, "./moat-mail"),
        Path::new("./moat-mail")
    );
}

/// Issue: `quarantine.path` and `backend.path` were relative to the working directory
/// while rule and list files were relative to the file, so `moat quarantine list` run
/// elsewhere showed an empty store. Every path key of a file follows the one rule.
#[test]
fn every_path_key_is_relative_to_the_config_file() {
    let yaml = "hostname: mx.test\nlisten: [\"127.0.0.1:25\"]\ndomains: [a.test]\n\
                    backend:\n  protocol: maildir\n  path: mail\n\
                    tls:\n  certificate: tls/c.pem\n  key: tls/k.pem\n\
                    quarantine:\n  path: ./held\n\
                    rules:\n  files: [local.yaml]\n\
                    bayes:\n  model: bayes.model\n";
    let c = crate::config::Config::from_yaml(yaml, "/etc/moat/moat.yaml").unwrap();
    let crate::config::BackendTarget::Maildir { path } = &c.backend.target else {
        panic!("maildir");
    };
    let tls = c.tls.as_ref().unwrap();
    let paths = [
        path,
        &tls.certificate,
        &tls.key,
        &c.policy.quarantine.path,
        &c.policy.rule_files[0],
        c.bayes.model.as_ref().unwrap(),
    ];
    for p in paths {
        assert!(
            p.starts_with("/etc/moat"),
            "{} is not under /etc/moat",
            p.display()
        );
    }
}
