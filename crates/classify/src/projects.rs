//! Which project a file on a share belongs to, for grouping what technical information was
//! read (report-v1 `technology`): the nearest directory above the file that holds a project's
//! build or manifest file (`Cargo.toml`, `Makefile`, `package.json`, a KiCad project, …) on the
//! share copy; without one, the file's top-level directory, and one level deeper when that is
//! a container of projects (`src`, `projects`, `開発`, …).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Files that mark a project's root.
const MARKERS: &[&str] = &[
    "Cargo.toml",
    "Makefile",
    "makefile",
    "CMakeLists.txt",
    "package.json",
    "pom.xml",
    "build.gradle",
    "go.mod",
    "setup.py",
    "pyproject.toml",
    "meson.build",
    "west.yml",
    "platformio.ini",
    ".git",
    "README.md",
];

/// Extensions of files that mark a project's root (KiCad and IDE projects).
const MARKER_EXTENSIONS: &[&str] = &["kicad_pro", "pro", "sln", "uvprojx", "ioc"];

/// Top-level directories that hold projects rather than being one.
const CONTAINERS: &[&str] = &[
    "src",
    "source",
    "projects",
    "project",
    "repos",
    "repositories",
    "products",
    "開発",
    "プロジェクト",
    "案件",
    "製品",
];

/// Finds project directories on a share copy, remembering what it looked at.
#[derive(Debug, Default)]
pub struct Projects {
    marked: HashMap<PathBuf, bool>,
}

impl Projects {
    /// The project directory (share-relative, `/`-separated; empty for the share's root) of
    /// `path` on the share copy at `root` (`None`: no copy, by the path alone).
    pub fn directory(&mut self, root: Option<&Path>, path: &str) -> String {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let dirs = parts.len().saturating_sub(1);
        if let Some(root) = root {
            for depth in (1..=dirs).rev() {
                let dir = parts[..depth].join("/");
                let full = root.join(&dir);
                let marked = *self
                    .marked
                    .entry(full.clone())
                    .or_insert_with(|| is_project_root(&full));
                if marked {
                    return dir;
                }
            }
        }
        match dirs {
            0 => String::new(),
            1 => parts[0].to_owned(),
            _ if CONTAINERS.contains(&parts[0].to_lowercase().as_str()) => parts[..2].join("/"),
            _ => parts[0].to_owned(),
        }
    }
}

fn is_project_root(dir: &Path) -> bool {
    if MARKERS.iter().any(|m| dir.join(m).exists()) {
        return true;
    }
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|e| {
            e.path()
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| MARKER_EXTENSIONS.contains(&x))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_marked_directory_else_by_path() {
        let dir = std::env::temp_dir().join(format!("bs-projects-{}", std::process::id()));
        let project = dir.join("projects/motor-ctrl");
        std::fs::create_dir_all(project.join("src/drivers")).unwrap_or_default();
        std::fs::write(project.join("Makefile"), "all:\n").unwrap_or_default();
        let mut p = Projects::default();
        assert_eq!(
            p.directory(Some(&dir), "projects/motor-ctrl/src/drivers/pwm.c"),
            "projects/motor-ctrl"
        );
        assert_eq!(p.directory(Some(&dir), "docs/a/b.docx"), "docs");
        assert_eq!(p.directory(None, "src/inverter/main.rs"), "src/inverter");
        assert_eq!(p.directory(None, "top.txt"), "");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
