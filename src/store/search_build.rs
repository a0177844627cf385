//! Building the search index of a store that has none (written by a release without search),
//! in key order.
//!
//! Written case by case, a store's entries land all over the index's key space, one term
//! here, the next far away: sled changes, and soon rewrites whole, a leaf for nearly each of
//! them, and its log fills with old copies faster than it reclaims them. At 250,000 cases a
//! bulk load left 84 KB on disk a case where the live data was some 20 KB. Sorted first, the
//! entries fill each leaf once, as a restore does.
//!
//! Sorting a million cases' entries (some 80 million) in memory would take gigabytes, so they
//! are gathered in runs of bounded size, each sorted and written to a file in the data folder
//! (`search-build/`), then merged. A crash leaves the run files, which the next build removes
//! before it starts; the index itself is only marked built once every entry is in.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read as _, Write as _};
use std::path::PathBuf;

use super::StoreError;

/// Memory one run may take before it is sorted and written out.
pub const RUN_BYTES: usize = 64 << 20;
/// What one entry costs in memory besides its bytes: two vectors' headers and their heap blocks.
const ENTRY_OVERHEAD: usize = 80;
/// Buffer of each run file while it is written or merged.
const FILE_BUFFER: usize = 64 << 10;

type Entry = (Vec<u8>, Vec<u8>);

fn io(e: std::io::Error) -> StoreError {
    StoreError::Corrupt(format!("building the search index: {e}"))
}

/// Entries gathered in sorted runs, then given out in key order.
pub struct SortedRuns {
    dir: PathBuf,
    limit: usize,
    current: Vec<Entry>,
    bytes: usize,
    files: Vec<PathBuf>,
}

impl SortedRuns {
    /// Runs of at most `limit` bytes of memory, spilled into `dir` (emptied first).
    pub fn new(dir: PathBuf, limit: usize) -> Result<Self, StoreError> {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io)?;
        }
        Ok(Self { dir, limit, current: Vec::new(), bytes: 0, files: Vec::new() })
    }

    /// Adds an entry.
    pub fn push(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), StoreError> {
        self.bytes += key.len() + value.len() + ENTRY_OVERHEAD;
        self.current.push((key, value));
        if self.bytes >= self.limit {
            self.spill()?;
        }
        Ok(())
    }

    /// Sorts the current run and writes it out.
    fn spill(&mut self) -> Result<(), StoreError> {
        self.current.sort_unstable();
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let path = self.dir.join(format!("run-{:05}", self.files.len()));
        let mut out = BufWriter::with_capacity(FILE_BUFFER, File::create(&path).map_err(io)?);
        for (key, value) in self.current.drain(..) {
            let key_len =
                u16::try_from(key.len()).map_err(|_| StoreError::Corrupt("an index key over 64 KiB".into()))?;
            let value_len =
                u8::try_from(value.len()).map_err(|_| StoreError::Corrupt("an index value over 255".into()))?;
            out.write_all(&key_len.to_be_bytes()).map_err(io)?;
            out.write_all(&key).map_err(io)?;
            out.write_all(&[value_len]).map_err(io)?;
            out.write_all(&value).map_err(io)?;
        }
        out.flush().map_err(io)?;
        self.files.push(path);
        self.bytes = 0;
        Ok(())
    }

    /// Gives every entry to `each` in key order; removes the run files. Returns how many.
    pub fn finish(
        mut self,
        mut each: impl FnMut(Vec<u8>, Vec<u8>) -> Result<(), StoreError>,
    ) -> Result<usize, StoreError> {
        let mut given = 0usize;
        if self.files.is_empty() {
            self.current.sort_unstable();
            for (key, value) in std::mem::take(&mut self.current) {
                each(key, value)?;
                given += 1;
            }
        } else {
            if !self.current.is_empty() {
                self.spill()?;
            }
            let mut readers = Vec::with_capacity(self.files.len());
            for path in &self.files {
                readers.push(BufReader::with_capacity(FILE_BUFFER, File::open(path).map_err(io)?));
            }
            let mut heads = BinaryHeap::new();
            for (run, reader) in readers.iter_mut().enumerate() {
                if let Some(entry) = read_entry(reader)? {
                    heads.push(Reverse((entry, run)));
                }
            }
            while let Some(Reverse(((key, value), run))) = heads.pop() {
                if let Some(next) = read_entry(&mut readers[run])? {
                    heads.push(Reverse((next, run)));
                }
                each(key, value)?;
                given += 1;
            }
        }
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir).map_err(io)?;
        }
        Ok(given)
    }
}

/// The next entry of a run file, if any.
fn read_entry(reader: &mut BufReader<File>) -> Result<Option<Entry>, StoreError> {
    let mut len = [0u8; 2];
    match reader.read_exact(&mut len) {
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        read => read.map_err(io)?,
    }
    let mut key = vec![0u8; usize::from(u16::from_be_bytes(len))];
    reader.read_exact(&mut key).map_err(io)?;
    let mut value_len = [0u8; 1];
    reader.read_exact(&mut value_len).map_err(io)?;
    let mut value = vec![0u8; usize::from(value_len[0])];
    reader.read_exact(&mut value).map_err(io)?;
    Ok(Some((key, value)))
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng as _, SeedableRng as _};

    use super::*;

    fn given_in_order(limit: usize, entries: &[Entry]) -> (Vec<Entry>, usize) {
        let dir = tempfile::tempdir().unwrap();
        let spill = dir.path().join("search-build");
        let mut runs = SortedRuns::new(spill.clone(), limit).unwrap();
        for (key, value) in entries {
            runs.push(key.clone(), value.clone()).unwrap();
        }
        let files = runs.files.len();
        let mut out = Vec::new();
        let given = runs
            .finish(|key, value| {
                out.push((key, value));
                Ok(())
            })
            .unwrap();
        assert_eq!(given, entries.len());
        assert!(!spill.exists(), "no run file left behind");
        (out, files)
    }

    #[test]
    fn entries_come_out_sorted_and_whole_from_memory_or_from_many_runs_on_disk() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut entries: Vec<Entry> = (0..5_000)
            .map(|i: u32| {
                let term = format!("t{}", rng.gen_range(0..300));
                ([term.as_bytes(), &[0], &i.to_be_bytes()].concat(), vec![1, rng.r#gen::<u8>()])
            })
            .collect();
        let (from_memory, files) = given_in_order(usize::MAX, &entries);
        assert_eq!(files, 0);
        let (from_runs, files) = given_in_order(20_000, &entries);
        assert!(files > 10, "{files} runs");
        entries.sort();
        assert_eq!(from_memory, entries, "in key order, every one");
        assert_eq!(from_runs, entries, "in key order, every one");
    }
}
