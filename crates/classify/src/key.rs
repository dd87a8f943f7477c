//! The per-installation key of the keyed hashes: 32 random bytes in a file readable by its
//! owner only (mode 0600), created on first use.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The default key path: `$XDG_CONFIG_HOME/breachscope/hash.key`, else
/// `~/.config/breachscope/hash.key`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("breachscope").join("hash.key"))
}

/// Reads the key at `path`, creating it (and its folder) with mode 0600 when absent.
pub fn load_or_create(path: &Path) -> std::io::Result<Vec<u8>> {
    match std::fs::File::open(path) {
        Ok(mut f) => {
            let mut key = Vec::new();
            f.read_to_end(&mut key)?;
            if key.len() < 16 {
                return Err(std::io::Error::other(format!(
                    "{}: key shorter than 16 bytes",
                    path.display()
                )));
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut key = vec![0u8; 32];
            std::fs::File::open("/dev/urandom")?.read_exact(&mut key)?;
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)?;
            f.write_all(&key)?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_private_and_stable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/hash.key");
        let a = load_or_create(&path).unwrap();
        let b = load_or_create(&path).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
