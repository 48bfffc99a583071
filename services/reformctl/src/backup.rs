//! `reformctl backup --to DIR` and `reformctl restore --from DIR`: everything a log cannot be
//! made again from, in a directory an operator copies away, and back into an empty broker.
//!
//! A backup holds the log (`log.jsonl`, the export format), the evidence files and the period
//! reports (`PAR_EVIDENCE/`, `PAR_REPORTS/`, one file per object, under its name), the keys
//! the evidence files are sealed under (`PAR_EVIDENCE_KEYS/`, one per file, none for an erased
//! one), the operators' skips (`skips.json`), and `manifest.json`: the log's identity, its size and
//! Merkle root, and the SHA-256 of every file. With `--log-key` it also holds a checkpoint of
//! what it holds, signed with the log's key, and that key's public half. It never holds a
//! private key: the log's key and people's keys stay with their owners. The views and the
//! services' state files are left out: they are made again from the log.
//!
//! A restore checks every file against the manifest and the log message by message (as
//! `audit verify` does, unsigned history allowed) before it writes anything, then publishes the
//! log into an empty stream that keeps the backup's identity (so the checkpoints, views and
//! state files made of the log go on holding), checks that the restored log has the backup's
//! size and root, and puts the files, keys and skips back. Then it destroys the key of every
//! content the restored log says was erased, as the evidence service does when it starts: a
//! backup never brings an erased content back with a log that records its erasure. (A backup
//! older than an erasure still holds that key; `docs/operations.md` says how long to keep
//! them.)

use crate::audit::transfer::{publish_log, verified, write_log};
use crate::ctx::Ctx;
use crate::outcome::{Classified, ExitKind};
use anyhow::Context as _;
use async_nats::jetstream;
use reform_shared::checkpoint::{self, LogTree};
use reform_shared::stream::{self, LogIdentity};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The buckets a backup holds, each a directory of its own.
const BUCKETS: [&str; 2] = [reform_evidence::store::BUCKET, reform_rollup::closed::BUCKET];
/// This build's backup format.
const FORMAT: u32 = 1;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// An empty (or new) directory to write the backup into.
    #[arg(long)]
    pub to: PathBuf,
    /// The log's key (nkeys seed file): sign a checkpoint of what the backup holds with it.
    #[arg(long)]
    pub log_key: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A directory `reformctl backup` wrote.
    #[arg(long)]
    pub from: PathBuf,
    /// Replicas of the stream and buckets restored, on a cluster.
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
    /// Restore into this data directory of `reformctl up` instead of --nats: its own server
    /// is started for the restore and stopped after, and `up --data-dir` then runs on the
    /// restored log.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// With --nats: the evidence service's broker user (its nkeys seed file), the only one a
    /// deployment lets write evidence files; the services' user (--nats-nkey) writes the rest.
    #[arg(long, conflicts_with = "data_dir")]
    pub evidence_nkey: Option<PathBuf>,
}

/// What a backup holds, and how to check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    /// The log's identity (`LogIdentity` text), kept by the restored stream.
    pub identity: String,
    pub messages: u64,
    /// The Merkle tree over the messages, as a checkpoint names it.
    pub tree_size: u64,
    pub tree_root: String,
    /// Every file but the manifest, by its path in the backup, with its SHA-256 (hex).
    pub files: BTreeMap<String, String>,
    pub evidence_files: u64,
    pub reports: u64,
    pub skips: u64,
    /// The evidence files' content keys (none for files stored before sealing, or erased).
    #[serde(default)]
    pub content_keys: u64,
    /// When it was made (RFC 3339, Vietnam time).
    pub made_at: String,
}

