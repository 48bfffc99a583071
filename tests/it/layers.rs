//! The house's layers, checked: which workspace crate may depend on which (normal
//! dependencies, as `cargo metadata` reads the manifests). A new edge between crates is a
//! decision, made here and in ARCHITECTURE.md's "Layers", never a side effect of an import.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Each workspace crate and the workspace crates it may use.
const LAYERS: &[(&str, &[&str])] = &[
    // The wire, the log and the runtime every part shares; it knows no service.
    ("reform-shared", &[]),
    // The read model: pure, over the wire types only.
    ("reform-views", &["reform-shared"]),
    // The command services decide alone; the directory's rules are every service's.
    ("reform-directory", &["reform-shared"]),
    ("reform-tasks", &["reform-shared", "reform-directory"]),
    ("reform-evidence", &["reform-shared", "reform-directory"]),
    ("reform-scoring", &["reform-shared", "reform-directory"]),
    // The projector keeps the read model; the rollup closes periods with its views.
    ("reform-projector", &["reform-shared", "reform-views"]),
    ("reform-rollup", &["reform-shared", "reform-projector"]),
    // The log's publication: tiles and checkpoints from the log, and the witnesses' answers.
    ("reform-tlog", &["reform-shared"]),
    // The auditor decides every signed command again: it runs every service's rules.
    (
        "reform-audit",
        &["reform-shared", "reform-directory", "reform-tasks", "reform-evidence", "reform-scoring"],
    ),
    // The dashboard reads; it sends no command, so it uses no command service but evidence's
    // client (documents served digest-checked).
    (
        "reform-gateway",
        &[
            "reform-shared",
            "reform-audit",
            "reform-evidence",
            "reform-projector",
            "reform-rollup",
            "reform-tlog",
        ],
    ),
    // The edge: the CLI and the embedded default run everything.
    (
        "reformctl",
        &[
            "reform-shared",
            "reform-directory",
            "reform-tasks",
            "reform-evidence",
            "reform-scoring",
            "reform-projector",
            "reform-rollup",
            "reform-audit",
            "reform-gateway",
            "reform-tlog",
        ],
    ),
];

#[test]
fn each_crate_uses_only_the_layers_below_it() {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let packages = metadata["packages"].as_array().expect("packages");
    let ours: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut actual: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for package in packages {
        let name = package["name"].as_str().expect("a name");
        let normal = package["dependencies"].as_array().expect("dependencies").iter().filter(|d| {
            d["kind"].is_null() && d["name"].as_str().is_some_and(|n| ours.contains(n))
        });
        actual.insert(name, normal.filter_map(|d| d["name"].as_str()).collect());
    }
    actual.remove("integration-tests");
    let allowed: BTreeMap<&str, BTreeSet<&str>> =
        LAYERS.iter().map(|(name, uses)| (*name, uses.iter().copied().collect())).collect();
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        allowed.keys().collect::<Vec<_>>(),
        "every workspace crate has its place in LAYERS"
    );
    for (name, uses) in &actual {
        let extra: Vec<_> = uses.difference(&allowed[name]).collect();
        let gone: Vec<_> = allowed[name].difference(uses).collect();
        assert!(extra.is_empty(), "{name} uses {extra:?}, which LAYERS does not allow it");
        assert!(gone.is_empty(), "{name} no longer uses {gone:?}: take it out of LAYERS");
    }
}

/// The files of each crate import one another without a circle, so each file has a floor: the
/// state below the commands, the commands below the runtime's glue, the parts of a report
/// below the report. A file's imports are the modules its code names through `crate::`,
/// `super::` and `self::`, and the child modules it names (tests left out). A module's own
/// children are its parts, not its imports: it declares them and hands their names on. So the
/// crate's root (`lib.rs`, `main.rs`), which names every module, stands above the graph.
#[test]
fn the_files_of_each_crate_import_each_other_without_a_circle() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut circles = Vec::new();
    for crate_dir in
        ["shared", "shared/views", "services"].iter().flat_map(|d| crate_dirs(&root.join(d)))
    {
        let graph = files::graph(&crate_dir.join("src"));
        for circle in files::circles(&graph) {
            let edges: Vec<String> = circle
                .iter()
                .flat_map(|m| {
                    graph[m]
                        .iter()
                        .filter(|u| circle.contains(u))
                        .map(move |u| format!("{m} -> {u}"))
                })
                .collect();
            let name = crate_dir.strip_prefix(root).unwrap_or(&crate_dir).display().to_string();
            circles.push(format!("{name}: {}", edges.join(", ")));
        }
    }
    assert!(circles.is_empty(), "files that import each other in a loop:\n{}", circles.join("\n"));
}

/// `dir` itself when it is a crate, else the crates right under it.
fn crate_dirs(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    if dir.join("Cargo.toml").exists() {
        return vec![dir.to_owned()];
    }
    let mut dirs: Vec<_> = std::fs::read_dir(dir)
        .expect("a folder of crates")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.join("Cargo.toml").exists())
        .collect();
    dirs.sort();
    dirs
}

