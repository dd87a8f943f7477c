//! Opening evidence files forensically and finding them under directories.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// Why an input path could not be used.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The path does not exist or cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

/// Opens a file read-only without updating its access time where the operating system allows
/// (`O_NOATIME` on Linux, which needs the caller to own the file or hold CAP_FOWNER; otherwise
/// the file is opened plainly, read-only).
pub fn open_evidence(path: &Path) -> io::Result<File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOATIME)
            .open(path)
        {
            Ok(f) => return Ok(f),
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
            Err(e) => return Err(e),
        }
    }
    OpenOptions::new().read(true).open(path)
}

/// Expands the given paths into the files to read: a file stands for itself; a directory is
/// searched recursively (symbolic links are not followed into other trees) and its regular files
/// are returned sorted by path, so that zeekctl's archive
/// (`YYYY-MM-DD/conn.HH:MM:SS-HH:MM:SS.log.gz`) and daily rotated logs come in time order.
/// Hidden files (names starting with `.`) inside directories are left out.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| InputError::Io {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let entries = std::fs::read_dir(dir).map_err(|source| InputError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| InputError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let file_type = entry.file_type().map_err(|source| InputError::Io {
            path: entry.path(),
            source,
        })?;
        if file_type.is_dir() {
            walk(&entry.path(), found)?;
        } else if file_type.is_file() {
            found.push(entry.path());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_directories_sorted_and_skips_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let day = dir.path().join("2025-06-22");
        std::fs::create_dir(&day).unwrap();
        std::fs::write(day.join("conn.01:00:00-02:00:00.log.gz"), b"").unwrap();
        std::fs::write(day.join("conn.00:00:00-01:00:00.log.gz"), b"").unwrap();
        std::fs::write(dir.path().join(".hidden"), b"").unwrap();
        let files = expand_paths(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "conn.00:00:00-01:00:00.log.gz",
                "conn.01:00:00-02:00:00.log.gz"
            ]
        );
        assert!(expand_paths(&[dir.path().join("missing")]).is_err());
    }

    #[test]
    fn opening_does_not_change_atime() {
        use std::io::Read;
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evidence.log");
        std::fs::write(&path, b"hello\n").unwrap();
        // Put the access time far in the past so that even relatime would update it.
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_times(std::fs::FileTimes::new().set_accessed(old))
            .unwrap();
        let before = std::fs::metadata(&path).unwrap().atime();
        let mut s = String::new();
        open_evidence(&path)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "hello\n");
        let after = std::fs::metadata(&path).unwrap().atime();
        assert_eq!(before, after, "reading evidence changed its access time");
    }
}
