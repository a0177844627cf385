//! What the benchmark reads off the operating system: machine facts, a process's resident
//! memory, CPU time, threads and open files (all from `/proc`), and CPU pinning.

use std::time::Duration;

/// Facts about the machine a run was made on.
#[derive(Debug, Clone)]
pub struct Machine {
    /// `nproc`.
    pub nproc: usize,
    /// CPU model from `/proc/cpuinfo`.
    pub cpu: String,
    /// Kernel release.
    pub kernel: String,
    /// Total memory.
    pub memory: String,
    /// The file system of the temp folder.
    pub disk: String,
    /// The commit built, when run inside the repository.
    pub commit: Option<String>,
}

/// Reads the machine's facts.
pub fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_owned()))
        .unwrap_or_else(|| "unknown".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_owned()).unwrap_or_default();
    let memory = meminfo_kib("MemTotal:").map(|k| format!("{:.1} GiB", k as f64 / 1024.0 / 1024.0)).unwrap_or_default();
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    // Prose does not change what was measured: only uncommitted changes elsewhere make the
    // commit an unfaithful name for the build.
    let dirty = std::process::Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no", "--", ":/", ":(top,exclude)docs", ":(top,exclude)*.md"])
        .output()
        .ok()
        .is_some_and(|o| o.status.success() && !o.stdout.is_empty());
    let commit = commit.map(|c| if dirty { format!("{c} + uncommitted changes") } else { c });
    Machine {
        nproc: std::thread::available_parallelism().map_or(1, usize::from),
        cpu,
        kernel,
        memory,
        disk: temp_file_system(),
        commit,
    }
}

fn meminfo_kib(key: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The file system type and mount of the temp folder, from `/proc/mounts` (longest match).
fn temp_file_system() -> String {
    let temp = std::env::temp_dir();
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let (device, point, fs) = (parts.next()?, parts.next()?, parts.next()?);
            temp.starts_with(point).then(|| (point.len(), format!("{fs} on {device} (temp folder {})", temp.display())))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, text)| text)
        .unwrap_or_default()
}

/// Resident memory of process `pid` (`"self"` for this one) in bytes.
pub fn rss(pid: &str) -> Option<u64> {
    status_kib(pid, "VmRSS:").map(|k| k * 1024)
}

/// Threads of process `pid`.
pub fn threads(pid: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find(|l| l.starts_with("Threads:"))?.split_whitespace().nth(1)?.parse().ok()
}

fn status_kib(pid: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find(|l| l.starts_with(key))?.split_whitespace().nth(1)?.parse().ok()
}

/// Open file descriptors of process `pid`.
pub fn open_files(pid: &str) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// User plus system CPU time of process `pid` so far.
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = text.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Pins the calling thread (and the threads it starts afterwards) to `cpu`.
pub fn pin_current_thread(cpu: usize) -> std::io::Result<()> {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).map_err(std::io::Error::from)
}

/// Bytes of the files under `dir`.
pub fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_bytes(&entry.path()),
            Ok(meta) => rustix_blocks(&meta),
            Err(_) => 0,
        })
        .sum()
}

/// Bytes a file occupies on disk (its allocated blocks), not its apparent length.
fn rustix_blocks(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.blocks() * 512
}

/// How fast this machine writes into memory it has not touched before, against memory in use.
#[derive(Debug, Clone, Copy)]
pub struct FirstTouch {
    /// MB/s writing a new file: the kernel takes fresh pages for its page cache.
    pub fresh: f64,
    /// MB/s writing the same range of the same file again: the pages are already there.
    pub again: f64,
}

/// Writes `mib` MiB to a new file in `dir`, then the same range again, and removes the file.
/// On a virtual machine whose host backs guest memory only when it is first touched (and takes
/// back what the guest frees), the first pass is many times slower: every log a store writes
/// pays that, and a benchmark's absolute figures with it.
pub fn first_touch(dir: &std::path::Path, mib: usize) -> std::io::Result<FirstTouch> {
    use std::io::{Seek, Write};
    let path = dir.join("first-touch-probe");
    let block = vec![0x5a_u8; 1 << 20];
    let mut file = std::fs::File::create(&path)?;
    let mut pass = || -> std::io::Result<f64> {
        file.rewind()?;
        let started = std::time::Instant::now();
        for _ in 0..mib {
            file.write_all(&block)?;
        }
        Ok(mib as f64 * 1.048_576 / started.elapsed().as_secs_f64().max(1e-9))
    };
    let measured = pass().and_then(|fresh| Ok(FirstTouch { fresh, again: pass()? }));
    drop(file);
    let _ = std::fs::remove_file(&path);
    measured
}
