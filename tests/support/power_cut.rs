//! A FUSE file system that forgets, at a simulated power cut, everything the programs using it
//! never made durable: the test of durability that kill -9 cannot be, since a killed process
//! leaves its writes in the page cache (LazyFS did the same for Jepsen's NATS analysis).
//!
//! It passes a backing folder through, applying each change at once so that everyone reads
//! what was written, and keeps what would not survive a power cut in memory or in a log of
//! its own. [`PowerCutFs::cut_power`] then drops all of that at once. The model is the strict
//! POSIX reading of `fsync`, not what ext4 happens to do in ordered mode (where syncing a new
//! file usually commits its name too, through the journal):
//!
//! - **File data and length** are durable once `fsync` or `fdatasync` of that file returns.
//!   Until then writes and size changes (truncate, extend) live in memory, page by page, over
//!   the backing file, and reads see them; a sync writes them to the backing file and syncs
//!   it. `sync_file_range` sends nothing to a FUSE file system, so it makes nothing durable.
//! - **Names** (a file or folder made, removed or renamed) are durable once `fsync` of their
//!   folder returns, whether or not the file's own data was synced: a file created and synced
//!   in a folder never synced is gone after a cut. Namespace changes reach the backing folder
//!   at once, with a note of how to undo them; a folder's sync drops its notes, a cut undoes
//!   the notes left, newest first. What was removed waits in a side folder until the next cut.
//! - **A rename between two folders** is kept only once both are synced. (POSIX promises
//!   nothing about which half survives; a journal keeps both or neither. Taking it back until
//!   both are synced is the conservative reading.) Should a later, synced entry have taken the
//!   old name meanwhile, the renamed entry is lost, as a crash between the two halves loses it.
//! - Modes and times are applied at once and never dropped (owners are not changed at all):
//!   nothing tested relies on them.
//!
//! A cut can also be placed at a step rather than a moment: [`PowerCutFs::fail_after`] lets a
//! number of changes through, then answers EIO to every change, as a disk that lost its power
//! at that instant, until the cut.
//!
//! Inode numbers are given by path and follow renames, and survive a cut, so that a process
//! started after the cut and the kernel agree on them. The kernel is told to cache neither
//! names nor attributes and reads and writes bypass its page cache, so that after a cut it
//! asks again and every write reaches this file system (no `writeback_cache` either).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap, btree_map, hash_map};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fuser::{
    BackgroundSession, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, LockOwner,
    MountOption, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry,
    ReplyOpen, ReplyStatfs, ReplyWrite, Request, SessionACL, TimeOrNow, WriteFlags,
};

/// The unit in which unsynced data is kept.
const PAGE: u64 = 4096;
/// How long the kernel may trust a name or an attribute: not at all, since a cut changes both.
const TTL: Duration = Duration::ZERO;

/// What the file system did, for a test's report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub cuts: u64,
    /// `fsync` and `fdatasync` of files.
    pub file_syncs: u64,
    /// `fsync` of folders.
    pub dir_syncs: u64,
    /// Bytes written and never synced, forgotten at cuts.
    pub bytes_dropped: u64,
    /// Names made, removed or renamed and never synced, taken back at cuts.
    pub names_undone: u64,
    /// Writes, syncs and changes of names or attributes.
    pub changes: u64,
}

/// A mounted power-cut file system; unmounted when dropped.
pub struct PowerCutFs {
    state: Arc<Mutex<State>>,
    mountpoint: PathBuf,
    session: Option<BackgroundSession>,
    /// Where removed entries wait for their folder's sync or a cut; beside the backing folder,
    /// on the same file system, so that moving there is a rename.
    _removed: tempfile::TempDir,
}

