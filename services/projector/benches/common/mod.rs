//! What the projector's benches read from `/proc`: memory and CPU time.
#![allow(dead_code)]

/// A status line of /proc/self/status, in kB.
pub fn proc_status_kb(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Linux reports process times in USER_HZ ticks, fixed at 100 per second by its ABI.
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU time (user + system) a process or thread has used so far, in seconds, from a
/// `/proc/.../stat` file (fields 14 and 15; the command name before them may hold spaces).
pub fn cpu_seconds(stat_path: &str) -> f64 {
    let text = std::fs::read_to_string(stat_path).unwrap_or_default();
    let after_name = text.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // `fields[0]` is field 3 (the state), so fields 14 and 15 are at 11 and 12.
    (ticks(11) + ticks(12)) as f64 / TICKS_PER_SECOND
}