mod files {
    //! A crate's files as a graph of module paths, read from the source text.

    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    pub type Graph = BTreeMap<String, BTreeSet<String>>;

    /// Every module file under `src` (`a::b` for `a/b.rs` or `a/b/mod.rs`) and the modules it
    /// names.
    pub fn graph(src: &Path) -> Graph {
        let mut texts = BTreeMap::new();
        read(src, src, &mut texts);
        let modules: BTreeSet<String> = texts.keys().cloned().collect();
        texts
            .iter()
            .filter(|(module, _)| !module.is_empty())
            .map(|(module, text)| {
                let uses = named(module, text)
                    .into_iter()
                    .filter_map(|path| resolve(&path, &modules))
                    .filter(|used| !used.is_empty() && !within(used, module))
                    .collect();
                (module.clone(), uses)
            })
            .collect()
    }

    fn read(src: &Path, dir: &Path, texts: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                read(src, &path, texts);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).expect("under src").with_extension("");
                let mut parts: Vec<String> =
                    relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                    parts.pop();
                }
                let text = std::fs::read_to_string(&path).expect("a source file");
                texts.insert(parts.join("::"), without_tests(&text));
            }
        }
    }

    /// The text before its unit tests, without comments.
    fn without_tests(text: &str) -> String {
        let end = text.find("#[cfg(test)]\nmod ").unwrap_or(text.len());
        text[..end]
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The absolute module paths `text` (the file of `module`) names, item names included.
    fn named(module: &str, text: &str) -> Vec<Vec<String>> {
        let here: Vec<String> = module.split("::").map(str::to_owned).collect();
        let children: BTreeSet<String> = text
            .lines()
            .filter_map(|l| l.trim().trim_start_matches("pub ").strip_prefix("mod "))
            .filter_map(|l| l.strip_suffix(';'))
            .map(str::to_owned)
            .collect();
        let mut out = Vec::new();
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < text.len() {
            let start = at;
            while at < text.len()
                && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_' || bytes[at] == b':')
            {
                at += 1;
            }
            if at == start {
                at += 1;
                continue;
            }
            let preceded =
                start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
            let path: Vec<&str> = text[start..at].split("::").filter(|s| !s.is_empty()).collect();
            let group = text[at..].starts_with('{') && text[start..at].ends_with("::");
            if preceded || (path.len() < 2 && !group) {
                continue;
            }
            let base: Vec<String> = match path[0] {
                "crate" => Vec::new(),
                "super" => here[..here.len() - 1].to_vec(),
                "self" => here.clone(),
                first if children.contains(first) => {
                    let mut base = here.clone();
                    base.push(first.to_owned());
                    out.push(
                        base.iter()
                            .cloned()
                            .chain(path[1..].iter().map(|s| s.to_string()))
                            .collect(),
                    );
                    continue;
                }
                _ => continue,
            };
            out.push(base.into_iter().chain(path[1..].iter().map(|s| s.to_string())).collect());
            // `crate::{a::{X, Y}, b}`: each part of the group, as if written whole.
            if group {
                for part in parts(&text[at + 1..]) {
                    out.extend(named(module, &format!("{}{part}", &text[start..at])));
                }
            }
        }
        out
    }

    /// The top-level parts of a `{...}` group whose text starts after its `{`, each with the
    /// `x` of `a::{x}` left for `named` to read (a nested group keeps its braces).
    fn parts(text: &str) -> Vec<String> {
        let (mut depth, mut part, mut out) = (0, String::new(), Vec::new());
        for c in text.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(std::mem::take(&mut part));
                    continue;
                }
                _ => {}
            }
            part.push(c);
        }
        out.push(part);
        out.into_iter().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect()
    }

    /// Whether `module` is `parent` or one of its parts.
    fn within(module: &str, parent: &str) -> bool {
        module == parent || module.starts_with(&format!("{parent}::"))
    }

    /// The longest module that `path` starts with.
    fn resolve(path: &[String], modules: &BTreeSet<String>) -> Option<String> {
        (0..=path.len()).rev().map(|n| path[..n].join("::")).find(|m| modules.contains(m))
    }

    /// The circles of `graph`: its strongly connected parts of more than one module, each
    /// listed from its first module.
    pub fn circles(graph: &Graph) -> Vec<Vec<String>> {
        let mut found: Vec<Vec<String>> = Vec::new();
        for start in graph.keys() {
            if found.iter().any(|c| c.contains(start)) {
                continue;
            }
            let ahead = reach(graph, start);
            let part: Vec<String> = ahead
                .iter()
                .filter(|m| *m != start && reach(graph, m).contains(start))
                .cloned()
                .collect();
            if !part.is_empty() {
                found.push(std::iter::once(start.clone()).chain(part).collect());
            }
        }
        found
    }

    fn reach(graph: &Graph, from: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(m) = todo.pop() {
            for next in graph.get(&m).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    }
}
