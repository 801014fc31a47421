//! `--state-file`: when each table's content was last verified, per
//! replica, so that runs which cannot cover every table within `-t` go on
//! in rotation, least recently verified first. Written whole to a new file
//! that is synced and then renamed over the old one: a crash mid-write
//! leaves the old state or the new, never half of one. A file that does
//! not parse is refused (UNKNOWN naming it), not silently restarted.

use super::passes::PassEntry;
use crate::model::Key;
use crate::plugin::Failure;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const FORMAT: &str = "check_mysql_drift content state";

/// One table: when its content was last verified, and when the file
/// first listed it (the age of a table never verified counts from then).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Entry {
    db: String,
    table: String,
    verified: Option<u64>,
    seen: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct StateFile {
    format: String,
    version: u32,
    /// By replica address.
    replicas: BTreeMap<String, Vec<Entry>>,
    /// Big tables' passes, by replica address.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    passes: BTreeMap<String, Vec<PassEntry>>,
}

fn corrupt(path: &Path, why: impl std::fmt::Display) -> Failure {
    Failure::unknown(format!(
        "state file {} is corrupt ({why}); remove it to start the rotation over",
        path.display()
    ))
}

impl StateFile {
    /// The state at `path`; none yet when the file does not exist.
    pub(super) fn load(path: &Path) -> Result<StateFile, Failure> {
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(StateFile {
                    format: FORMAT.into(),
                    version: 1,
                    ..StateFile::default()
                })
            }
            Err(e) => {
                let why = format!("cannot read state file {}: {e}", path.display());
                return Err(Failure::unknown(why));
            }
        };
        let state: StateFile = serde_json::from_slice(&text).map_err(|e| corrupt(path, e))?;
        if state.format != FORMAT || state.version != 1 {
            return Err(corrupt(path, "not a state file of this plugin"));
        }
        Ok(state)
    }

    /// When each table of `replica` was last verified (never: 0).
    pub(super) fn verified(&self, replica: &str) -> BTreeMap<Key, u64> {
        let entries = self.replicas.get(replica).map_or(&[][..], Vec::as_slice);
        entries
            .iter()
            .map(|e| {
                let key = Key::table(Arc::from(e.db.as_str()), e.table.as_str());
                (key, e.verified.unwrap_or(0))
            })
            .collect()
    }

    /// The big tables of `replica` and their passes.
    pub(super) fn passes(&self, replica: &str) -> BTreeMap<Key, PassEntry> {
        let entries = self.passes.get(replica).map_or(&[][..], Vec::as_slice);
        entries
            .iter()
            .map(|e| {
                let key = Key::table(Arc::from(e.db.as_str()), e.table.as_str());
                (key, e.clone())
            })
            .collect()
    }

    /// Replaces the passes of `replica`.
    pub(super) fn set_passes(&mut self, replica: &str, entries: Vec<PassEntry>) {
        match entries.is_empty() {
            true => self.passes.remove(replica),
            false => self.passes.insert(replica.to_string(), entries),
        };
    }

    /// Takes in one run of `replica`: its tables now (others are
    /// forgotten), those verified at `now`. Returns the age in seconds of
    /// the least recently verified table.
    pub(super) fn update(
        &mut self,
        replica: &str,
        tables: &BTreeSet<Key>,
        verified: &BTreeSet<Key>,
        now: u64,
    ) -> Option<u64> {
        let old: BTreeMap<(String, String), Entry> = self
            .replicas
            .remove(replica)
            .unwrap_or_default()
            .into_iter()
            .map(|e| ((e.db.clone(), e.table.clone()), e))
            .collect();
        let entries: Vec<Entry> = tables
            .iter()
            .map(|k| {
                let (db, table) = (
                    k.db().to_string(),
                    k.table_name().unwrap_or_default().to_string(),
                );
                let mut e = old
                    .get(&(db.clone(), table.clone()))
                    .cloned()
                    .unwrap_or(Entry {
                        db,
                        table,
                        verified: None,
                        seen: now,
                    });
                if verified.contains(k) {
                    e.verified = Some(now);
                }
                e
            })
            .collect();
        let oldest = entries
            .iter()
            .map(|e| now.saturating_sub(e.verified.unwrap_or(e.seen)))
            .max();
        self.replicas.insert(replica.to_string(), entries);
        oldest
    }

    /// Writes the state to `path`: a new file with the old one's mode and
    /// owner, synced, renamed over the old one, and the directory synced.
    /// The new file never stays behind: removed when any step fails, and
    /// those of writers that died mid-write (a timeout ends the process
    /// wherever it is) removed by the next run.
    pub(super) fn save(&self, path: &Path) -> Result<(), Failure> {
        let fail = |e: std::io::Error| {
            Failure::unknown(format!("cannot write state file {}: {e}", path.display()))
        };
        let text = serde_json::to_vec(self).map_err(|e| fail(std::io::Error::other(e)))?;
        remove_stale_temporaries(path);
        let tmp = temporary(path);
        let written = write_new(&tmp, &text, path).and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(fail(e));
        }
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Ok(dir) = std::fs::File::open(dir.unwrap_or(Path::new("."))) {
            // Makes the rename itself durable; some file systems refuse.
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// `tmp` holding `text`, synced, with the mode and owner of `old` when
/// that exists (a file made 0444 or given to another user stays so).
fn write_new(tmp: &Path, text: &[u8], old: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mut file = std::fs::File::create(tmp)?;
    if let Ok(meta) = std::fs::metadata(old) {
        file.set_permissions(meta.permissions())?;
        std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()))?;
    }
    file.write_all(text)?;
    file.sync_all()
}

