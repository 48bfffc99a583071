//! Where a query is answered when projectors are split by province ([`crate::split`]).
//!
//! People ask `par.view.<view>`, answered by any projector (one queue group). A projector that
//! owns the province the query is about (the unit's, the ranking parent's) answers from its own
//! file; one that does not asks the owner on `par.view.owner.<province>.<view>` and passes the
//! answer on, byte for byte. Owners' subjects are answered from the owner's file and never
//! passed on again, so a query takes at most one hop. Two views span provinces:
//!
//! - a leader's timeline, when the person held posts in several: each owner answers the tenures
//!   in its province, and they are merged in the timeline's order (start, then tenure id);
//! - the national ranking: each province's owner answers its peers with their totals, and the
//!   peers are ranked together.
//!
//! A projector that owns everything answers everything itself, through the same code, so one
//! projector and a split set give the same answers.

use crate::queries::{
    self, answer_here, invalid, reply, Answer, FailureKind, Found, NationalPart, NationalQuery,
    RankingQuery, TimelineQuery, UnitQuery, OWNER_PREFIX, SUBJECT_DIRECTORY, SUBJECT_EVIDENCE,
    SUBJECT_NATIONAL, SUBJECT_PEOPLE, SUBJECT_PERSON, SUBJECT_PLAN, SUBJECT_RANKING,
    SUBJECT_REMINDERS, SUBJECT_TASKS, SUBJECT_TIMELINE, SUBJECT_UNIT,
};
use crate::split::Owns;
use crate::store::{Store, StoreError};
use crate::views::Timeline;
use reform_shared::ids::UnitId;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// What a projector answers with: its file, and the broker to reach the other owners.
pub(crate) struct Router {
    pub client: async_nats::Client,
    pub store: Arc<Store>,
    pub owns: Owns,
}

/// A view's name: the last token of its public subject (`par.view.<view>`).
fn view_name(subject: &str) -> &str {
    subject.rsplit('.').next().unwrap_or(subject)
}

fn unavailable(message: String) -> Vec<u8> {
    reply::<()>(&Answer::failed(FailureKind::Unavailable, message))
}

