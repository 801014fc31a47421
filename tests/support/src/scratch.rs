//! Scratch files, removed when dropped.

/// A file of a test's own in a folder of its own under the temp folder,
/// removed with the folder when dropped (also when the test fails).
pub struct Scratch {
    dir: std::path::PathBuf,
    pub path: std::path::PathBuf,
}

impl Scratch {
    pub fn new(name: &str, contents: &str) -> Scratch {
        // Tests run at the same time: a folder of its own for each file.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("cmd-it-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        Scratch { dir, path }
    }

    pub fn path_str(&self) -> &str {
        self.path.to_str().expect("a UTF-8 temp path")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