impl PowerCutFs {
    /// Mounts `backing` at `mountpoint` (an empty folder) and serves it from a thread of its
    /// own. Needs /dev/fuse and root (CI has both); panics saying so otherwise.
    pub fn mount(backing: &Path, mountpoint: &Path) -> Self {
        assert!(
            Path::new("/dev/fuse").exists(),
            "/dev/fuse is missing: the power-cut tests mount a FUSE file system (CI runs as root with /dev/fuse)"
        );
        let backing = backing.canonicalize().unwrap();
        let removed = tempfile::Builder::new()
            .prefix(".power-cut-removed")
            .tempdir_in(backing.parent().unwrap_or(&backing))
            .unwrap();
        let state = Arc::new(Mutex::new(State::new(backing, removed.path().to_owned())));
        let mut config = fuser::Config::default();
        config.mount_options = vec![MountOption::FSName("power-cut".into()), MountOption::DefaultPermissions];
        config.acl = SessionACL::RootAndOwner;
        let session = fuser::Session::new(PassThrough { state: state.clone() }, mountpoint, &config)
            .and_then(fuser::Session::spawn)
            .unwrap_or_else(|e| {
                panic!(
                    "cannot mount the power-cut file system at {}: {e} (it needs root and /dev/fuse, as CI has)",
                    mountpoint.display()
                )
            });
        Self { state, mountpoint: mountpoint.to_owned(), session: Some(session), _removed: removed }
    }

    /// Cuts the power: every write not synced and every name change whose folder was not
    /// synced is forgotten, at once. The file system serves on, as the disk would after a
    /// reboot. Whoever was writing should be dead by now (SIGKILL, then wait).
    pub fn cut_power(&self) {
        lock(&self.state).cut();
    }

    /// Lets `changes` more changes through (writes, syncs, changes of names or attributes),
    /// then fails as a disk losing its power at that instant: the next change and every one
    /// after it answer EIO and change nothing, until [`PowerCutFs::cut_power`]. For a cut at a
    /// chosen step of what a program does rather than at a chosen moment.
    pub fn fail_after(&self, changes: u64) {
        lock(&self.state).failing = Some(changes);
    }

    /// Whether the disk has failed since [`PowerCutFs::fail_after`].
    pub fn failed(&self) -> bool {
        lock(&self.state).failing == Some(0)
    }

    pub fn stats(&self) -> Stats {
        lock(&self.state).stats
    }
}

