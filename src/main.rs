//! The `moat` command line: argument parsing and nothing else.
#![forbid(unsafe_code)]
// Commands write through `moat::cli::cli_out`; `println!` panics on a closed pipe.
#![deny(clippy::print_stdout)]

use clap::{Parser, Subcommand};
use moat::bayes::command::LearnArgs;
use moat::bayes::imap::ImapArgs;
use moat::bayes::model::Class;
use moat::cli::commands::{self, QuarantineCmd};
use moat::config::Config;
use moat::config::overrides::Overrides;

/// mimalloc instead of the C library's allocator: a message's checks allocate many small,
/// short-lived strings on whichever worker thread runs the session, which glibc's arenas
/// serve with locks and periodic consolidation (~11 % of Moat's CPU per relayed message).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "moat", version, about = "Moat: an SMTP security gateway")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of the largest variant (`learn` with `--watch`) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Accept SMTP and relay what passes to the backend.
    Serve {
        /// Configuration file (default: the embedded config/moat.yaml).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// SMTP addresses to listen on instead of `listen` (ip:port[,ip:port…]); also
        /// MOAT_LISTEN. For a second instance on one machine.
        #[arg(long, value_name = "ADDRS")]
        listen: Option<String>,
        /// Admin listener instead of `admin.listen` (ip:port, or `off`); also MOAT_ADMIN.
        #[arg(long, value_name = "ADDR")]
        admin: Option<String>,
    },
    /// Validate a configuration file and exit (non-zero with the list of errors).
    CheckConfig {
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Ask the running server's admin listener (admin.listen of this configuration, or
    /// MOAT_ADMIN) GET /readyz: exit 0 when ready, 1 otherwise. For a container HEALTHCHECK.
    Health {
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Judge stored messages (files, directories, Maildirs, mbox files) as the server would,
    /// without relaying. Exit status for one message: 0 accept, 1 marked/quarantined,
    /// 2 tempfail/reject, 3 error.
    Scan {
        /// Print every finding with its score and reason.
        #[arg(long)]
        explain: bool,
        /// One JSON object per message.
        #[arg(long)]
        json: bool,
        /// The connecting client's address (default: the newest outside Received: hop).
        #[arg(long)]
        client_ip: Option<std::net::IpAddr>,
        /// The client's EHLO/HELO name (default: from the same Received: header).
        #[arg(long)]
        helo: Option<String>,
        /// The envelope sender, `<>` for none (default: Return-Path:, else From:).
        #[arg(long)]
        mail_from: Option<String>,
        #[arg(long, short)]
        config: Option<PathBuf>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Train the statistical classifier from spam and ham (files, directories, Maildirs, mbox
    /// files, or an IMAP folder), or cross-validate it with --evaluate.
    // No arguments at all: the usage, not an error; otherwise at least one source.
    #[command(
        arg_required_else_help = true,
        group(clap::ArgGroup::new("source").required(true).multiple(true).args(["spam", "ham", "imap", "watch"]))
    )]
    Learn {
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Model file (default: the configured storage, bayes.model or Redis with
        /// bayes.storage: redis; else moat-bayes.model next to the configuration file, or
        /// in the working directory without --config).
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, num_args = 1..)]
        spam: Vec<PathBuf>,
        #[arg(long, num_args = 1..)]
        ham: Vec<PathBuf>,
        /// k-fold cross-validation on --spam/--ham: prints recall and false positives;
        /// writes no model.
        #[arg(long)]
        evaluate: bool,
        #[arg(long, default_value_t = 10)]
        folds: usize,
        /// Learn a mailbox folder over IMAP: imaps://host[:port] (TLS) or imap://host[:port]
        /// (STARTTLS when offered; plain only to loopback). Credentials: --credentials FILE or
        /// MOAT_IMAP_USER/MOAT_IMAP_PASSWORD.
        #[arg(long, requires_all = ["folder", "class"])]
        imap: Option<String>,
        #[arg(long)]
        folder: Option<String>,
        /// What the IMAP folder holds: spam or ham.
        #[arg(long = "as", value_parser = ["spam", "ham"])]
        class: Option<String>,
        /// File with the IMAP user on line 1 and the password on line 2.
        #[arg(long)]
        credentials: Option<PathBuf>,
        /// PEM file of the CA that signs the IMAP server's certificate (a private CA or a
        /// self-signed certificate); default: the system's CA bundle.
        #[arg(long)]
        ca: Option<PathBuf>,
        /// Keep learning from a mailbox: every --every, the new messages of the spam,
        /// ham and correction folders on imaps://host or imap://host (as --imap).
        #[arg(long, value_name = "URL", conflicts_with_all = ["imap", "evaluate", "spam", "ham"])]
        watch: Option<String>,
        /// --watch: folders learned as spam (default: Junk).
        #[arg(long = "spam-folder", requires = "watch")]
        spam_folders: Vec<String>,
        /// --watch: folders learned as ham (default: INBOX); messages Moat marked are skipped.
        #[arg(long = "ham-folder", requires = "watch")]
        ham_folders: Vec<String>,
        /// --watch: folders of mail taken out of Junk, relearned as ham (default: Not-Junk).
        #[arg(long = "correction-folder", requires = "watch")]
        correction_folders: Vec<String>,
        /// --watch: time between rounds.
        #[arg(long, default_value = "5m", requires = "watch", value_parser = moat::config::values::parse_duration)]
        every: std::time::Duration,
        /// --watch: stop after this many rounds (default: run until stopped).
        #[arg(long, requires = "watch")]
        rounds: Option<u64>,
        /// --watch: file remembering the UIDs learned (default: the model's path + .watch).
        #[arg(long, requires = "watch")]
        state: Option<PathBuf>,
    },
    /// Rule files.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// The web console: make an admin account line, or a signed release link.
    Console {
        #[command(subcommand)]
        command: ConsoleCommand,
    },
    /// The quarantine store.
    Quarantine {
        #[arg(long, short, global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: QuarantineCommand,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Run every rule's examples (the given files, else the configured rules).
    Test {
        #[arg(long, short)]
        config: Option<PathBuf>,
        files: Vec<PathBuf>,
    },
    /// Fit every finding's score from labelled mail (files, directories, Maildirs) and
    /// write a score file for `rules.scores`, or cross-validate the fit with --evaluate.
    Fit {
        #[arg(long, short)]
        config: Option<PathBuf>,
        #[command(flatten)]
        args: moat::fit::command::FitArgs,
    },
}

#[derive(Subcommand)]
enum ConsoleCommand {
    /// Print `NAME:$argon2id$…` for console.admins; the password is read from stdin's
    /// first line (or typed).
    Passwd { name: String },
    /// Print a signed release link for one held message and recipient, as a digest would
    /// (console.url and console.secret_file of this configuration).
    Link {
        #[arg(long, short)]
        config: Option<PathBuf>,
        id: String,
        recipient: String,
        /// How long the link stays valid (default: console.digest.link_lifetime).
        #[arg(long, value_parser = moat::config::values::parse_duration)]
        valid: Option<std::time::Duration>,
    },
}

#[derive(Subcommand)]
enum QuarantineCommand {
    /// A header row, then one line per held message: id, time (ISO 8601, UTC), score, tests,
    /// envelope, size, subject. stderr names the store read.
    List,
    /// Metadata and the full message, control characters escaped (CRLF lines kept).
    Show {
        id: String,
        /// The message's bytes exactly as stored, unescaped (for a file or a pipe).
        #[arg(long)]
        raw: bool,
    },
    /// Relay through the configured backend (exactly once) and remove from the store. Moat's
    /// X-Spam-* headers are rewritten to say it was released (X-Spam-Flag: NO,
    /// X-Moat-Released: TIME by operator), so a Junk rule does not file it back.
    Release {
        id: String,
        /// Also learn it as ham into the configured classifier model (bayes.model or Redis).
        #[arg(long)]
        learn_ham: bool,
    },
    /// Remove without delivering.
    Delete { id: String },
}

fn load(path: Option<&PathBuf>) -> Result<Config, moat::config::ConfigErrors> {
    match path {
        Some(p) => Config::load(p),
        None => Ok(Config::embedded_default()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let with_config = |path: Option<&PathBuf>, run: &dyn Fn(Config) -> ExitCode| match load(path) {
        Ok(c) => run(c),
        Err(errors) => {
            eprint!("{errors}");
            ExitCode::from(3)
        }
    };
    match cli.command {
        Command::Scan {
            explain,
            json,
            client_ip,
            helo,
            mail_from,
            config,
            files,
        } => with_config(config.as_ref(), &|c| {
            let envelope = moat::cli::scan::EnvelopeOverride {
                client_ip,
                helo: helo.clone(),
                mail_from: mail_from.clone(),
            };
            commands::scan(
                c,
                &files,
                moat::cli::scan::Options {
                    explain,
                    json,
                    envelope,
                },
            )
        }),
        Command::Learn {
            config,
            model,
            spam,
            ham,
            evaluate,
            folds,
            imap,
            folder,
            class,
            credentials,
            ca,
            watch,
            spam_folders,
            ham_folders,
            correction_folders,
            every,
            rounds,
            state,
        } => with_config(config.as_ref(), &|c| {
            if let Some(url) = &watch {
                let or = |v: &Vec<String>, d: &str| {
                    if v.is_empty() {
                        vec![d.to_string()]
                    } else {
                        v.clone()
                    }
                };
                let args = moat::bayes::watch::WatchArgs {
                    model: model.clone(),
                    imap: ImapArgs {
                        url: url.clone(),
                        folder: String::new(),
                        class: Class::Ham,
                        credentials: credentials.clone(),
                        ca: ca.clone(),
                    },
                    spam: or(&spam_folders, "Junk"),
                    ham: or(&ham_folders, "INBOX"),
                    corrections: or(&correction_folders, "Not-Junk"),
                    every,
                    rounds,
                    state: state.clone(),
                };
                return match moat::bayes::watch::run(&c, &args) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("moat learn --watch: {e:#}");
                        ExitCode::from(3)
                    }
                };
            }
            let imap = imap.clone().map(|url| ImapArgs {
                url,
                folder: folder.clone().unwrap_or_default(),
                class: if class.as_deref() == Some("ham") {
                    Class::Ham
                } else {
                    Class::Spam
                },
                credentials: credentials.clone(),
                ca: ca.clone(),
            });
            let args = LearnArgs {
                model: model.clone(),
                spam: spam.clone(),
                ham: ham.clone(),
                evaluate,
                folds,
                imap,
            };
            moat::bayes::command::learn(&c, args)
        }),
        Command::Rules {
            command: RulesCommand::Test { config, files },
        } => with_config(config.as_ref(), &|c| commands::rules_test(&c, &files)),
        Command::Rules {
            command: RulesCommand::Fit { config, args },
        } => with_config(config.as_ref(), &|c| moat::fit::command::fit(&c, &args)),
        Command::Quarantine { config, command } => with_config(config.as_ref(), &|c| {
            let cmd = match &command {
                QuarantineCommand::List => QuarantineCmd::List,
                QuarantineCommand::Show { id, raw } => QuarantineCmd::Show {
                    id: id.clone(),
                    raw: *raw,
                },
                QuarantineCommand::Release { id, learn_ham } => QuarantineCmd::Release {
                    id: id.clone(),
                    learn_ham: *learn_ham,
                },
                QuarantineCommand::Delete { id } => QuarantineCmd::Delete(id.clone()),
            };
            commands::quarantine(&c, cmd)
        }),
        Command::Console {
            command: ConsoleCommand::Passwd { name },
        } => moat::console::command::passwd(&name),
        Command::Console {
            command:
                ConsoleCommand::Link {
                    config,
                    id,
                    recipient,
                    valid,
                },
        } => with_config(config.as_ref(), &|c| {
            moat::console::command::link(&c, &id, &recipient, valid)
        }),
        Command::CheckConfig { config } => check_config(config.as_deref()),
        Command::Health { config } => with_config(config.as_ref(), &|mut c| {
            // The instance started with MOAT_ADMIN is asked where it listens.
            let env = |k: &str| std::env::var(k).ok().filter(|_| k == "MOAT_ADMIN");
            match Overrides::from_flags_and_env(None, None, &env) {
                Ok(o) => {
                    o.apply(&mut c);
                    health(c)
                }
                Err(e) => {
                    eprintln!("moat health: {e}");
                    ExitCode::FAILURE
                }
            }
        }),
        Command::Serve {
            config: path,
            listen,
            admin,
        } => {
            let env = |k: &str| std::env::var(k).ok();
            match Overrides::from_flags_and_env(listen.as_deref(), admin.as_deref(), &env) {
                Ok(overrides) => moat::daemon::serve(path, overrides),
                Err(e) => {
                    eprintln!("moat serve: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// `moat check-config`: everything `serve` would build, without a socket. Warnings that
/// building logs (a classifier model not trained yet) are shown on stderr; errors make it
/// exit 1 with every one of them.
fn check_config(path: Option<&std::path::Path>) -> ExitCode {
    let warnings = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .finish();
    let checked = tracing::subscriber::with_default(warnings, || {
        moat::runtime::prepare::prepare(path, None, &mut |_| {})
    });
    match checked {
        Ok(rt) => moat::cli::cli_out::run("check-config", 1, |out| {
            writeln!(out, "{}: configuration is valid", rt.config.origin)?;
            Ok(ExitCode::SUCCESS)
        }),
        Err(errors) => {
            eprint!("{errors}");
            ExitCode::FAILURE
        }
    }
}

/// `moat health`: one line on stdout (ready) or stderr (why not), and the exit status.
fn health(config: Config) -> ExitCode {
    match moat::cli::health::readyz(config.admin.listen, moat::cli::health::TIMEOUT) {
        Ok(text) => moat::cli::cli_out::run("health", 1, |out| {
            writeln!(out, "{text}")?;
            Ok(ExitCode::SUCCESS)
        }),
        Err(why) => {
            eprintln!("moat health: {why}");
            ExitCode::FAILURE
        }
    }
}