/// `FILE.tmp.PID` beside `FILE`: on the same file system, so the rename
/// is atomic; per process, so two runs at once do not share it.
fn temporary(path: &Path) -> PathBuf {
    temporary_of(path, std::process::id())
}

fn temporary_of(path: &Path, pid: u32) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp.{pid}"));
    path.with_file_name(name)
}

/// Removes the `FILE.tmp.PID` of processes that no longer run.
fn remove_stale_temporaries(path: &Path) {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let Ok(entries) = std::fs::read_dir(dir.unwrap_or(Path::new("."))) else {
        return;
    };
    let prefix = format!("{name}.tmp.");
    for entry in entries.flatten() {
        let file = entry.file_name();
        let pid = file.to_str().and_then(|f| f.strip_prefix(&prefix));
        let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(temporary_of(path, pid));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(t: &str) -> Key {
        Key::table("d".into(), t)
    }

    fn set(keys: &[&str]) -> BTreeSet<Key> {
        keys.iter().map(|k| key(k)).collect()
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("drift-state-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("state.json")
    }

    #[test]
    fn rotation_remembers_and_ages() {
        let path = scratch("rotation");
        let _ = std::fs::remove_file(&path);
        let mut s = StateFile::load(&path).unwrap();
        let age = s.update("r:1", &set(&["a", "b"]), &set(&["a"]), 100);
        assert_eq!(age, Some(0), "b is new: its age counts from now");
        s.save(&path).unwrap();
        let mut s = StateFile::load(&path).unwrap();
        assert_eq!(s.verified("r:1")[&key("a")], 100);
        assert_eq!(s.verified("r:1")[&key("b")], 0);
        let age = s.update("r:1", &set(&["a", "b", "c"]), &set(&["b"]), 160);
        assert_eq!(age, Some(60), "a verified 60 s ago, b now, c new");
        let age = s.update("r:1", &set(&["b"]), &set(&[]), 200);
        assert_eq!(age, Some(40), "dropped tables are forgotten");
        assert!(s.verified("other:2").is_empty());
    }

    #[test]
    fn corrupt_or_foreign_files_are_refused() {
        let path = scratch("corrupt");
        for text in [
            "{\"format\":\"check_mysql_drift content st",
            "[1,2]",
            "{\"format\":\"x\",\"version\":1,\"replicas\":{}}",
        ] {
            std::fs::write(&path, text).unwrap();
            let e = StateFile::load(&path).unwrap_err();
            assert!(
                e.message.contains("is corrupt") && e.message.contains("state.json"),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn a_crash_mid_write_leaves_the_old_state() {
        let path = scratch("crash");
        let mut s = StateFile::load(&path).unwrap();
        s.update("r:1", &set(&["a"]), &set(&["a"]), 5);
        s.save(&path).unwrap();
        // A writer that died after writing part of its new file: the
        // half-written file is the temporary one, never `path`.
        std::fs::write(temporary(&path), b"{\"format\":").unwrap();
        assert_eq!(
            StateFile::load(&path).unwrap().verified("r:1")[&key("a")],
            5
        );
        s.save(&path).unwrap();
        assert!(!temporary(&path).exists(), "the next save replaces it");
    }

    /// The file left by a writer that died (a PID that runs no more) is
    /// removed by the next save; a failed save leaves none of its own.
    #[test]
    fn no_temporary_file_stays_behind() {
        let path = scratch("stale");
        let s = StateFile::load(&path).unwrap();
        // Above any PID Linux gives (pid_max is at most 2^22).
        let dead = temporary_of(&path, 4_194_999);
        std::fs::write(&dead, b"{").unwrap();
        s.save(&path).unwrap();
        assert!(!dead.exists(), "a dead writer's file is removed");
        // A directory where the file should go: the rename fails.
        let blocked = scratch("blocked");
        std::fs::create_dir_all(blocked.join("sub")).unwrap();
        let e = s.save(&blocked).unwrap_err();
        assert!(
            e.message.starts_with("cannot write state file"),
            "{}",
            e.message
        );
        assert!(
            !temporary(&blocked).exists(),
            "the failed save's file is removed"
        );
    }

    /// Replacing the file keeps its mode (a 0444 file stays 0444).
    #[test]
    fn the_file_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let path = scratch("mode");
        let s = StateFile::load(&path).unwrap();
        s.save(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        s.save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o444);
    }
}