impl Router {
    /// Off the async threads: every store read may touch the disk.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Vec<u8>> {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(unavailable(e.to_string())),
            Err(e) => Err(unavailable(e.to_string())),
        }
    }

    /// A public view query.
    pub async fn public(&self, subject: &'static str, payload: &[u8]) -> Vec<u8> {
        match subject {
            SUBJECT_NATIONAL => return self.national(payload).await,
            SUBJECT_TIMELINE => return self.timeline(payload).await,
            // A plan is answered where it is asked: a split projector knows the plans of its
            // own provinces only, and a plan query names no unit to route by.
            SUBJECT_DIRECTORY | SUBJECT_PLAN | SUBJECT_PERSON | SUBJECT_PEOPLE => {
                return answer_here(self.store.clone(), subject, payload).await
            }
            _ => {}
        }
        if self.owns == Owns::Everything {
            return answer_here(self.store.clone(), subject, payload).await;
        }
        let key = match subject {
            SUBJECT_UNIT | SUBJECT_EVIDENCE => queries::parse::<UnitQuery>(payload).map(|q| q.unit),
            SUBJECT_TASKS => queries::parse::<queries::TasksQuery>(payload).map(|q| q.unit),
            SUBJECT_REMINDERS => queries::parse::<queries::RemindersQuery>(payload).map(|q| q.unit),
            SUBJECT_RANKING => queries::parse::<RankingQuery>(payload).map(|q| q.parent),
            other => Err(format!("no view at {other}")),
        };
        let key = match key {
            Ok(unit) => unit,
            Err(message) => return invalid(message),
        };
        let province = match self.read(move |s| s.province_of(&key)).await {
            Ok(p) => p,
            Err(bytes) => return bytes,
        };
        match province {
            // Unknown here is unknown everywhere: every projector holds the whole directory.
            None => answer_here(self.store.clone(), subject, payload).await,
            Some(p) if self.owns.province(&p) => {
                answer_here(self.store.clone(), subject, payload).await
            }
            Some(p) => self.forward(&p, view_name(subject), payload).await,
        }
    }

    /// A query on `par.view.owner.<province>.<view>`: answered here, for that province.
    pub async fn as_owner(&self, subject: &str, payload: &[u8]) -> Vec<u8> {
        let rest = subject.strip_prefix(OWNER_PREFIX).and_then(|r| r.strip_prefix('.'));
        let Some((province, view)) = rest.and_then(|r| r.split_once('.')) else {
            return invalid(format!("{subject} names no province and view"));
        };
        let Ok(province) = province.parse::<UnitId>() else {
            return invalid(format!("{province:?} is not a unit id"));
        };
        match view {
            "national" => match queries::parse::<NationalQuery>(payload) {
                Ok(q) => {
                    let p = province.clone();
                    self.read(move |s| Ok(queries::answer_national_part(s, &p, &q)))
                        .await
                        .map_or_else(|bytes| bytes, |answer| reply(&answer))
                }
                Err(message) => invalid(message),
            },
            "timeline" => match self.timeline_here(payload, Some(province)).await {
                Ok(answer) => reply(&answer),
                Err(bytes) => bytes,
            },
            "unit" => answer_here(self.store.clone(), SUBJECT_UNIT, payload).await,
            "ranking" => answer_here(self.store.clone(), SUBJECT_RANKING, payload).await,
            "tasks" => answer_here(self.store.clone(), SUBJECT_TASKS, payload).await,
            "evidence" => answer_here(self.store.clone(), SUBJECT_EVIDENCE, payload).await,
            "reminders" => answer_here(self.store.clone(), SUBJECT_REMINDERS, payload).await,
            other => invalid(format!("no view at {other}")),
        }
    }

    /// Asks the owner of `province`; the answer's bytes, or why there is none.
    async fn forward(&self, province: &UnitId, view: &str, payload: &[u8]) -> Vec<u8> {
        let subject = format!("{OWNER_PREFIX}.{province}.{view}");
        let asked = tokio::time::timeout(
            queries::QUERY_TIMEOUT,
            self.client.request(subject.clone(), payload.to_vec().into()),
        )
        .await;
        match asked {
            Ok(Ok(message)) => message.payload.to_vec(),
            Ok(Err(e)) => unavailable(format!(
                "no projector answered for province {province} ({subject}): {e}"
            )),
            Err(_) => unavailable(format!(
                "no projector answered for province {province} ({subject}) within {:?}",
                queries::QUERY_TIMEOUT
            )),
        }
    }

    /// Asks the owner of `province` and reads its answer.
    async fn forward_typed<T: DeserializeOwned>(
        &self,
        province: &UnitId,
        view: &str,
        payload: &[u8],
    ) -> Result<T, Vec<u8>> {
        let bytes = self.forward(province, view, payload).await;
        match serde_json::from_slice::<Answer<T>>(&bytes) {
            Ok(Answer::Ok(Found { view })) => Ok(view),
            Ok(Answer::Failed { .. }) => Err(bytes),
            Err(e) => {
                Err(unavailable(format!("the owner of {province} sent an unreadable reply: {e}")))
            }
        }
    }

    /// The national ranking: each province's peers, from here or from its owner, ranked
    /// together (in one read when every province is here).
    async fn national(&self, payload: &[u8]) -> Vec<u8> {
        let q: NationalQuery = match queries::parse(payload) {
            Ok(q) => q,
            Err(message) => return invalid(message),
        };
        if self.owns == Owns::Everything {
            let answer = self.read(move |s| Ok(queries::answer_national(s, &q))).await;
            return answer.map_or_else(|bytes| bytes, |answer| reply(&answer));
        }
        let provinces = match self.read(Store::provinces).await {
            Ok(p) => p,
            Err(bytes) => return bytes,
        };
        let parts = provinces.iter().map(|p| async {
            if self.owns.province(p) {
                let (p, q) = (p.clone(), q.clone());
                match self.read(move |s| Ok(queries::answer_national_part(s, &p, &q))).await? {
                    Answer::Ok(Found { view }) => Ok(view),
                    failed => Err(reply(&failed)),
                }
            } else {
                self.forward_typed::<NationalPart>(p, "national", payload).await
            }
        });
        let mut gathered = Vec::new();
        for part in futures::future::join_all(parts).await {
            match part {
                Ok(part) => gathered.push(part),
                Err(bytes) => return bytes,
            }
        }
        reply(&Answer::Ok(Found { view: queries::merge_national(&q, gathered) }))
    }

    /// A leader's timeline: the tenures of every province the person held posts in, each from
    /// its owner.
    async fn timeline(&self, payload: &[u8]) -> Vec<u8> {
        if self.owns == Owns::Everything {
            return answer_here(self.store.clone(), SUBJECT_TIMELINE, payload).await;
        }
        let q: TimelineQuery = match queries::parse(payload) {
            Ok(q) => q,
            Err(message) => return invalid(message),
        };
        let person = q.person.clone();
        let provinces = self
            .read(move |s| {
                let mut out = std::collections::BTreeSet::new();
                for unit in s.tenure_units(&person)? {
                    out.extend(s.province_of(&unit)?);
                }
                Ok(out)
            })
            .await;
        let provinces = match provinces {
            Ok(p) => p,
            Err(bytes) => return bytes,
        };
        let mut timeline = match self.timeline_here(payload, None).await {
            Ok(Answer::Ok(Found { view })) => view,
            Ok(failed) => return reply(&failed),
            Err(bytes) => return bytes,
        };
        let others = provinces.iter().filter(|p| !self.owns.province(p));
        let parts = others.map(|p| self.forward_typed::<Timeline>(p, "timeline", payload));
        for part in futures::future::join_all(parts).await {
            match part {
                Ok(part) => timeline.tenures.extend(part.tenures),
                Err(bytes) => return bytes,
            }
        }
        timeline.tenures.sort_by(|a, b| (a.from, &a.tenure).cmp(&(b.from, &b.tenure)));
        reply(&Answer::Ok(Found { view: timeline }))
    }

    /// The timeline from this file, keeping only the tenures in `province`, or (`None`) in the
    /// provinces owned here.
    async fn timeline_here(
        &self,
        payload: &[u8],
        province: Option<UnitId>,
    ) -> Result<Answer<Timeline>, Vec<u8>> {
        let q: TimelineQuery = queries::parse(payload).map_err(invalid)?;
        let owns = self.owns.clone();
        self.read(move |s| {
            let mut answer = queries::answer_timeline(s, &q);
            if let Answer::Ok(Found { view }) = &mut answer {
                let mut kept = Vec::new();
                for tenure in std::mem::take(&mut view.tenures) {
                    let at = s.province_of(&tenure.unit)?;
                    let keep = match (&province, &at) {
                        (Some(wanted), Some(at)) => wanted == at,
                        (None, Some(at)) => owns.province(at),
                        (_, None) => province.is_none(),
                    };
                    if keep {
                        kept.push(tenure);
                    }
                }
                view.tenures = kept;
            }
            Ok(answer)
        })
        .await
    }
}