impl Drop for PowerCutFs {
    fn drop(&mut self) {
        if let Some(session) = self.session.take()
            && session.umount_and_join().is_err()
        {
            // Still busy (a process left behind by a failed test): detach it.
            let _ = std::process::Command::new("umount").arg("-l").arg(&self.mountpoint).status();
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn error(errno: Errno) -> io::Error {
    io::Error::from_raw_os_error(errno.code())
}

/// Inode numbers by path: the backing folder is 1; a rename carries the numbers below it along.
struct Inodes {
    paths: HashMap<u64, PathBuf>,
    numbers: HashMap<PathBuf, u64>,
    next: u64,
}

impl Inodes {
    fn new(root: PathBuf) -> Self {
        Self { numbers: HashMap::from([(root.clone(), 1)]), paths: HashMap::from([(1, root)]), next: 2 }
    }

    fn path(&self, ino: u64) -> io::Result<PathBuf> {
        self.paths.get(&ino).cloned().ok_or_else(|| error(Errno::ENOENT))
    }

    fn number(&mut self, path: &Path) -> u64 {
        if let Some(ino) = self.numbers.get(path) {
            return *ino;
        }
        let ino = self.next;
        self.next += 1;
        self.numbers.insert(path.to_owned(), ino);
        self.paths.insert(ino, path.to_owned());
        ino
    }

    fn moved(&mut self, from: &Path, to: &Path) {
        self.forget(to);
        let moving: Vec<(PathBuf, u64)> =
            self.numbers.iter().filter(|(path, _)| path.starts_with(from)).map(|(p, i)| (p.clone(), *i)).collect();
        for (old, ino) in moving {
            let new = match old.strip_prefix(from) {
                Ok(rest) if !rest.as_os_str().is_empty() => to.join(rest),
                _ => to.to_owned(),
            };
            self.numbers.remove(&old);
            self.numbers.insert(new.clone(), ino);
            self.paths.insert(ino, new);
        }
    }

    fn forget(&mut self, under: &Path) {
        let gone: Vec<PathBuf> = self.numbers.keys().filter(|path| path.starts_with(under)).cloned().collect();
        for path in gone {
            if let Some(ino) = self.numbers.remove(&path) {
                self.paths.remove(&ino);
            }
        }
    }
}

/// A file's writes and size changes since its last sync, over the backing file.
struct Unsynced {
    /// The file's length as written.
    len: u64,
    /// Backing bytes from here on were truncated away: they read as zeros. Never above `len`.
    kept: u64,
    /// Whole pages as written, by index; bytes past `len` are zeros.
    pages: BTreeMap<u64, Vec<u8>>,
    /// Bytes written, for the report.
    written: u64,
}

/// Fills `buf` from the backing file at `offset`, with zeros at and past `limit` and past its end.
fn read_backing(file: &File, buf: &mut [u8], offset: u64, limit: u64) -> io::Result<()> {
    buf.fill(0);
    let valid = usize::try_from(limit.saturating_sub(offset)).unwrap_or(usize::MAX).min(buf.len());
    let mut done = 0;
    while done < valid {
        match file.read_at(&mut buf[done..valid], offset + done as u64)? {
            0 => break,
            n => done += n,
        }
    }
    Ok(())
}

/// The unsynced changes of `ino`, begun if there are none, over a backing file of `len`.
fn unsynced_of(
    unsynced: &mut HashMap<u64, Unsynced>,
    ino: u64,
    len: impl FnOnce() -> io::Result<u64>,
) -> io::Result<&mut Unsynced> {
    Ok(match unsynced.entry(ino) {
        hash_map::Entry::Occupied(entry) => entry.into_mut(),
        hash_map::Entry::Vacant(entry) => {
            let len = len()?;
            entry.insert(Unsynced { len, kept: len, pages: BTreeMap::new(), written: 0 })
        }
    })
}

/// A name in a folder, by the folder's inode, which follows renames.
#[derive(Debug, Clone)]
struct Name {
    dir: u64,
    name: OsString,
}

/// How to take back a name change.
#[derive(Debug)]
enum Undo {
    Made(Name),
    /// Removed, waiting at a path in the side folder.
    Removed(Name, PathBuf),
    Renamed {
        from: Name,
        to: Name,
        replaced: Option<PathBuf>,
    },
}

/// A name change, and the folders whose sync it waits for.
#[derive(Debug)]
struct Pending {
    undo: Undo,
    unsynced: BTreeSet<u64>,
}

struct State {
    removed: PathBuf,
    next_removed: u64,
    inodes: Inodes,
    unsynced: HashMap<u64, Unsynced>,
    /// Oldest first.
    pending: Vec<Pending>,
    files: HashMap<u64, File>,
    listings: HashMap<u64, Vec<(u64, FileType, OsString)>>,
    next_handle: u64,
    /// Changes left before the disk fails (see [`PowerCutFs::fail_after`]).
    failing: Option<u64>,
    stats: Stats,
}

impl State {
    fn new(root: PathBuf, removed: PathBuf) -> Self {
        Self {
            removed,
            next_removed: 0,
            inodes: Inodes::new(root),
            unsynced: HashMap::new(),
            pending: Vec::new(),
            files: HashMap::new(),
            listings: HashMap::new(),
            next_handle: 1,
            failing: None,
            stats: Stats::default(),
        }
    }

    /// Counts a change, unless the disk has failed.
    fn change(&mut self) -> io::Result<()> {
        match &mut self.failing {
            Some(0) => return Err(error(Errno::EIO)),
            Some(left) => *left -= 1,
            None => {}
        }
        self.stats.changes += 1;
        Ok(())
    }

    fn child(&self, dir: u64, name: &OsStr) -> io::Result<PathBuf> {
        Ok(self.inodes.path(dir)?.join(name))
    }

    fn attr(&self, ino: u64, path: &Path) -> io::Result<FileAttr> {
        let meta = fs::symlink_metadata(path)?;
        let size = self.unsynced.get(&ino).map_or(meta.len(), |u| u.len);
        Ok(FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: meta.accessed()?,
            mtime: meta.modified()?,
            ctime: UNIX_EPOCH + Duration::new(u64::try_from(meta.ctime()).unwrap_or(0), 0),
            crtime: UNIX_EPOCH,
            kind: FileType::from_std(meta.file_type()).unwrap_or(FileType::RegularFile),
            perm: u16::try_from(meta.mode() & 0o7777).unwrap_or(0),
            nlink: u32::try_from(meta.nlink()).unwrap_or(1),
            uid: meta.uid(),
            gid: meta.gid(),
            rdev: u32::try_from(meta.rdev()).unwrap_or(0),
            blksize: PAGE as u32,
            flags: 0,
        })
    }

    fn lookup(&mut self, dir: u64, name: &OsStr) -> io::Result<FileAttr> {
        let path = self.child(dir, name)?;
        fs::symlink_metadata(&path)?;
        let ino = self.inodes.number(&path);
        self.attr(ino, &path)
    }

    fn handle(&mut self, file: File) -> u64 {
        let fh = self.next_handle;
        self.next_handle += 1;
        self.files.insert(fh, file);
        fh
    }

    fn file(&self, fh: u64) -> io::Result<&File> {
        self.files.get(&fh).ok_or_else(|| error(Errno::EBADF))
    }

    /// Opens the backing file for reading and writing whatever the caller asked: syncing
    /// through a read-only descriptor (as `fdatasync` of a log opened to read does) writes too.
    fn open(&mut self, ino: u64) -> io::Result<u64> {
        let file = OpenOptions::new().read(true).write(true).open(self.inodes.path(ino)?)?;
        Ok(self.handle(file))
    }

    fn create(&mut self, dir: u64, name: &OsStr, mode: u32, flags: i32) -> io::Result<(FileAttr, u64)> {
        self.change()?;
        let path = self.child(dir, name)?;
        let existed = fs::symlink_metadata(&path).is_ok();
        if existed && flags & rustix::fs::OFlags::EXCL.bits().cast_signed() != 0 {
            return Err(error(Errno::EEXIST));
        }
        let file = OpenOptions::new().read(true).write(true).create(true).mode(mode).open(&path)?;
        if !existed {
            self.made(dir, name);
        }
        let ino = self.inodes.number(&path);
        Ok((self.attr(ino, &path)?, self.handle(file)))
    }

    fn mkdir(&mut self, dir: u64, name: &OsStr, mode: u32) -> io::Result<FileAttr> {
        self.change()?;
        fs::DirBuilder::new().mode(mode).create(self.child(dir, name)?)?;
        self.made(dir, name);
        self.lookup(dir, name)
    }

    fn made(&mut self, dir: u64, name: &OsStr) {
        let undo = Undo::Made(Name { dir, name: name.to_owned() });
        self.pending.push(Pending { undo, unsynced: BTreeSet::from([dir]) });
    }

    /// Moves `path` to the side folder, where it waits to be put back or dropped.
    fn set_aside(&mut self, path: &Path) -> io::Result<PathBuf> {
        let aside = self.removed.join(self.next_removed.to_string());
        self.next_removed += 1;
        fs::rename(path, &aside)?;
        self.inodes.moved(path, &aside);
        Ok(aside)
    }

    fn remove(&mut self, dir: u64, name: &OsStr, folder: bool) -> io::Result<()> {
        self.change()?;
        let path = self.child(dir, name)?;
        let is_dir = fs::symlink_metadata(&path)?.is_dir();
        if folder && !is_dir {
            return Err(error(Errno::ENOTDIR));
        }
        if !folder && is_dir {
            return Err(error(Errno::EISDIR));
        }
        if folder && fs::read_dir(&path)?.next().is_some() {
            return Err(error(Errno::ENOTEMPTY));
        }
        let aside = self.set_aside(&path)?;
        let undo = Undo::Removed(Name { dir, name: name.to_owned() }, aside);
        self.pending.push(Pending { undo, unsynced: BTreeSet::from([dir]) });
        Ok(())
    }

    fn rename(&mut self, from: Name, to: Name) -> io::Result<()> {
        self.change()?;
        let (source, target) = (self.child(from.dir, &from.name)?, self.child(to.dir, &to.name)?);
        let source_is_dir = fs::symlink_metadata(&source)?.is_dir();
        if source == target {
            return Ok(());
        }
        let replaced = match fs::symlink_metadata(&target) {
            Ok(meta) if meta.is_dir() && !source_is_dir => return Err(error(Errno::EISDIR)),
            Ok(meta) if !meta.is_dir() && source_is_dir => return Err(error(Errno::ENOTDIR)),
            Ok(meta) if meta.is_dir() && fs::read_dir(&target)?.next().is_some() => {
                return Err(error(Errno::ENOTEMPTY));
            }
            Ok(_) => Some(self.set_aside(&target)?),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        if let Err(e) = fs::rename(&source, &target) {
            if let Some(aside) = &replaced {
                self.put_back(aside, &to);
            }
            return Err(e);
        }
        self.inodes.moved(&source, &target);
        let unsynced = BTreeSet::from([from.dir, to.dir]);
        self.pending.push(Pending { undo: Undo::Renamed { from, to, replaced }, unsynced });
        Ok(())
    }

    fn read(&self, fh: u64, ino: u64, offset: u64, size: u32) -> io::Result<Vec<u8>> {
        let file = self.file(fh)?;
        let (len, kept) = match self.unsynced.get(&ino) {
            Some(unsynced) => (unsynced.len, unsynced.kept),
            None => {
                let len = file.metadata()?.len();
                (len, len)
            }
        };
        let end = (offset + u64::from(size)).min(len);
        let mut out = vec![0; usize::try_from(end.saturating_sub(offset)).unwrap_or(0)];
        let mut at = offset;
        while at < end {
            let (index, in_page) = (at / PAGE, (at % PAGE) as usize);
            let n = (PAGE - at % PAGE).min(end - at) as usize;
            let into = &mut out[(at - offset) as usize..][..n];
            match self.unsynced.get(&ino).and_then(|u| u.pages.get(&index)) {
                Some(page) => into.copy_from_slice(&page[in_page..in_page + n]),
                None => read_backing(file, into, at, kept)?,
            }
            at += n as u64;
        }
        Ok(out)
    }

    fn write(&mut self, fh: u64, ino: u64, offset: u64, data: &[u8]) -> io::Result<()> {
        self.change()?;
        let file = self.files.get(&fh).ok_or_else(|| error(Errno::EBADF))?;
        let unsynced = unsynced_of(&mut self.unsynced, ino, || Ok(file.metadata()?.len()))?;
        let end = offset + data.len() as u64;
        let mut at = offset;
        while at < end {
            let (index, in_page) = (at / PAGE, (at % PAGE) as usize);
            let n = (PAGE - at % PAGE).min(end - at) as usize;
            let page = match unsynced.pages.entry(index) {
                btree_map::Entry::Occupied(entry) => entry.into_mut(),
                btree_map::Entry::Vacant(entry) => {
                    let mut page = vec![0; PAGE as usize];
                    read_backing(file, &mut page, index * PAGE, unsynced.kept)?;
                    entry.insert(page)
                }
            };
            page[in_page..in_page + n].copy_from_slice(&data[(at - offset) as usize..][..n]);
            at += n as u64;
        }
        unsynced.len = unsynced.len.max(end);
        unsynced.written += data.len() as u64;
        Ok(())
    }

    fn set_len(&mut self, ino: u64, len: u64) -> io::Result<()> {
        let path = self.inodes.path(ino)?;
        let unsynced = unsynced_of(&mut self.unsynced, ino, || Ok(fs::symlink_metadata(&path)?.len()))?;
        if len < unsynced.len {
            unsynced.pages.retain(|index, _| index * PAGE < len);
            if let Some(page) = unsynced.pages.get_mut(&(len / PAGE)) {
                page[(len % PAGE) as usize..].fill(0);
            }
            unsynced.kept = unsynced.kept.min(len);
        }
        unsynced.len = len;
        Ok(())
    }

    fn setattr(
        &mut self,
        ino: u64,
        mode: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
    ) -> io::Result<FileAttr> {
        self.change()?;
        let path = self.inodes.path(ino)?;
        if let Some(mode) = mode {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))?;
        }
        if let Some(size) = size {
            self.set_len(ino, size)?;
        }
        let when = |time: TimeOrNow| match time {
            TimeOrNow::SpecificTime(at) => at,
            TimeOrNow::Now => SystemTime::now(),
        };
        if atime.is_some() || mtime.is_some() {
            let mut set = fs::FileTimes::new();
            if let Some(atime) = atime {
                set = set.set_accessed(when(atime));
            }
            if let Some(mtime) = mtime {
                set = set.set_modified(when(mtime));
            }
            File::open(&path)?.set_times(set)?;
        }
        self.attr(ino, &path)
    }

    /// Makes the file's data durable: its unsynced pages and length go to the backing file,
    /// which is synced.
    fn fsync(&mut self, fh: u64, ino: u64, datasync: bool) -> io::Result<()> {
        self.change()?;
        let file = self.file(fh)?;
        if let Some(unsynced) = self.unsynced.get(&ino) {
            if unsynced.kept < file.metadata()?.len() {
                file.set_len(unsynced.kept)?;
            }
            file.set_len(unsynced.len)?;
            for (index, page) in &unsynced.pages {
                let n = (unsynced.len - index * PAGE).min(PAGE) as usize;
                file.write_all_at(&page[..n], index * PAGE)?;
            }
        }
        if datasync { file.sync_data() } else { file.sync_all() }?;
        self.unsynced.remove(&ino);
        self.stats.file_syncs += 1;
        Ok(())
    }

    /// Makes the folder's names durable: no change waits for it any more.
    fn fsyncdir(&mut self, ino: u64) -> io::Result<()> {
        self.change()?;
        File::open(self.inodes.path(ino)?)?.sync_all()?;
        for pending in &mut self.pending {
            pending.unsynced.remove(&ino);
        }
        self.pending.retain(|pending| !pending.unsynced.is_empty());
        self.stats.dir_syncs += 1;
        Ok(())
    }

    fn opendir(&mut self, ino: u64) -> io::Result<u64> {
        let path = self.inodes.path(ino)?;
        let parent = if ino == 1 { 1 } else { path.parent().map_or(1, |p| self.inodes.number(p)) };
        let mut listing = vec![(ino, FileType::Directory, ".".into()), (parent, FileType::Directory, "..".into())];
        for entry in fs::read_dir(&path)? {
            let entry = entry?;
            let kind = FileType::from_std(entry.file_type()?).unwrap_or(FileType::RegularFile);
            listing.push((self.inodes.number(&entry.path()), kind, entry.file_name()));
        }
        let fh = self.next_handle;
        self.next_handle += 1;
        self.listings.insert(fh, listing);
        Ok(fh)
    }

    fn existing(&self, at: &Name) -> Option<PathBuf> {
        self.child(at.dir, &at.name).ok().filter(|path| fs::symlink_metadata(path).is_ok())
    }

    /// Puts the entry at `path` back at `at`. Where `at`'s folder is gone, or a later change
    /// that was synced took the name, the entry is lost: it goes to the side folder.
    fn put_back(&mut self, path: &Path, at: &Name) {
        let target = self
            .child(at.dir, &at.name)
            .ok()
            .filter(|target| fs::symlink_metadata(target).is_err() && target.parent().is_some_and(Path::is_dir));
        match target.map(|target| fs::rename(path, &target).map(|()| target)) {
            Some(Ok(target)) => self.inodes.moved(path, &target),
            _ if !path.starts_with(&self.removed) => {
                let _ = self.set_aside(path);
            }
            _ => {}
        }
    }

    fn cut(&mut self) {
        self.stats.cuts += 1;
        self.failing = None;
        self.stats.bytes_dropped += self.unsynced.values().map(|u| u.written).sum::<u64>();
        self.unsynced.clear();
        while let Some(Pending { undo, .. }) = self.pending.pop() {
            self.stats.names_undone += 1;
            match undo {
                Undo::Made(at) => {
                    if let Some(path) = self.existing(&at) {
                        self.set_aside(&path).expect("setting aside an entry made before the cut");
                    }
                }
                Undo::Removed(at, aside) => self.put_back(&aside, &at),
                Undo::Renamed { from, to, replaced } => {
                    if let Some(path) = self.existing(&to) {
                        self.put_back(&path, &from);
                    }
                    if let Some(aside) = replaced {
                        self.put_back(&aside, &to);
                    }
                }
            }
        }
        // What was removed for good, or made and taken back, is gone.
        for entry in fs::read_dir(&self.removed).expect("the side folder") {
            let path = entry.expect("an entry of the side folder").path();
            let removed = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            removed.expect("removing what the cut dropped");
        }
        let removed = self.removed.clone();
        self.inodes.forget(&removed);
    }
}

/// The FUSE face of [`State`].
struct PassThrough {
    state: Arc<Mutex<State>>,
}

impl PassThrough {
    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

fn entry(reply: ReplyEntry, attr: io::Result<FileAttr>) {
    match attr {
        Ok(attr) => reply.entry(&TTL, &attr, Generation(0)),
        Err(e) => reply.error(e.into()),
    }
}

fn empty(reply: ReplyEmpty, done: io::Result<()>) {
    match done {
        Ok(()) => reply.ok(),
        Err(e) => reply.error(e.into()),
    }
}

fn opened(reply: ReplyOpen, fh: io::Result<u64>, flags: FopenFlags) {
    match fh {
        Ok(fh) => reply.opened(FileHandle(fh), flags),
        Err(e) => reply.error(e.into()),
    }
}

impl Filesystem for PassThrough {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        entry(reply, self.state().lookup(parent.0, name));
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        let state = self.state();
        match state.inodes.path(ino.0).and_then(|path| state.attr(ino.0, &path)) {
            Ok(attr) => reply.attr(&TTL, &attr),
            Err(e) => reply.error(e.into()),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        match self.state().setattr(ino.0, mode, size, atime, mtime) {
            Ok(attr) => reply.attr(&TTL, &attr),
            Err(e) => reply.error(e.into()),
        }
    }

