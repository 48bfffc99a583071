//! Rankings: a peer group's (docs/views.md "Ranking"), and the national one merged from the
//! provinces' peers.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankEntry {
    pub unit: UnitId,
    pub name: String,
    /// The name of the province the unit is in (none for a province): a national ranking
    /// lists units of many provinces, and their names repeat ("Sở Nội vụ").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// `None`: no final score this year; the unit is listed after the ranked ones.
    pub final_total_hundredths: Option<u64>,
    pub index_hundredths: Option<u64>,
    pub rank: Option<u32>,
    pub previous_rank: Option<u32>,
    /// previous rank − this rank (positive: moved up); `None` when unranked either year.
    pub rank_change: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranking {
    pub parent: UnitId,
    #[serde(default)]
    pub parent_name: String,
    pub kind: UnitKind,
    pub year: u16,
    pub basis: Basis,
    /// How many units the peer group has (the "18" of "9/18").
    pub group_size: u32,
    pub entries: Vec<RankEntry>,
}

/// Ranks by total, highest first: equal totals share the best rank and the next rank skips.
/// Returns each ranked unit's rank; units without a total are absent.
pub fn competition_ranks(totals: &BTreeMap<UnitId, Option<u64>>) -> BTreeMap<UnitId, u32> {
    let scored: Vec<(&UnitId, u64)> =
        totals.iter().filter_map(|(u, t)| t.map(|t| (u, t))).collect();
    scored
        .iter()
        .map(|(unit, total)| {
            let above = scored.iter().filter(|(_, other)| other > total).count();
            ((*unit).clone(), u32::try_from(above + 1).unwrap_or(u32::MAX))
        })
        .collect()
}

/// A member of a peer group with the totals it is ranked by: what a province's owner sends
/// for the national ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    pub unit: UnitId,
    pub name: String,
    /// The name of its province, when it is not one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// The final total of the year, and of the year before.
    pub total_hundredths: Option<u64>,
    pub previous_total_hundredths: Option<u64>,
}

/// Whether `unit` is ranked for `year` as the basis sees it: a unit is assessed for the years
/// whose last day it existed on, so one that ended during a year (merged on 1 July 2025, say)
/// is ranked for the years before and for none after, and one founded during a year for that
/// year and after (docs/views.md "Restructuring").
pub fn ranked_in(state: &State, unit: &UnitId, year: u16, basis: Basis) -> bool {
    let rec = state.units.get(unit);
    let ended = rec.and_then(|u| u.ended.as_ref());
    let Some(last_day) = Date::from_ymd(i32::from(year), 12, 31) else { return false };
    let founded_by_then = rec.and_then(|u| u.founded).is_none_or(|on| on <= last_day);
    founded_by_then && ended.is_none_or(|e| !basis.sees(e.on) || last_day < e.on)
}

/// The peers' totals for `year` and the year before, as the basis sees them; units not ranked
/// that year ([`ranked_in`]) are left out.
pub fn peers(state: &State, units: &[UnitId], year: u16, basis: Basis) -> Vec<Peer> {
    let day = basis.structure_day(year);
    units
        .iter()
        .filter(|u| ranked_in(state, u, year, basis))
        .map(|u| Peer {
            unit: u.clone(),
            name: state.units.get(u).map(|r| r.name_on(day).to_owned()).unwrap_or_default(),
            province: None,
            total_hundredths: stage_total(state, u, year, Stage::Final, basis),
            previous_total_hundredths: year
                .checked_sub(1)
                .and_then(|y| stage_total(state, u, y, Stage::Final, basis)),
        })
        .collect()
}

/// Names each peer's province on `day`, for a national ranking (a peer group's all share
/// one, and the period reports, whose bytes are digested, list peer groups without it).
pub fn with_provinces(state: &State, peers: &mut [Peer], day: Date) {
    for peer in peers {
        peer.province = province_name(state, &peer.unit, day);
    }
}

/// The name on `day` of the province above `unit`, when the state holds its chain of parents.
fn province_name(state: &State, unit: &UnitId, day: Date) -> Option<String> {
    let lineage = tree::lineage_on(state, unit, day);
    let top = lineage.last().filter(|top| *top != unit)?;
    state.units.get(top).filter(|r| r.parent.is_none()).map(|r| r.name_on(day).to_owned())
}

/// The highest total a framework allows; 0 when none is published.
pub fn max_total(state: &State, year: u16, kind: UnitKind) -> u64 {
    state
        .frameworks
        .get(&(year, kind))
        .map_or(0, |f| f.criteria.iter().map(|c| u64::from(c.max_points.hundredths())).sum::<u64>())
}

