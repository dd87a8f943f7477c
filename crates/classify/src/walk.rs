//! Walking a share copy: files opened read-only without touching their access time, symbolic
//! links never followed, unreadable files reported, several files classified at once.

use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::cache::{Cache, CacheEntry, stamp};
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
    match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOATIME)
        .open(path)
    {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => OpenOptions::new().read(true).open(path),
        other => other,
    }
}

/// Regular files under `root` (sorted), and the entries skipped (links, special files,
/// unreadable directories) with the reason. A `root` that is a file is the one file listed.
pub fn list(root: &Path) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    if std::fs::metadata(root).is_ok_and(|m| m.is_file()) {
        return (vec![root.to_path_buf()], skipped);
    }
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
                Ok(t) if t.is_symlink() => {
                    skipped.push((path, "symbolic link not followed".into()))
                }
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

/// `path` relative to `root`, `/`-separated; a file scanned as its own root is its name.
fn relative(root: &Path, path: &Path) -> String {
    if path == root {
        return path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
    }
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Classifies one file.
pub fn scan_file(classifier: &Classifier, root: &Path, path: &Path, max_bytes: u64) -> ScanEntry {
    let rel = relative(root, path);
    // Each scanning thread reads its files into one buffer, kept between files: a fresh
    // allocation per file costs more in page faults than searching a small file.
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|bytes| {
        bytes.clear();
        let read = open_read_only(path).and_then(|f| {
            let size = f.metadata().map_or(0, |m| m.len()).min(max_bytes + 1);
            bytes.reserve(usize::try_from(size).unwrap_or(0).saturating_add(1));
            f.take(max_bytes + 1).read_to_end(bytes)
        });
        let entry = match read {
            Err(e) => ScanEntry {
                path: rel,
                size: 0,
                sha256: String::new(),
                result: Err(format!("unreadable: {e}")),
            },
            Ok(_) if bytes.len() as u64 > max_bytes => ScanEntry {
                path: rel,
                size: bytes.len() as u64,
                sha256: String::new(),
                result: Err(format!(
                    "larger than the {max_bytes}-byte limit: not scanned"
                )),
            },
            Ok(_) => ScanEntry {
                path: rel,
                size: bytes.len() as u64,
                sha256: breachscope_model::hex(&Sha256::digest(bytes.as_slice())),
                result: classifier.classify(bytes).map_err(|e| e.to_string()),
            },
        };
        if bytes.capacity() > KEPT_BUFFER {
            *bytes = Vec::new();
        }
        entry
    })
}

/// Largest read buffer a scanning thread keeps for its next file.
const KEPT_BUFFER: usize = 64 << 20;

/// Classifies every file under `root` on `threads` threads, reusing `cache` entries whose size
/// and modification time still match (those files are not read) and adding the new results to
/// it; with no cache, every file is read and nothing is kept. `progress` is called after
/// each file with (files done, bytes done). Returns the entries, the paths skipped with the
/// reason, and how many results came from the cache.
pub fn scan_tree(
    classifier: &Classifier,
    root: &Path,
    threads: usize,
    max_bytes: u64,
    mut cache: Option<&mut Cache>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> (Vec<ScanEntry>, Vec<(PathBuf, String)>, u64) {
    let (all, skipped) = list(root);
    let mut results: Vec<(usize, ScanEntry)> = Vec::new();
    let mut files = Vec::new();
    let mut cached = 0u64;
    for (i, path) in all.into_iter().enumerate() {
        let Some(cache) = cache.as_deref() else {
            files.push((i, path, String::new()));
            continue;
        };
        let absolute = std::fs::canonicalize(&path)
            .unwrap_or_else(|_| path.clone())
            .display()
            .to_string();
        let hit = std::fs::symlink_metadata(&path).ok().and_then(|m| {
            let (size, mtime) = stamp(&m);
            cache.get(&absolute, size, mtime).cloned()
        });
        match hit {
            Some(e) => {
                cached += 1;
                let result = match (e.classification, e.error) {
                    (Some(c), _) => Ok(c),
                    (None, err) => Err(err.unwrap_or_else(|| "not scanned".into())),
                };
                results.push((
                    i,
                    ScanEntry {
                        path: relative(root, &path),
                        size: e.size,
                        sha256: e.sha256,
                        result,
                    },
                ));
            }
            None => files.push((i, path, absolute)),
        }
    }
    // Largest first: the last files to finish are then small ones, and no thread sits idle
    // while another reads a big file alone at the end.
    if threads > 1 {
        files.sort_by_cached_key(|(_, path, _)| {
            std::cmp::Reverse(std::fs::symlink_metadata(path).map_or(0, |m| m.len()))
        });
    }
    let queue = Mutex::new(files.into_iter().collect::<VecDeque<_>>());
    let fresh = Mutex::new(Vec::new());
    let done = Mutex::new((0u64, 0u64));
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some((i, path, absolute)) = next else {
                        break;
                    };
                    let stamp_before = if absolute.is_empty() {
                        None
                    } else {
                        std::fs::symlink_metadata(&path).ok().map(|m| stamp(&m))
                    };
                    let entry = scan_file(classifier, root, &path, max_bytes);
                    let size = entry.size;
                    if let Ok(mut r) = fresh.lock() {
                        r.push((i, absolute, stamp_before, entry));
                    }
                    if let Ok(mut d) = done.lock() {
                        d.0 += 1;
                        d.1 += size;
                        progress(d.0, d.1);
                    }
                }
            });
        }
    });
    for (i, absolute, stamp_before, entry) in fresh.into_inner().unwrap_or_default() {
        if let (Some(cache), Some((size, mtime_ns))) = (cache.as_deref_mut(), stamp_before) {
            cache.put(CacheEntry {
                path: absolute,
                size,
                mtime_ns,
                sha256: entry.sha256.clone(),
                classification: entry.result.as_ref().ok().cloned(),
                error: entry.result.as_ref().err().cloned(),
                classifier: crate::CLASSIFIER_VERSION,
            });
        }
        results.push((i, entry));
    }
    results.sort_by_key(|(i, _)| *i);
    (
        results.into_iter().map(|(_, e)| e).collect(),
        skipped,
        cached,
    )
}
