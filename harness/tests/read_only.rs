//! A read-only artifacts folder is a clear error, naming the folder, before any work.
//!
//! As an ordinary user the folder is made read-only with its permissions; as root (who writes
//! through permissions) a read-only tmpfs is mounted on it, and the test fails, saying why, if
//! that mount is refused.

mod common;

use common::{harness_bin, SMALL};
use std::path::Path;
use std::process::Command;

/// Makes `dir` read-only for this user; returns a guard that undoes it.
struct ReadOnly<'a> {
    dir: &'a Path,
    mounted: bool,
}

impl<'a> ReadOnly<'a> {
    fn new(dir: &'a Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .expect("cannot run `id -u`");
        let root = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        if root {
            let out = Command::new("mount")
                .args(["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs"])
                .arg(dir)
                .output()
                .expect("cannot run `mount`");
            assert!(
                out.status.success(),
                "as root, a read-only folder needs a read-only mount, which was refused: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        } else {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        }
        ReadOnly { dir, mounted: root }
    }
}

impl Drop for ReadOnly<'_> {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(self.dir).status();
        } else {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(self.dir, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn read_only_artifacts_folder_is_an_error_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("small.yaml");
    std::fs::write(&manifest, SMALL).unwrap();
    let artifacts = tmp.path().join("artifacts");
    let _guard = ReadOnly::new(&artifacts);
    let out = harness_bin()
        .arg("--artifacts")
        .arg(&artifacts)
        .arg("run")
        .arg(&manifest)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let cache = artifacts.join("cache");
    assert!(
        stderr.contains(&format!(
            "error: the artifacts folder cannot be written at {}",
            cache.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was run"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "work was reported: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
