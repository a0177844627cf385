//! A long-running node limits glibc's malloc to two arenas.
//!
//! glibc gives a thread that finds the arenas busy one of its own, up to eight per core, and
//! keeps the memory each arena has held. A node's threads (runtime workers, the blocking pool,
//! sled's I/O threads, the flusher) come and go under load, so its resident memory kept
//! climbing in steps for minutes: 10–20 % over the benchmark's ten-minute soak on a million-case
//! store, against 0.2 % with two arenas, at about the same level (docs/PERFORMANCE.md, "Two
//! malloc arenas"). glibc reads the limit from `MALLOC_ARENA_MAX` only when the process starts,
//! so `serve` and `demo` start themselves again with it set, unless it is set already: an
//! admin's own value is kept. The process id stays the same (exec), so service managers and
//! signals see one process.

/// The environment variable glibc reads.
const VAR: &str = "MALLOC_ARENA_MAX";
/// The arenas a node runs with.
const ARENAS: &str = "2";

/// Replaces this process with itself run with [`VAR`] set, unless it is set already; when that
/// cannot be done, warns and returns, and the node runs on as it is.
pub fn limit() {
    if let Err(e) = restart_limited() {
        tracing::warn!("could not restart with {VAR}={ARENAS} ({e}); resident memory may grow in steps under load");
    }
}

/// Returns only when the restart was not needed or failed (why, in the second case).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn restart_limited() -> Result<(), std::io::Error> {
    use std::os::unix::process::CommandExt as _;
    if std::env::var_os(VAR).is_some() {
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    Err(std::process::Command::new(exe).args(std::env::args_os().skip(1)).env(VAR, ARENAS).exec())
}

/// Other allocators than glibc's have no arenas to limit.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn restart_limited() -> Result<(), std::io::Error> {
    Ok(())
}
