//! The classification cache: results keyed by path and validated by size and modification time
//! (and the content hash recorded with them), so that a rescan reads only files that changed.
//! One JSON object per line; it holds keyed hashes and masked samples, never clear values.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::FileClassification;

/// A cached result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// Absolute path.
    pub path: String,
    /// Size when classified.
    pub size: u64,
    /// Modification time (ns since the epoch) when classified.
    pub mtime_ns: i128,
    /// SHA-256 of the content classified.
    pub sha256: String,
    /// The result.
    pub classification: Option<FileClassification>,
    /// Why there is no result.
    pub error: Option<String>,
    /// The [`crate::CLASSIFIER_VERSION`] that classified it (0 before versions were kept):
    /// a result of another version is classified again.
    #[serde(default)]
    pub classifier: u32,
}

/// The cache file and its entries.
#[derive(Debug, Default)]
pub struct Cache {
    path: Option<PathBuf>,
    entries: HashMap<String, CacheEntry>,
}

/// Size and modification time of a file, as the cache compares them.
pub fn stamp(meta: &std::fs::Metadata) -> (u64, i128) {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    (meta.len(), mtime)
}

impl Cache {
    /// Loads the cache at `path` (an absent or damaged file gives an empty cache: damaged lines
    /// are skipped and re-scanned).
    pub fn open(path: &Path) -> Self {
        let mut entries = HashMap::new();
        if let Ok(f) = std::fs::File::open(path) {
            for line in BufReader::new(f).lines().map_while(Result::ok) {
                if let Ok(e) = serde_json::from_str::<CacheEntry>(&line) {
                    entries.insert(e.path.clone(), e);
                }
            }
        }
        Cache {
            path: Some(path.to_path_buf()),
            entries,
        }
    }

    /// An entry still valid for a file of this size and modification time.
    pub fn get(&self, path: &str, size: u64, mtime_ns: i128) -> Option<&CacheEntry> {
        self.entries.get(path).filter(|e| {
            e.size == size && e.mtime_ns == mtime_ns && e.classifier == crate::CLASSIFIER_VERSION
        })
    }

    /// Records a result.
    pub fn put(&mut self, entry: CacheEntry) {
        self.entries.insert(entry.path.clone(), entry);
    }

    /// Writes the cache back (mode 0600: it describes what the files hold).
    pub fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        {
            use std::os::unix::fs::OpenOptionsExt;
            let f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            let mut w = std::io::BufWriter::new(f);
            let mut keys: Vec<&String> = self.entries.keys().collect();
            keys.sort();
            for k in keys {
                if let Some(e) = self.entries.get(k) {
                    serde_json::to_writer(&mut w, e).map_err(std::io::Error::other)?;
                    w.write_all(b"\n")?;
                }
            }
            w.flush()?;
        }
        std::fs::rename(tmp, path)
    }
}
