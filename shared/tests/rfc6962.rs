//! The log's Merkle tree and proofs against the published RFC 6962 test vectors
//! (`tests/rfc6962/`, transparency-dev's testdata): every happy path verifies and matches the
//! proof our tree produces; every altered vector is refused.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use serde::Deserialize;
use sha2::Digest as _;
use std::path::{Path, PathBuf};

/// RFC 6962's reference leaves, in order.
const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inclusion {
    leaf_idx: i128,
    tree_size: i128,
    root: Option<String>,
    leaf_hash: Option<String>,
    proof: Option<Vec<String>>,
    want_err: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Consistency {
    size1: i128,
    size2: i128,
    root1: Option<String>,
    root2: Option<String>,
    proof: Option<Vec<String>>,
    want_err: bool,
}

fn b64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).expect("base64 in a vector")
}

/// A proof's hashes, end to end; `None` when one is not a SHA-256 (a proof is a list of
/// hashes, so an empty or short element makes it malformed, whatever the bytes add up to).
fn concat(proof: &Option<Vec<String>>) -> Option<Vec<u8>> {
    let hashes: Vec<Vec<u8>> = proof.iter().flatten().map(|p| b64(p)).collect();
    hashes.iter().all(|h| h.len() == 32).then(|| hashes.concat())
}

fn digest(text: &Option<String>) -> Option<sha2::digest::Output<sha2::Sha256>> {
    let bytes = b64(text.as_deref()?);
    sha2::digest::Output::<sha2::Sha256>::try_from(bytes.as_slice()).ok()
}

fn leaf(i: usize) -> Vec<u8> {
    hex::decode(LEAVES[i]).expect("hex")
}

fn leaf_hash(leaf: &[u8]) -> Vec<u8> {
    sha2::Sha256::new().chain_update([0u8]).chain_update(leaf).finalize().to_vec()
}

/// The reference tree of the first `size` leaves.
fn tree(size: usize) -> MemoryBackedTree<sha2::Sha256, Vec<u8>> {
    let mut tree = MemoryBackedTree::new();
    (0..size).for_each(|i| tree.push(leaf(i)));
    tree
}

fn vectors(kind: &str) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, files: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).expect("vector directory") {
            let path = entry.expect("entry").path();
            // The numbered groups are the reference tree's proofs. `additional/` and
            // `single-entry/` test the Go verifier's API with raw leaf hashes of no known leaf
            // and placeholder roots; ours is asked with a leaf's bytes, so they do not apply.
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() && (name == "additional" || name == "single-entry") {
                continue;
            }
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|x| x == "json") {
                files.push((path.clone(), std::fs::read_to_string(&path).expect("vector")));
            }
        }
    }
    let mut files = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rfc6962").join(kind), &mut files);
    files.sort();
    assert!(files.len() > 50, "only {} {kind} vectors", files.len());
    files
}

/// Whether an inclusion vector verifies. A leaf hash that is not the reference leaf at the
/// index (a wrong leaf), a negative index or size cannot even be asked: refused.
fn inclusion_holds(v: &Inclusion) -> bool {
    let (Ok(idx), Ok(size)) = (u64::try_from(v.leaf_idx), u64::try_from(v.tree_size)) else {
        return false;
    };
    let Some(root) = digest(&v.root) else { return false };
    let Some(value) = usize::try_from(idx).ok().filter(|i| *i < LEAVES.len()).map(leaf) else {
        return false;
    };
    if v.leaf_hash.as_deref().map(b64) != Some(leaf_hash(&value)) {
        return false;
    }
    let Some(bytes) = concat(&v.proof) else { return false };
    let Ok(proof) = InclusionProof::<sha2::Sha256>::try_from_bytes(bytes) else {
        return false;
    };
    RootHash::<sha2::Sha256>::new(root, size).verify_inclusion(&value, idx, &proof).is_ok()
}

fn consistency_holds(v: &Consistency) -> bool {
    let (Ok(size1), Ok(size2)) = (u64::try_from(v.size1), u64::try_from(v.size2)) else {
        return false;
    };
    let (Some(root1), Some(root2)) = (digest(&v.root1), digest(&v.root2)) else { return false };
    let Some(bytes) = concat(&v.proof) else { return false };
    let Ok(proof) = ConsistencyProof::<sha2::Sha256>::try_from_bytes(bytes) else {
        return false;
    };
    let old = RootHash::<sha2::Sha256>::new(root1, size1);
    RootHash::<sha2::Sha256>::new(root2, size2).verify_consistency(&old, &proof).is_ok()
}

#[test]
fn inclusion_proofs_pass_the_published_vectors() {
    let (mut held, mut refused) = (0, 0);
    for (path, text) in vectors("inclusion") {
        let v: Inclusion = serde_json::from_str(&text).expect("an inclusion vector");
        let holds = inclusion_holds(&v);
        assert_eq!(holds, !v.want_err, "{}", path.display());
        if holds {
            held += 1;
            // Our tree produces the very proof published.
            let size = usize::try_from(v.tree_size).expect("size");
            let index = usize::try_from(v.leaf_idx).expect("index");
            let ours = tree(size).prove_inclusion(index);
            assert_eq!(Some(ours.as_bytes().to_vec()), concat(&v.proof), "{}", path.display());
        } else {
            refused += 1;
        }
    }
    assert!(held >= 5 && refused >= 50, "{held} held, {refused} refused");
}

#[test]
fn consistency_proofs_pass_the_published_vectors() {
    let (mut held, mut refused) = (0, 0);
    for (path, text) in vectors("consistency") {
        let v: Consistency = serde_json::from_str(&text).expect("a consistency vector");
        let holds = consistency_holds(&v);
        assert_eq!(holds, !v.want_err, "{}", path.display());
        if holds {
            held += 1;
            let (size1, size2) =
                (usize::try_from(v.size1).expect("size"), usize::try_from(v.size2).expect("size"));
            if size1 < size2 {
                let ours = tree(size1.max(1));
                let mut grown = ours;
                (size1..size2).for_each(|i| grown.push(leaf(i)));
                let proof = grown.prove_consistency(size2 - size1);
                assert_eq!(Some(proof.as_bytes().to_vec()), concat(&v.proof), "{}", path.display());
            }
        } else {
            refused += 1;
        }
    }
    assert!(held >= 5 && refused >= 50, "{held} held, {refused} refused");
}

/// The reference tree's roots of its first 1, 3, …, 8 leaves, as transparency-dev publishes
/// them.
#[test]
fn the_merkle_tree_gives_the_published_rfc6962_roots() {
    let roots = [
        (1, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        (3, "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
        (4, "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        (5, "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
        (6, "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
        (7, "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
        (8, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    ];
    for (size, root) in roots {
        assert_eq!(hex::encode(tree(size).root().as_bytes()), root, "size {size}");
    }
}