pub async fn backup(args: BackupArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let began = std::time::Instant::now();
    let dir = &args.to;
    let empty = std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none());
    if !empty {
        return Err(refused(format!(
            "{} is not empty: a backup goes into a new directory",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    let js = jetstream::new(ctx.client().await?);
    let info = stream::check_stream(&js).await?;
    let identity = LogIdentity::of(&info);
    let mut tree = LogTree::new(None);
    let log = dir.join("log.jsonl");
    let head = info.state.last_sequence;
    let messages = write_log(&js, head, &log, |m| tree.push(m.sequence, &m.payload)).await?;
    let mut files = BTreeMap::new();
    files.insert("log.jsonl".to_owned(), digest_of_file(&log)?);
    let mut counts = Vec::new();
    for bucket in BUCKETS {
        counts.push(save_bucket(&js, bucket, dir, &mut files).await?);
    }
    let content_keys = save_keys(&js, dir, &mut files).await?;
    let skips = reform_shared::skips::all(&js).await?;
    let skips_file = dir.join("skips.json");
    std::fs::write(&skips_file, serde_json::to_vec_pretty(&skips)?)
        .with_context(|| format!("could not write {}", skips_file.display()))?;
    files.insert("skips.json".to_owned(), digest_of_file(&skips_file)?);
    let root = tree.root();
    if let Some(key) = &args.log_key {
        let key = checkpoint::read_key(key)?;
        let origin = checkpoint::origin_of(&identity);
        let note = checkpoint::Checkpoint { origin, size: tree.size(), root }.sign(&key)?;
        for (name, bytes) in [("checkpoint.note", note), ("log-key.pub", key.public_key())] {
            std::fs::write(dir.join(name), &bytes)
                .with_context(|| format!("could not write {name}"))?;
            files.insert(name.to_owned(), hex::encode(sha2::Sha256::digest(bytes.as_bytes())));
        }
    }
    let manifest = Manifest {
        format: FORMAT,
        identity: identity.to_text(),
        messages,
        tree_size: tree.size(),
        tree_root: hex::encode(root),
        files,
        evidence_files: counts[0],
        reports: counts[1],
        skips: skips.len() as u64,
        content_keys,
        made_at: reform_shared::time::Timestamp::now().to_rfc3339(),
    };
    std::fs::write(dir.join("manifest.json"), serde_json::to_vec_pretty(&manifest)?)
        .context("could not write manifest.json")?;
    println!(
        "backed up {messages} messages (log {identity}, size {} root {}), {} evidence files ({} content keys), {} report files and {} skips to {} in {:.1} s",
        manifest.tree_size,
        manifest.tree_root,
        manifest.evidence_files,
        manifest.content_keys,
        manifest.reports,
        manifest.skips,
        dir.display(),
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Writes every object of `bucket` (when it exists) to `<dir>/<bucket>/<name>`; returns how many.
async fn save_bucket(
    js: &jetstream::Context,
    bucket: &str,
    dir: &Path,
    files: &mut BTreeMap<String, String>,
) -> anyhow::Result<u64> {
    use futures::StreamExt as _;
    use tokio::io::AsyncReadExt as _;
    let Ok(store) = js.get_object_store(bucket).await else { return Ok(0) };
    let into = dir.join(bucket);
    std::fs::create_dir_all(&into)
        .with_context(|| format!("could not create {}", into.display()))?;
    let mut list = store.list().await.with_context(|| format!("could not list {bucket}"))?;
    let mut count = 0;
    while let Some(info) = list.next().await {
        let info = info.with_context(|| format!("could not list {bucket}"))?;
        if !plain_name(&info.name) {
            anyhow::bail!("{bucket} holds an object named {:?}, which is no file name", info.name);
        }
        let mut object =
            store.get(&info.name).await.with_context(|| format!("could not read {}", info.name))?;
        let mut bytes = Vec::new();
        object
            .read_to_end(&mut bytes)
            .await
            .with_context(|| format!("could not read {}", info.name))?;
        std::fs::write(into.join(&info.name), &bytes)
            .with_context(|| format!("could not write {}", info.name))?;
        files.insert(format!("{bucket}/{}", info.name), hex::encode(sha2::Sha256::digest(&bytes)));
        count += 1;
    }
    Ok(count)
}

/// Writes the key of every evidence file saved (those that have one) to
/// `<dir>/PAR_EVIDENCE_KEYS/<name>`; returns how many.
async fn save_keys(
    js: &jetstream::Context,
    dir: &Path,
    files: &mut BTreeMap<String, String>,
) -> anyhow::Result<u64> {
    use reform_evidence::keys;
    let saved = dir.join(reform_evidence::store::BUCKET);
    let Ok(names) = std::fs::read_dir(&saved) else { return Ok(0) };
    let Ok(stream) = keys::open(js).await else { return Ok(0) };
    let into = dir.join(keys::STREAM);
    std::fs::create_dir_all(&into)
        .with_context(|| format!("could not create {}", into.display()))?;
    let mut count = 0;
    for name in names {
        let name = name?.file_name().to_string_lossy().into_owned();
        let Ok(digest) = reform_evidence::cmd::digest_hex::parse(&name) else { continue };
        let Some(key) = keys::get(&stream, &digest).await? else { continue };
        std::fs::write(into.join(&name), key.0)
            .with_context(|| format!("could not write the key of {name}"))?;
        files.insert(format!("{}/{name}", keys::STREAM), hex::encode(sha2::Sha256::digest(key.0)));
        count += 1;
    }
    Ok(count)
}

/// An object name that is one plain file name.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

fn digest_of_file(path: &Path) -> anyhow::Result<String> {
    use std::io::Read as _;
    let mut file =
        std::fs::File::open(path).with_context(|| format!("could not read {}", path.display()))?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n =
            file.read(&mut buffer).with_context(|| format!("could not read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn refused(message: String) -> anyhow::Error {
    Classified { kind: ExitKind::Refused, message }.into()
}

fn invalid(message: String) -> anyhow::Error {
    Classified { kind: ExitKind::Invalid, message }.into()
}

/// Reads the manifest and checks every file it lists against its digest, before anything is
/// written.
fn checked_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join("manifest.json");
    let bytes =
        std::fs::read(&path).with_context(|| format!("could not read {}", path.display()))?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("{} is not a backup's manifest: {e}", path.display())))?;
    if manifest.format != FORMAT {
        return Err(invalid(format!(
            "{} is a backup of format {}; this build reads format {FORMAT}",
            dir.display(),
            manifest.format
        )));
    }
    for (name, want) in &manifest.files {
        let file = dir.join(name);
        if name.split('/').any(|part| !plain_name(part)) {
            return Err(invalid(format!(
                "the manifest lists {name:?}, which is no file of a backup"
            )));
        }
        let found = digest_of_file(&file)?;
        if &found != want {
            return Err(invalid(format!(
                "{} has SHA-256 {found}, but the manifest says {want}: the backup was altered or damaged; nothing was restored",
                file.display()
            )));
        }
    }
    Ok(manifest)
}

/// A backup whose files match its manifest and whose log verifies and gives its tree.
struct Checked {
    manifest: Manifest,
    identity: LogIdentity,
    skips: Vec<reform_shared::skips::Skip>,
    root: [u8; 32],
}

fn checked_backup(dir: &Path) -> anyhow::Result<Checked> {
    let manifest = checked_manifest(dir)?;
    let identity = LogIdentity::parse(&manifest.identity).ok_or_else(|| {
        invalid(format!("the manifest's identity {:?} is not a log's", manifest.identity))
    })?;
    let skips: Vec<reform_shared::skips::Skip> = serde_json::from_slice(
        &std::fs::read(dir.join("skips.json")).context("could not read skips.json")?,
    )
    .map_err(|e| invalid(format!("skips.json holds no skips: {e}")))?;
    let (_, tree) = verified(&dir.join("log.jsonl"), &skips, "restored")?;
    let (size, root) = (tree.size(), tree.root());
    if (size, hex::encode(root)) != (manifest.tree_size, manifest.tree_root.clone()) {
        return Err(invalid(format!(
            "log.jsonl gives a tree of size {size} and root {}, but the manifest says size {} and root {}",
            hex::encode(root),
            manifest.tree_size,
            manifest.tree_root
        )));
    }
    Ok(Checked { manifest, identity, skips, root })
}

pub async fn restore(args: RestoreArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let began = std::time::Instant::now();
    let checked = checked_backup(&args.from)?;
    match &args.data_dir {
        Some(data_dir) => into_data_dir(data_dir, &args, &checked).await?,
        None => {
            let js = jetstream::new(ctx.client().await?);
            let evidence = match &args.evidence_nkey {
                Some(seed) => {
                    Some(reform_shared::edge::connect_as(&ctx.global.nats_url, Some(seed)).await?)
                }
                None => None,
            };
            let evidence_js = evidence.clone().map_or_else(|| js.clone(), jetstream::new);
            restore_into(&js, &evidence_js, &args, &checked).await?;
            if let Some(evidence) = evidence {
                evidence.flush().await.ok();
            }
        }
    }
    let Checked { manifest, identity, skips, root } = &checked;
    println!(
        "restored {} messages (log {identity}, size {} root {}), {} evidence files ({} content keys), {} report files and {} skips from {} in {:.1} s",
        manifest.messages,
        manifest.tree_size,
        hex::encode(root),
        manifest.evidence_files,
        manifest.content_keys,
        manifest.reports,
        skips.len(),
        args.from.display(),
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Restores into a data directory of `up`, through its own server started for the purpose,
/// and records the log's identity there so `up` runs on it.
async fn into_data_dir(
    data_dir: &Path,
    args: &RestoreArgs,
    checked: &Checked,
) -> anyhow::Result<()> {
    let data_dir = crate::up::absolute(data_dir)?;
    let mut lock = crate::datadir::DataDirLock::acquire(&data_dir)?;
    if let Some(recorded) = crate::datadir::recorded_identity(&data_dir)? {
        if recorded != checked.identity {
            return Err(refused(format!(
                "{} belongs to the log {recorded}; the backup is of {}",
                data_dir.display(),
                checked.identity
            )));
        }
    }
    let credentials = reform_shared::broker::provision(&data_dir.join("broker"))?;
    let server = crate::up::start_server(None, &data_dir, &credentials, &mut lock)?;
    let seed = credentials.seed_path(reform_shared::broker::BrokerUser::Service);
    let client = reform_shared::edge::connect_as(server.url(), Some(&seed)).await?;
    // Only the evidence service's user may write evidence objects.
    let evidence_seed = credentials.seed_path(reform_shared::broker::BrokerUser::Evidence);
    let evidence = reform_shared::edge::connect_as(server.url(), Some(&evidence_seed)).await?;
    let (js, evidence_js) = (jetstream::new(client.clone()), jetstream::new(evidence.clone()));
    restore_into(&js, &evidence_js, args, checked).await?;
    evidence.flush().await.ok();
    crate::datadir::record_identity(&data_dir, &checked.identity)?;
    client.flush().await.ok();
    drop(client);
    server.stop();
    Ok(())
}

/// Writes the checked backup into the broker `js` reaches: the empty log, the files, the skips;
/// the evidence files through `evidence_js`, whose user may write them.
async fn restore_into(
    js: &jetstream::Context,
    evidence_js: &jetstream::Context,
    args: &RestoreArgs,
    checked: &Checked,
) -> anyhow::Result<()> {
    let Checked { manifest, identity, skips, .. } = checked;
    let dir = &args.from;
    let log = dir.join("log.jsonl");
    empty_log_keeping(js, identity, args.replicas).await?;
    let published = publish_log(js, &log, manifest.messages).await?;
    if published != manifest.messages {
        anyhow::bail!("published {published} messages, the manifest says {}", manifest.messages);
    }
    for bucket in BUCKETS {
        let writer = if bucket == reform_evidence::store::BUCKET { evidence_js } else { js };
        put_bucket(writer, bucket, dir, manifest, args.replicas).await?;
    }
    put_keys(evidence_js, dir, manifest, args.replicas).await?;
    reform_shared::skips::ensure_bucket(js, args.replicas).await?;
    for skip in skips {
        reform_shared::skips::record(js, skip).await?;
    }
    Ok(())
}

/// An empty log that keeps `identity`: created, or an empty one given that identity. A log
/// that holds anything is refused: a restore never mixes two logs.
async fn empty_log_keeping(
    js: &jetstream::Context,
    identity: &LogIdentity,
    replicas: usize,
) -> anyhow::Result<()> {
    let settings = stream::StreamSettings { replicas, ..Default::default() };
    let (info, created) = stream::init_stream_as(js, &settings, Some(identity)).await?;
    if info.state.last_sequence != 0 || info.state.messages != 0 {
        return Err(refused(format!(
            "the log already holds {} messages; restore goes into an empty log only",
            info.state.last_sequence
        )));
    }
    if !created && LogIdentity::of(&info) != *identity {
        let mut config = info.config.clone();
        config.metadata.insert(stream::IDENTITY_METADATA.to_owned(), identity.to_text());
        js.update_stream(config)
            .await
            .context("could not give the empty log the backup's identity")?;
    }
    Ok(())
}

/// Puts the backup's files of `bucket` back; an evidence file must be the one its name says.
async fn put_bucket(
    js: &jetstream::Context,
    bucket: &str,
    dir: &Path,
    manifest: &Manifest,
    replicas: usize,
) -> anyhow::Result<u64> {
    let prefix = format!("{bucket}/");
    let names: Vec<&str> =
        manifest.files.keys().filter_map(|path| path.strip_prefix(&prefix)).collect();
    if names.is_empty() {
        return Ok(0);
    }
    let store = match bucket {
        reform_evidence::store::BUCKET => {
            reform_evidence::store::Store::ensure(js, replicas).await?.objects
        }
        _ => reform_rollup::close::bucket(js).await?,
    };
    for name in &names {
        let bytes = std::fs::read(dir.join(&prefix).join(name))
            .with_context(|| format!("could not read {prefix}{name}"))?;
        store
            .put(*name, &mut bytes.as_slice())
            .await
            .with_context(|| format!("could not put {prefix}{name} back"))?;
    }
    Ok(names.len() as u64)
}

/// Puts the evidence files' keys back, then destroys those of the contents the restored log
/// says were erased.
async fn put_keys(
    js: &jetstream::Context,
    dir: &Path,
    manifest: &Manifest,
    replicas: usize,
) -> anyhow::Result<()> {
    use reform_evidence::{cmd::digest_hex, keys, seal::ContentKey};
    let prefix = format!("{}/", keys::STREAM);
    let store = reform_evidence::store::Store::ensure(js, replicas).await?;
    for name in manifest.files.keys().filter_map(|path| path.strip_prefix(&prefix)) {
        let digest =
            digest_hex::parse(name).map_err(|e| invalid(format!("{prefix}{name}: {e}")))?;
        let bytes = std::fs::read(dir.join(&prefix).join(name))
            .with_context(|| format!("could not read {prefix}{name}"))?;
        let key =
            ContentKey::from_bytes(&bytes).map_err(|e| invalid(format!("{prefix}{name}: {e}")))?;
        keys::put_back(js, &digest, &key).await?;
    }
    let destroyed = reform_evidence::erase::sweep(js, &store).await?;
    if destroyed > 0 {
        println!("destroyed {destroyed} content keys the restored log says were erased");
    }
    Ok(())
}
