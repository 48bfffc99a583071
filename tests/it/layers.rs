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
    // The auditor decides every signed command again: it runs every service's rules.
    (
        "reform-audit",
        &["reform-shared", "reform-directory", "reform-tasks", "reform-evidence", "reform-scoring"],
    ),
    // The dashboard reads; it sends no command, so it uses no command service but evidence's
    // client (documents served digest-checked).
    (
        "reform-gateway",
        &["reform-shared", "reform-audit", "reform-evidence", "reform-projector", "reform-rollup"],
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
