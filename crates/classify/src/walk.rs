//! Walking a share copy: files opened read-only without touching their access time, symbolic
//! links never followed, unreadable files reported, several files classified at once.

use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::{Classifier, FileClassification};

/// One file's result.
#[derive(Debug, Clone)]
pub struct ScanEntry {
    /// Path relative to the scanned root, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes read.
    pub sha256: String,
    /// The classification, or why there is none.
    pub result: Result<FileClassification, String>,
}

/// Opens read-only with `O_NOATIME` where permitted (the owner or CAP_FOWNER), else plainly.
fn open_read_only(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    match OpenOptions::new().read(true).custom_flags(libc::O_NOATIME).open(path) {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => OpenOptions::new().read(true).open(path),
        other => other,
    }
}

/// Regular files under `root` (sorted), and the entries skipped (links, special files,
/// unreadable directories) with the reason.
pub fn list(root: &Path) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                skipped.push((dir, e.to_string()));
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_symlink() => skipped.push((path, "symbolic link not followed".into())),
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(t) if t.is_file() => files.push(path),
                Ok(_) => skipped.push((path, "not a regular file".into())),
                Err(e) => skipped.push((path, e.to_string())),
            }
        }
    }
    files.sort();
    (files, skipped)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

/// Classifies one file.
pub fn scan_file(classifier: &Classifier, root: &Path, path: &Path, max_bytes: u64) -> ScanEntry {
    let rel = relative(root, path);
    let mut bytes = Vec::new();
    let read = open_read_only(path).and_then(|f| f.take(max_bytes + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return ScanEntry { path: rel, size: 0, sha256: String::new(), result: Err(format!("unreadable: {e}")) };
    }
    let sha256 = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let size = bytes.len() as u64;
    if size > max_bytes {
        return ScanEntry { path: rel, size, sha256: String::new(), result: Err(format!("larger than the {max_bytes}-byte limit: not scanned")) };
    }
    let result = classifier.classify(&bytes).map_err(|e| e.to_string());
    ScanEntry { path: rel, size, sha256, result }
}

/// Classifies every file under `root` on `threads` threads; `progress` is called after each
/// file with (files done, bytes done).
pub fn scan_tree(classifier: &Classifier, root: &Path, threads: usize, max_bytes: u64, progress: &(dyn Fn(u64, u64) + Sync)) -> (Vec<ScanEntry>, Vec<(PathBuf, String)>) {
    let (files, skipped) = list(root);
    let queue = Mutex::new(files.into_iter().enumerate().collect::<VecDeque<_>>());
    let results = Mutex::new(Vec::new());
    let done = Mutex::new((0u64, 0u64));
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some((i, path)) = next else { break };
                let entry = scan_file(classifier, root, &path, max_bytes);
                let size = entry.size;
                if let Ok(mut r) = results.lock() {
                    r.push((i, entry));
                }
                if let Ok(mut d) = done.lock() {
                    d.0 += 1;
                    d.1 += size;
                    progress(d.0, d.1);
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    (results.into_iter().map(|(_, e)| e).collect(), skipped)
}
