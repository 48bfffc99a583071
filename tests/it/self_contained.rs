//! The repository carries its own documents: no file points at the product brief or the seed
//! articles beside the repository, which a clone does not have.

use std::path::{Path, PathBuf};

const OUTSIDE: [&str; 4] =
    ["../shared/DESIGN", "../shared/VIEWS", "../shared/STYLE", "../shared/seeds"];
const SKIP_DIRS: [&str; 5] = ["target", ".git", ".tools", "data", "artifacts"];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !SKIP_DIRS.iter().any(|s| name == *s) {
                files(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_file_refers_to_a_path_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repository root");
    let mut all = Vec::new();
    files(root, &mut all);
    assert!(all.len() > 50, "walked too few files: {}", all.len());
    let mut offenders = Vec::new();
    for path in all {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if path.ends_with("self_contained.rs") {
            continue;
        }
        for needle in OUTSIDE {
            if text.contains(needle) {
                offenders.push(format!("{} mentions {needle}", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}
