use super::*;

/// A writer whose reader has gone away.
struct ClosedPipe;

impl Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn cli_broken_pipe_is_a_quiet_success() {
    let result = writeln!(ClosedPipe, "line").map(|()| ExitCode::from(2));
    assert_eq!(finish("test", 3, result), ExitCode::SUCCESS);
}

#[test]
fn cli_other_write_errors_fail_with_the_error_status() {
    let result: io::Result<ExitCode> = Err(io::Error::other("disk full"));
    assert_eq!(finish("test", 3, result), ExitCode::from(3));
}
