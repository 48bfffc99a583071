//! The typed client functions the CLI and the dashboard use.

use super::*;

async fn ask<Q: Serialize, T: DeserializeOwned>(
    client: &async_nats::Client,
    subject: &'static str,
    query: &Q,
) -> Result<T, ViewError> {
    let payload = serde_json::to_vec(query).map_err(|e| ViewError::BadReply(e.to_string()))?;
    let transport = |source| ViewError::Transport { subject, source };
    let message = tokio::time::timeout(QUERY_TIMEOUT, client.request(subject, payload.into()))
        .await
        .map_err(|_| transport(reform_shared::command::timed_out(QUERY_TIMEOUT)))?
        .map_err(transport)?;
    match serde_json::from_slice::<Answer<T>>(&message.payload) {
        Ok(Answer::Ok(Found { view })) => Ok(view),
        Ok(Answer::Failed { kind, message, .. }) => Err(ViewError::Failed { kind, message }),
        Err(e) => Err(ViewError::BadReply(e.to_string())),
    }
}

/// A unit's progress for a year.
pub async fn unit(client: &async_nats::Client, q: &UnitQuery) -> Result<UnitProgress, ViewError> {
    ask(client, SUBJECT_UNIT, q).await
}

/// Every unit of a kind in the country ranked for a year.
pub async fn national(
    client: &async_nats::Client,
    q: &NationalQuery,
) -> Result<views::NationalRanking, ViewError> {
    ask(client, SUBJECT_NATIONAL, q).await
}

/// A peer group's ranking for a year.
pub async fn ranking(client: &async_nats::Client, q: &RankingQuery) -> Result<Ranking, ViewError> {
    ask(client, SUBJECT_RANKING, q).await
}

/// A leader's timeline.
pub async fn timeline(
    client: &async_nats::Client,
    q: &TimelineQuery,
) -> Result<Timeline, ViewError> {
    ask(client, SUBJECT_TIMELINE, q).await
}

/// A unit's task register.
pub async fn tasks(
    client: &async_nats::Client,
    q: &TasksQuery,
) -> Result<views::TaskList, ViewError> {
    ask(client, SUBJECT_TASKS, q).await
}

/// A unit's evidence register.
pub async fn evidence(
    client: &async_nats::Client,
    q: &EvidenceQuery,
) -> Result<EvidenceList, ViewError> {
    ask(client, SUBJECT_EVIDENCE, q).await
}

/// A plan's register.
pub async fn plan(
    client: &async_nats::Client,
    q: &PlanQuery,
) -> Result<crate::views::PlanRegister, ViewError> {
    ask(client, SUBJECT_PLAN, q).await
}

/// A unit's reminders (đôn đốc).
pub async fn reminders(
    client: &async_nats::Client,
    q: &RemindersQuery,
) -> Result<Reminders, ViewError> {
    ask(client, SUBJECT_REMINDERS, q).await
}

/// Every unit and leader.
pub async fn directory(client: &async_nats::Client) -> Result<Directory, ViewError> {
    directory_part(client, &DirectoryQuery::default()).await
}

/// Asks for a part of the directory.
pub async fn directory_part(
    client: &async_nats::Client,
    q: &DirectoryQuery,
) -> Result<Directory, ViewError> {
    ask(client, SUBJECT_DIRECTORY, q).await
}

/// A person's entry: tenures, access and keys.
pub async fn person(
    client: &async_nats::Client,
    q: &PersonQuery,
) -> Result<reform_views::people::PersonEntry, ViewError> {
    ask(client, SUBJECT_PERSON, q).await
}

/// Everyone the directory knows.
pub async fn people(
    client: &async_nats::Client,
) -> Result<reform_views::people::People, ViewError> {
    ask(client, SUBJECT_PEOPLE, &()).await
}

/// How far the projector's views hold the log (`applied_through`).
pub async fn status(client: &async_nats::Client) -> Result<Status, ViewError> {
    ask(client, SUBJECT_STATUS, &()).await
}

/// Waits until the views hold `sequence` (a command just recorded), for at most `within`;
/// returns the status last answered, which is short of `sequence` when the time ran out. The
/// projector answers the moment it commits the sequence ([`StatusQuery`]). One that answers
/// short at once anyway (busy, or an older build), or not yet (catching up, restarting), is
/// asked again after a short pause; its last error is returned when the time runs out.
pub async fn status_through(
    client: &async_nats::Client,
    sequence: u64,
    within: Duration,
) -> Result<Status, ViewError> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let within_ms = u64::try_from(left.as_millis()).unwrap_or(u64::MAX);
        let query = StatusQuery { through: Some(sequence), within_ms: Some(within_ms) };
        let answer = ask::<_, Status>(client, SUBJECT_STATUS, &query).await;
        let passing = matches!(
            &answer,
            Err(ViewError::Transport { .. })
                | Err(ViewError::Failed { kind: FailureKind::Unavailable, .. })
        );
        match answer {
            Ok(status) if status.applied_through >= sequence || left.is_zero() => {
                return Ok(status)
            }
            Err(e) if !passing || left.is_zero() => return Err(e),
            Ok(_) | Err(_) => tokio::time::sleep(STATUS_POLL_PAUSE.min(left)).await,
        }
    }
}

/// How long [`status_through`] pauses before asking again a projector that answered short.
const STATUS_POLL_PAUSE: Duration = Duration::from_millis(50);
