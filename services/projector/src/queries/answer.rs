//! Answering each query from the store: load the slice it needs, compute the view.

use super::*;

fn unknown<T>(e: QueryError) -> Answer<T> {
    Answer::failed(FailureKind::NotFound, e.to_string())
}

/// The answer to a query: the view computed from the slice `loaded`, or why not.
fn answer<T>(
    loaded: Result<crate::model::State, crate::store::StoreError>,
    view: impl FnOnce(&crate::model::State) -> Result<T, QueryError>,
) -> Answer<T> {
    match loaded {
        Ok(state) => match view(&state) {
            Ok(view) => Answer::Ok(Found { view }),
            Err(e) => unknown(e),
        },
        Err(e) => Answer::failed(FailureKind::Unavailable, e.to_string()),
    }
}

/// Answers a unit-progress query from the store.
pub fn answer_unit(store: &Store, q: &UnitQuery) -> Answer<UnitProgress> {
    let years = match store.years_with_data(&q.unit) {
        Ok(years) => years,
        Err(e) => return Answer::failed(FailureKind::Unavailable, e.to_string()),
    };
    answer(store.load_unit(&q.unit, q.year), |state| {
        let progress = views::unit_progress(state, &q.unit, q.year, basis(q.as_of))?;
        Ok(UnitProgress { years_with_data: years, ..progress })
    })
}

/// Answers a task register query from the store: the unit's tree and year, as the unit view
/// loads them.
pub fn answer_tasks(store: &Store, q: &TasksQuery) -> Answer<views::TaskList> {
    answer(store.load_unit(&q.unit, q.year), |state| {
        views::task_list(state, &q.unit, q.year, basis(q.as_of), &q.filter)
    })
}

/// Answers a ranking query from the store.
pub fn answer_ranking(store: &Store, q: &RankingQuery) -> Answer<Ranking> {
    answer(store.load_ranking(&q.parent, q.kind, q.year), |state| {
        views::ranking(state, &q.parent, q.kind, q.year, basis(q.as_of))
    })
}

/// Answers a timeline query from the store.
pub fn answer_timeline(store: &Store, q: &TimelineQuery) -> Answer<Timeline> {
    answer(store.load_timeline(&q.person), |state| {
        views::timeline(state, &q.person, basis(q.as_of))
    })
}

/// One province's peers for a national ranking, from the store.
pub fn answer_national_part(
    store: &Store,
    province: &UnitId,
    q: &NationalQuery,
) -> Answer<NationalPart> {
    let loaded = store.load_peers_in(province, q.kind, q.year).and_then(|(state, units)| {
        let years = store.years_scored(&units)?;
        Ok((state, units, years))
    });
    match loaded {
        Ok((state, units, years_scored)) => Answer::Ok(Found {
            view: NationalPart {
                peers: {
                    let day = basis(q.as_of).structure_day(q.year);
                    // A unit that moved between provinces ranks with the one it was in then.
                    let mut units = units;
                    units.retain(|u| {
                        crate::tree::lineage_on(&state, u, day).last() == Some(province)
                    });
                    let mut peers = views::peers(&state, &units, q.year, basis(q.as_of));
                    views::with_provinces(&state, &mut peers, day);
                    peers
                },
                max_total_hundredths: views::max_total(&state, q.year, q.kind),
                years_scored,
                counted: views::ranked_in(&state, province, q.year, basis(q.as_of)),
            },
        }),
        Err(e) => Answer::failed(FailureKind::Unavailable, e.to_string()),
    }
}

/// The national ranking from the provinces' parts, in any order.
pub fn merge_national(q: &NationalQuery, parts: Vec<NationalPart>) -> views::NationalRanking {
    let provinces = parts.iter().filter(|p| p.counted).count();
    let max_total = parts.iter().map(|p| p.max_total_hundredths).max().unwrap_or(0);
    let years: std::collections::BTreeSet<u16> =
        parts.iter().flat_map(|p| p.years_scored.iter().copied()).collect();
    let peers = parts.into_iter().flat_map(|p| p.peers).collect();
    let ranking =
        views::national_ranking(q.kind, q.year, basis(q.as_of), provinces, peers, max_total);
    views::NationalRanking { years_with_data: years.into_iter().collect(), ..ranking }
}

/// Answers the national ranking from one file that holds every province (one projector's,
/// or a file `audit replay` wrote).
pub fn answer_national(store: &Store, q: &NationalQuery) -> Answer<views::NationalRanking> {
    let provinces = match store.provinces() {
        Ok(p) => p,
        Err(e) => return Answer::failed(FailureKind::Unavailable, e.to_string()),
    };
    let mut parts = Vec::new();
    for province in &provinces {
        match answer_national_part(store, province, q) {
            Answer::Ok(Found { view }) => parts.push(view),
            Answer::Failed { kind, message, reason } => {
                return Answer::refused(kind, message, reason)
            }
        }
    }
    Answer::Ok(Found { view: merge_national(q, parts) })
}

/// Answers the whole directory from the store.
pub fn answer_directory(store: &Store) -> Answer<Directory> {
    answer_directory_part(store, &DirectoryQuery::default())
}

/// Answers a directory query (the whole, or a part) from the store.
pub fn answer_directory_part(store: &Store, q: &DirectoryQuery) -> Answer<Directory> {
    let depth = q.depth.map(usize::from);
    let (under, person) = (q.under.as_ref(), q.person.as_ref());
    answer(store.load_directory_part(under, depth, person), |state| {
        registers::directory_part(state, under, depth, person)
    })
}

/// Answers a person's entry from the store.
pub fn answer_person(store: &Store, q: &PersonQuery) -> Answer<PersonEntry> {
    answer(store.load_person(&q.person), |state| people::person_entry(state, &q.person))
}

/// Answers the list of people from the store.
pub fn answer_people(store: &Store) -> Answer<People> {
    answer(store.load_people(), |state| Ok(people::people(state)))
}

/// Answers an evidence register query from the store: the unit's tree and year, as the unit
/// view loads them.
pub fn answer_evidence(store: &Store, q: &EvidenceQuery) -> Answer<EvidenceList> {
    answer(store.load_unit(&q.unit, q.year), |state| {
        registers::evidence_list(state, &q.unit, q.year, basis(q.as_of))
    })
}

/// Answers a plan's register from the store.
pub fn answer_plan(store: &Store, q: &PlanQuery) -> Answer<views::PlanRegister> {
    answer(store.load_plan(&q.plan), |state| views::plan_register(state, &q.plan, basis(q.as_of)))
}

/// Answers a reminders query from the store.
pub fn answer_reminders(store: &Store, q: &RemindersQuery) -> Answer<Reminders> {
    let on = q.on.unwrap_or_else(Date::today_in_vietnam);
    let since = q.since.unwrap_or_else(|| {
        Date(on.0 - chrono::Days::new(u64::try_from(registers::DUE_SOON_DAYS).unwrap_or(7)))
    });
    if since > on {
        let message = format!("since {since} is after the reminders' day {on}");
        return Answer::failed(FailureKind::Invalid, message);
    }
    answer(store.load_unit_years(&q.unit, &registers::reminder_years(on)), |state| {
        registers::reminders(state, &q.unit, q.person.as_ref(), on, since)
    })
}