    fn mkdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, mode: u32, umask: u32, reply: ReplyEntry) {
        entry(reply, self.state().mkdir(parent.0, name, mode & !umask));
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        empty(reply, self.state().remove(parent.0, name, false));
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        empty(reply, self.state().remove(parent.0, name, true));
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        if !flags.is_empty() {
            return reply.error(Errno::EINVAL);
        }
        let from = Name { dir: parent.0, name: name.to_owned() };
        let to = Name { dir: newparent.0, name: newname.to_owned() };
        empty(reply, self.state().rename(from, to));
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        opened(reply, self.state().open(ino.0), FopenFlags::FOPEN_DIRECT_IO);
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        match self.state().read(fh.0, ino.0, offset, size) {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(e.into()),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        match self.state().write(fh.0, ino.0, offset, data) {
            Ok(()) => reply.written(u32::try_from(data.len()).unwrap_or(u32::MAX)),
            Err(e) => reply.error(e.into()),
        }
    }

    fn flush(&self, _req: &Request, _ino: INodeNo, _fh: FileHandle, _lock_owner: LockOwner, reply: ReplyEmpty) {
        // close() makes nothing durable.
        reply.ok();
    }

    fn release(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.state().files.remove(&fh.0);
        reply.ok();
    }

    fn fsync(&self, _req: &Request, ino: INodeNo, fh: FileHandle, datasync: bool, reply: ReplyEmpty) {
        empty(reply, self.state().fsync(fh.0, ino.0, datasync));
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        opened(reply, self.state().opendir(ino.0), FopenFlags::empty());
    }

    fn readdir(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, offset: u64, mut reply: ReplyDirectory) {
        let state = self.state();
        let Some(listing) = state.listings.get(&fh.0) else { return reply.error(Errno::EBADF) };
        for (at, (ino, kind, name)) in listing.iter().enumerate().skip(usize::try_from(offset).unwrap_or(usize::MAX)) {
            if reply.add(INodeNo(*ino), at as u64 + 1, *kind, name) {
                break;
            }
        }
        reply.ok();
    }

    fn releasedir(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, _flags: OpenFlags, reply: ReplyEmpty) {
        self.state().listings.remove(&fh.0);
        reply.ok();
    }

    fn fsyncdir(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        empty(reply, self.state().fsyncdir(ino.0));
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let root = self.state().inodes.path(1);
        match root.and_then(|root| rustix::fs::statvfs(&root).map_err(io::Error::from)) {
            Ok(s) => reply.statfs(
                s.f_blocks,
                s.f_bfree,
                s.f_bavail,
                s.f_files,
                s.f_ffree,
                u32::try_from(s.f_bsize).unwrap_or(4096),
                u32::try_from(s.f_namemax).unwrap_or(255),
                u32::try_from(s.f_frsize).unwrap_or(4096),
            ),
            Err(e) => reply.error(e.into()),
        }
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        match self.state().create(parent.0, name, mode & !umask, flags) {
            Ok((attr, fh)) => reply.created(&TTL, &attr, Generation(0), FileHandle(fh), FopenFlags::FOPEN_DIRECT_IO),
            Err(e) => reply.error(e.into()),
        }
    }
}