/// Ranks a peer group: ranked units first by rank (then id), the unranked after them by id.
pub fn rank(peers: &[Peer], max_total: u64) -> Vec<RankEntry> {
    let totals = |of: fn(&Peer) -> Option<u64>| -> BTreeMap<UnitId, Option<u64>> {
        peers.iter().map(|p| (p.unit.clone(), of(p))).collect()
    };
    let ranks = competition_ranks(&totals(|p| p.total_hundredths));
    let previous = competition_ranks(&totals(|p| p.previous_total_hundredths));
    let mut entries: Vec<RankEntry> = peers
        .iter()
        .map(|p| {
            let total = p.total_hundredths;
            let rank = ranks.get(&p.unit).copied();
            let previous_rank = previous.get(&p.unit).copied();
            RankEntry {
                unit: p.unit.clone(),
                name: p.name.clone(),
                province: p.province.clone(),
                final_total_hundredths: total,
                index_hundredths: total
                    .filter(|_| max_total > 0)
                    .map(|t| percent_hundredths(t, max_total)),
                rank,
                previous_rank,
                rank_change: rank
                    .zip(previous_rank)
                    .map(|(now, before)| i64::from(before) - i64::from(now)),
            }
        })
        .collect();
    entries.sort_by(|a, b| {
        (a.rank.is_none(), a.rank, &a.unit).cmp(&(b.rank.is_none(), b.rank, &b.unit))
    });
    entries
}

/// The peer group of `parent` and `kind` ranked for `year` by final total.
pub fn ranking(
    state: &State,
    parent: &UnitId,
    kind: UnitKind,
    year: u16,
    basis: Basis,
) -> Result<Ranking, QueryError> {
    let Some(parent_rec) = state.units.get(parent) else {
        return Err(QueryError::UnknownUnit(parent.clone()));
    };
    // The peer group is the parent's children on the year's structure day: a unit that moved
    // away later still ranks with the peers it had.
    let day = basis.structure_day(year);
    let group: Vec<UnitId> = state
        .children
        .iter()
        .filter(|(p, c)| {
            p == parent
                && state.units.get(c).is_some_and(|u| u.kind == kind && u.parent_on(day) == Some(p))
        })
        .map(|(_, c)| c.clone())
        .collect();
    let peers = peers(state, &group, year, basis);
    Ok(Ranking {
        parent: parent.clone(),
        parent_name: parent_rec.name_on(day).to_owned(),
        kind,
        year,
        basis,
        group_size: u32::try_from(peers.len()).unwrap_or(u32::MAX),
        entries: rank(&peers, max_total(state, year, kind)),
    })
}

/// Every unit of one kind in the country ranked for a year: the provinces for the national
/// PAR index, or, say, every department of home affairs. Merged from each province's peers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NationalRanking {
    pub kind: UnitKind,
    pub year: u16,
    pub basis: Basis,
    /// How many provinces the ranking covers.
    pub provinces: u32,
    pub group_size: u32,
    pub entries: Vec<RankEntry>,
    /// The years in which a unit of the kind has a score, ascending.
    #[serde(default)]
    pub years_with_data: Vec<u16>,
}

/// The national ranking from a state that holds the whole country (a replayed prefix of the
/// log): what the merge of every province's peers gives.
pub fn national_in(state: &State, kind: UnitKind, year: u16, basis: Basis) -> NationalRanking {
    let provinces = state
        .units
        .iter()
        .filter(|(id, u)| u.parent.is_none() && ranked_in(state, id, year, basis))
        .count();
    let units: Vec<UnitId> =
        state.units.iter().filter(|(_, u)| u.kind == kind).map(|(id, _)| id.clone()).collect();
    let mut peers = peers(state, &units, year, basis);
    with_provinces(state, &mut peers, basis.structure_day(year));
    let of_kind: BTreeSet<&UnitId> = units.iter().collect();
    let years = state.scores.keys().filter(|(u, ..)| of_kind.contains(u)).map(|(_, y, ..)| *y);
    let mut ranking =
        national_ranking(kind, year, basis, provinces, peers, max_total(state, year, kind));
    ranking.years_with_data = years.collect::<BTreeSet<u16>>().into_iter().collect();
    ranking
}

/// Ranks the peers gathered from every province. Their order does not matter.
pub fn national_ranking(
    kind: UnitKind,
    year: u16,
    basis: Basis,
    provinces: usize,
    mut peers: Vec<Peer>,
    max_total: u64,
) -> NationalRanking {
    peers.sort_by(|a, b| a.unit.cmp(&b.unit));
    peers.dedup_by(|a, b| a.unit == b.unit);
    NationalRanking {
        kind,
        year,
        basis,
        provinces: u32::try_from(provinces).unwrap_or(u32::MAX),
        group_size: u32::try_from(peers.len()).unwrap_or(u32::MAX),
        entries: rank(&peers, max_total),
        years_with_data: Vec::new(),
    }
}
