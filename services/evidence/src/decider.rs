//! The evidence service on the shared runtime: the [`Decider`] glue between the pure state
//! ([`crate::decide`]) and the commands ([`crate::cmd`]), which both sit below it.

use crate::cmd::Command;
use crate::decide::{Attached, Refusal, State};
use reform_shared::directory::Directory;
use reform_shared::envelope::Record;
use reform_shared::event::Event;
use reform_shared::service::{Context, Decider, Unverified};

impl Decider for State {
    type Command = Command;
    type Refusal = Refusal;
    type Services = crate::verify::Bucket;
    const NAME: &'static str = crate::NAME;
    const DIRECTORY_RULES: Option<reform_shared::audit::decided::DirectoryRules> =
        Some(reform_directory::rules);
    const DESCRIPTION: &'static str =
        "Evidence documents: verifies the stored file, then records it";

    fn before_append(
        services: &crate::verify::Bucket,
        command: &Command,
    ) -> impl std::future::Future<Output = Result<(), Unverified>> + Send {
        crate::verify::verify(services, command)
    }

    const AFTER_APPEND: bool = true;

    fn started(
        &self,
        services: &crate::verify::Bucket,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let (store, erased) = (services.store.clone(), self.erased.clone());
        async move {
            crate::erase::destroy_all(&store, &erased).await;
        }
    }

    fn after_append(
        services: &crate::verify::Bucket,
        event: &Event,
    ) -> impl std::future::Future<Output = ()> + Send {
        crate::erase::after_append(&services.store, event)
    }

    /// Two attaches of one file the log does not name yet go to separate rounds: the second
    /// finds the file the first stored, instead of both storing it at once (the object store
    /// would take the second put for a replacement, and wait on a purge the broker refuses). A
    /// file already named is only read, so its attaches go together.
    fn batch_keys(&self, event: &Event) -> Vec<String> {
        match event {
            Event::EvidenceAttached { sha256, .. } if !self.files.contains(sha256) => {
                vec![format!("file:{}", hex::encode(sha256))]
            }
            _ => Vec::new(),
        }
    }

    /// The file is read and stored between deciding and appending: time in which a right may
    /// be taken away.
    const BEFORE_APPEND_WAITS: bool = true;

    fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The size limit is this service's configuration, not the log's: it stays.
    fn restored(self, snapshot: Self) -> Self {
        Self { evidence_bytes_max: self.evidence_bytes_max, ..snapshot }
    }

    fn apply(&mut self, record: &Record) {
        let event = &record.envelope.event;
        self.directory.apply(event);
        match event {
            Event::TaskAssigned { task, unit, .. }
            | Event::TaskReassigned { task, unit, .. }
            | Event::FindingRecorded { remediation_task: task, unit, .. }
            | Event::FindingRecordedV2 { remediation_task: task, unit, .. } => {
                self.tasks.insert(task.clone(), unit.clone());
            }
            Event::TaskCompleted { task, .. } | Event::TaskCancelled { task, .. } => {
                self.closed.insert(task.clone());
            }
            // As the tasks service decides: a unit's open tasks are its successor's from the
            // day it ends, so their documents are filed there.
            Event::UnitEnded { unit, successor, .. } => {
                let closed = &self.closed;
                self.tasks
                    .iter_mut()
                    .filter(|(task, at)| *at == unit && !closed.contains(*task))
                    .for_each(|(_, at)| *at = successor.clone());
            }
            Event::FrameworkPublished { unit_kind, criteria, .. } => {
                let codes = self.criteria.entry(*unit_kind).or_default();
                codes.extend(criteria.iter().map(|c| c.code.clone()));
            }
            Event::EvidenceAttached { evidence, unit, sha256, size_bytes, .. } => {
                let attached = Attached {
                    unit: unit.clone(),
                    sha256: *sha256,
                    size_bytes: *size_bytes,
                    rejected: None,
                };
                self.evidence.entry(evidence.clone()).or_insert(attached);
                self.files.insert(*sha256);
            }
            Event::EvidenceRejected { evidence, reason, .. } => {
                if let Some(attached) = self.evidence.get_mut(evidence) {
                    attached.rejected = Some(reason.clone());
                }
            }
            Event::EvidenceErased { sha256, .. } => {
                self.erased.insert(*sha256);
            }
            _ => {}
        }
    }

    fn decide(&self, command: &Command, context: &Context) -> Result<Event, Refusal> {
        command.decide(self, context)
    }
}
