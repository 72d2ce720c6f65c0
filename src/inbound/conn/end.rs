//! How a session ended.

/// Why a session ended; a closed set for logs (and later metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    Quit,
    ClientClosed,
    Timeout,
    Shutdown,
    ProtocolClose,
    IoError,
    TlsFailed,
    /// The client sent a command line too slowly (`crate::inbound::pace`).
    SlowCommand,
    /// Shed to make room in a nearly full connection table (`crate::inbound::slots::shed`).
    Shed,
}

impl End {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            End::Quit => "quit",
            End::ClientClosed => "client_closed",
            End::Timeout => "timeout",
            End::Shutdown => "shutdown",
            End::ProtocolClose => "closed_by_moat",
            End::IoError => "io_error",
            End::TlsFailed => "tls_failed",
            End::SlowCommand => "slow_command",
            End::Shed => "shed",
        }
    }
}
