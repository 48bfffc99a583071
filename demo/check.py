#!/usr/bin/env python3
"""Checks demo/commands.jsonl against the published facts of the five source articles.

Standard library only, and independent of generate.py: it reads the commands the loader sends,
rebuilds the facts they state, validates them the way the command services will (ids,
references, frameworks, stages, leaders in office, who sends the directory, the frameworks
and each task step; the services check every sender again when the demo is loaded),
recomputes the peer-group rankings and rank changes with the rules of docs/views.md (integer
hundredths; equal totals share the best rank, the next rank skips; change = last year's rank
minus this year's), and asserts every published fact. Exit status 0 when all hold.

Usage:  python3 demo/check.py [path/to/commands.jsonl]
"""

import datetime
import hashlib
import itertools
import json
import os
import re
import sys

PATH = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "commands.jsonl")

ID_RE = re.compile(r"^[a-z0-9_-]{1,64}$")
CODE_RE = re.compile(r"^[0-9a-z]+(\.[0-9a-z]+)*$")
POINTS_RE = re.compile(r"^(0|[1-9][0-9]*)\.[0-9]{2}$")
COMPONENTS = [
    "direction-and-management", "institutional-reform", "administrative-procedures",
    "organisation", "civil-service", "public-finance", "e-government", "impact-on-people",
]
KINDS = {"province", "department", "district", "division", "public-service-unit", "commune"}
STAGES = ["self-assessed", "appraised", "final"]

failures = []
checked = [0]


def check(cond, message):
    checked[0] += 1
    if not cond:
        failures.append(message)
    return cond


def finish():
    """Reports the failures so far and stops, if there are any."""
    if failures:
        print("FAILED: %d of %d checks" % (len(failures), checked[0]))
        for msg in failures:
            print("  - " + msg)
        sys.exit(1)


def hund(text):
    if not POINTS_RE.match(text):
        raise ValueError("bad points %r" % text)
    whole, frac = text.split(".")
    return int(whole) * 100 + int(frac)


def fmt(hundredths):
    sign = "-" if hundredths < 0 else ""
    v = abs(hundredths)
    return "%s%d.%02d" % (sign, v // 100, v % 100)


def date(text):
    return datetime.date.fromisoformat(text)


def next_day(text):
    return (date(text) + datetime.timedelta(days=1)).isoformat()


# --------------------------------------------------------------------------------------------
# 0. The commands, and the facts they state
# --------------------------------------------------------------------------------------------

ADMINISTRATOR = "quan-tri"
COMMANDS = {
    "directory": {"register-person", "add-unit", "appoint-leader", "end-tenure", "grant-access",
                  "retitle-person"},
    "scoring": {"publish-framework", "record-score"},
    "tasks": {"issue-plan", "assign-task", "record-finding", "report-progress", "complete-task",
              "change-deadline", "cancel-task"},
    "evidence": {None},
}
# The step a task command records, and the field of the command each of its fields comes from.
STEPS = {
    "report-progress": ("progress", {"percent": "percent", "note": "note"}),
    "complete-task": ("complete", {"note": "note"}),
    "change-deadline": ("deadline", {"new_due": "due", "reason": "reason"}),
    "cancel-task": ("cancel", {"reason": "reason"}),
}

# The restructurings the file records, simulated here from the shipped map itself (as
# docs/views.md "Restructuring" and the directory's plan describe them, not by their code):
# unit -> (successor, effective day, how); commune -> (old parent, new parent, day); task ->
# (day, unit it is carried to).
MAPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "services", "directory", "maps")
ENDED, MOVED, CARRIED = {}, {}, {}


def short(name):
    """A province's name without "Tỉnh" or "Thành phố", as the map names it."""
    lower = name.strip().lower()
    for prefix in ("tỉnh ", "thành phố ", "tp. "):
        if lower.startswith(prefix):
            return lower[len(prefix):].strip()
    return lower


def open_children(uid):
    return sorted((u for u in D["units"] if u["parent"] == uid and u["id"] not in ENDED),
                  key=lambda u: u["id"])


def restructure(map_name):
    with open(os.path.join(MAPS, map_name + ".json"), encoding="utf-8") as f:
        m = json.load(f)
    on = m["effective"]

    def carry(u, parent, province):
        same = [x["id"] for x in open_children(parent) if (x["kind"], x["name"]) == (u["kind"], u["name"])]
        target = same[0] if same else province + "-" + u["id"]
        if not same:
            D["units"].append({"id": target, "name": u["name"], "kind": u["kind"], "parent": parent})
        for c in open_children(u["id"]):
            carry(c, target, province)
        ENDED[u["id"]] = (target, on, "merged")

    def dissolve(u, province):
        for c in open_children(u["id"]):
            if u["kind"] == "district" and c["kind"] == "commune":
                MOVED[c["id"]] = (u["id"], province, on)
            else:
                dissolve(c, province)
        ENDED[u["id"]] = (province, on, "dissolved")

    provinces = {short(u["name"]): u for u in D["units"] if u["parent"] is None and u["id"] not in ENDED}
    for new in m["provinces"]:
        names = new["from"] + new.get("aliases", [])
        present = [provinces[short(n)] for n in names if short(n) in provinces]
        going_on = [u for u in present if u["id"] == new["id"] or short(u["name"]) == short(new["name"])]
        if not present:
            continue
        successor = going_on[0]["id"] if going_on else new["id"]
        if not going_on:
            D["units"].append({"id": successor, "name": new["name"], "kind": "province", "parent": None})
        for old in present:
            if old["id"] == successor:
                continue
            for c in open_children(old["id"]):
                (dissolve if c["kind"] == "district" else lambda c, p: carry(c, p, p))(c, successor)
            ENDED[old["id"]] = (successor, on, "merged")
    for t in D["tenures"]:
        if t["unit"] in ENDED and (t["to"] is None or t["to"] > on):
            t["to"] = on
    for t in D["tasks"]:
        if t["unit"] in ENDED and not any(s["do"] in ("complete", "cancel") for s in t["history"]):
            unit = t["unit"]
            while unit in ENDED:
                unit = ENDED[unit][0]
            CARRIED[t["id"]] = (on, unit)


def unit_on(t, day):
    """The unit a task belongs to on a day: where it was assigned, or where it was carried."""
    carried = CARRIED.get(t["id"])
    return carried[1] if carried and day >= carried[0] else t["unit"]


D = {key: [] for key in ["units", "people", "tenures", "grants", "retitles", "frameworks", "scores", "plans",
                         "tasks", "findings", "evidence"]}
# (task, step index, actor) of every task step, to check who sent it once the directory is built.
STEP_ACTORS = []
labels = set()
with open(PATH, encoding="utf-8") as f:
    for n, text in enumerate(f, 1):
        try:
            item = json.loads(text)
            where = "line %d" % n
            if item.get("service") == "restructure":
                check(set(item) == {"service", "label", "map"}, "%s: a restructuring names its map only" % where)
                check(item["label"] not in labels, "%s: label %r used twice" % (where, item["label"]))
                labels.add(item["label"])
                restructure(item["map"])
                continue
            check(set(item) <= {"service", "label", "request", "content"}, "%s: unknown fields" % where)
            service, label, req = item.get("service"), item.get("label"), item.get("request", {})
            check(label not in labels, "%s: label %r used twice" % (where, label))
            labels.add(label)
            check(req.get("command_id") == "demo-" + hashlib.sha256(label.encode()).hexdigest()[:24],
                  "%s: the command id is not the label's" % where)
            check(set(req) <= {"command_id", "actor", "occurred_on", "command"},
                  "%s: unknown request fields" % where)
            c, actor, on = dict(req["command"]), req["actor"], req.get("occurred_on")
            kind = c.pop("type", None)
            if service == "directory" or kind == "publish-framework":
                check(actor == ADMINISTRATOR, "%s: sent by %s, not the administrator" % (where, actor))
            check(service in COMMANDS and kind in COMMANDS[service],
                  "%s: unknown command %r of service %r" % (where, kind, service))
            check(("content" in item) == (service == "evidence"), "%s: content misplaced" % where)
            if kind == "register-person":
                D["people"].append({"id": c["person"], "name": c["name"], "title": c["title"]})
            elif kind == "add-unit":
                D["units"].append({"id": c["unit"], "name": c["name"], "kind": c["kind"],
                                   "parent": c.get("parent")})
            elif kind == "appoint-leader":
                check(on == c["from"], "%s: appointed on another day than it starts" % where)
                D["tenures"].append({"id": c["tenure"], "unit": c["unit"], "person": c["person"],
                                     "role": c["role"], "from": c["from"], "to": None})
            elif kind == "end-tenure":
                ended = [t for t in D["tenures"] if t["id"] == c["tenure"]]
                check(len(ended) == 1, "%s: ends an unknown tenure" % where)
                check(on == c["to"], "%s: the tenure's end is recorded on another day" % where)
                for t in ended:
                    t["to"] = c["to"]
            elif kind == "grant-access":
                D["grants"].append(dict(c))
            elif kind == "retitle-person":
                check(on == c["from"], "%s: a title recorded on another day than it starts" % where)
                known = [p for p in D["people"] if p["id"] == c["person"]]
                check(len(known) == 1 and c["title"].strip() and c["title"] != known[0]["title"],
                      "%s: a new title of an unknown person, empty or unchanged" % where)
                D["retitles"].append(dict(c))
            elif kind == "publish-framework":
                D["frameworks"].append(dict(c))
            elif kind == "record-score":
                D["scores"].append(dict(c, on=on, by=actor))
            elif kind == "issue-plan":
                D["plans"].append({"id": c["plan"], "unit": c["unit"], "year": c["year"],
                                   "document_number": c["document_number"], "title": c["title"],
                                   "on": on, "by": actor})
            elif kind == "assign-task":
                D["tasks"].append({"id": c["task"], "unit": c["unit"], "person": c.get("person"),
                                   "plan": c.get("plan"), "title": c["title"], "target": c["target"],
                                   "due": c["due"], "criterion": c.get("criterion"),
                                   "assigned_on": on, "assigned_by": actor, "history": []})
            elif kind in STEPS:
                do, fields = STEPS[kind]
                owners = [t for t in D["tasks"] if t["id"] == c["task"]]
                if check(len(owners) == 1, "%s: a step of task %r before it is assigned" % (where, c["task"])):
                    step = {"do": do, "on": on}
                    step.update({mine: c[theirs] for mine, theirs in fields.items()})
                    owners[0]["history"].append(step)
                    STEP_ACTORS.append((owners[0], len(owners[0]["history"]) - 1, actor))
            elif kind == "record-finding":
                D["findings"].append(dict({"id": c.pop("finding")}, **c, on=on, by=actor))
            elif service == "evidence":
                e = {"id": c.pop("evidence"), "task": None, "criterion": None}
                e.update(c, content=item["content"], on=on, by=actor)
                D["evidence"].append(e)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            check(False, "line %d: not a request the loader can send (%s: %s)" % (n, type(e).__name__, e))

# A file the loader could not send is reported as it is, before any fact is looked for in it.
finish()

# --------------------------------------------------------------------------------------------
# 1. Structure and references
# --------------------------------------------------------------------------------------------

for key, items in D.items():
    check(len(items) > 0, "the commands state no %s" % key)

units, people, tenures, plans, tasks, evidence = {}, {}, {}, {}, {}, {}
for u in D["units"]:
    check(ID_RE.match(u["id"]) is not None, "bad unit id %r" % u["id"])
    check(u["id"] not in units, "duplicate unit %s" % u["id"])
    check(u["kind"] in KINDS, "unit %s: bad kind %r" % (u["id"], u["kind"]))
    check(u["name"].strip() != "", "unit %s has no name" % u["id"])
    check(u["parent"] is None or u["parent"] in units,
          "unit %s: parent %r unknown or listed after it" % (u["id"], u["parent"]))
    units[u["id"]] = u
for p in D["people"]:
    check(ID_RE.match(p["id"]) is not None, "bad person id %r" % p["id"])
    check(p["id"] not in people, "duplicate person %s" % p["id"])
    check(p["name"].strip() != "" and p["title"].strip() != "", "person %s incomplete" % p["id"])
    people[p["id"]] = p


def ancestors(uid):
    out = []
    while uid is not None:
        out.append(uid)
        uid = units[uid]["parent"]
    return out


def within(uid, ancestor):
    return ancestor in ancestors(uid)


for t in D["tenures"]:
    check(ID_RE.match(t["id"]) is not None and t["id"] not in tenures, "bad or duplicate tenure %r" % t["id"])
    check(t["unit"] in units and t["person"] in people, "tenure %s: unknown unit or person" % t["id"])
    check(t["role"] in ("head", "reform-deputy"), "tenure %s: bad role" % t["id"])
    check(t["to"] is None or date(t["to"]) > date(t["from"]), "tenure %s ends before it begins" % t["id"])
    tenures[t["id"]] = t
for g in D["grants"]:
    check(g["person"] in people and g["unit"] in units, "grant %r: unknown person or unit" % g)
    check(g["access"] in ("staff", "appraiser"), "grant %r: a demo grant is staff or appraiser" % g)
    date(g["from"])
for a, b in itertools.combinations(D["tenures"], 2):
    if a["unit"] == b["unit"] and a["role"] == b["role"]:
        a_to, b_to = a["to"] or "9999-12-31", b["to"] or "9999-12-31"
        check(a_to <= b["from"] or b_to <= a["from"],
              "tenures %s and %s overlap" % (a["id"], b["id"]))


def holder(uid, role, on):
    """Who holds `role` at `uid` on date `on` ([from, to))."""
    for t in D["tenures"]:
        if t["unit"] == uid and t["role"] == role and t["from"] <= on and (t["to"] is None or on < t["to"]):
            return t["person"]
    return None


def leads_on(person, uid, on):
    return any(holder(a, r, on) == person for a in ancestors(uid) for r in ("head", "reform-deputy"))


frameworks = {}
for fw in D["frameworks"]:
    key = (fw["year"], fw["unit_kind"])
    check(key not in frameworks, "two frameworks for %r" % (key,))
    check(fw["source"].strip() != "", "framework %r names no source" % (key,))
    codes = [c["code"] for c in fw["criteria"]]
    check(len(set(codes)) == len(codes), "framework %r repeats a code" % (key,))
    check(all(CODE_RE.match(c) for c in codes), "framework %r has a bad code" % (key,))
    total = sum(hund(c["max_points"]) for c in fw["criteria"])
    check(total == 10000, "framework %r totals %s, not 100.00" % (key, fmt(total)))
    check({c["component"] for c in fw["criteria"]} == set(COMPONENTS),
          "framework %r lacks a component" % (key,))
    check(all(hund(c["max_points"]) > 0 and c["title"].strip() for c in fw["criteria"]),
          "framework %r has an empty criterion" % (key,))
    frameworks[key] = {c["code"]: c for c in fw["criteria"]}

for e in D["evidence"]:
    check(ID_RE.match(e["id"]) is not None and e["id"] not in evidence, "bad or duplicate evidence %r" % e["id"])
    check(e["unit"] in units and e["by"] in people, "evidence %s: unknown unit or person" % e["id"])
    check(e["document_number"].strip() != "" and e["content"].strip() != "", "evidence %s incomplete" % e["id"])
    date(e["document_date"]), date(e["on"])
    check(e["document_date"] <= e["on"], "evidence %s attached before it was issued" % e["id"])
    evidence[e["id"]] = e

for p in D["plans"]:
    check(ID_RE.match(p["id"]) is not None and p["id"] not in plans, "bad or duplicate plan %r" % p["id"])
    check(p["unit"] in units, "plan %s: unknown unit" % p["id"])
    check(abs(p["year"] - date(p["on"]).year) <= 1, "plan %s issued too far from its year" % p["id"])
    check(leads_on(p["by"], p["unit"], p["on"]), "plan %s issued by %s, not a leader in office" % (p["id"], p["by"]))
    plans[p["id"]] = p

task_ids = set()
for t in D["tasks"]:
    tid = t["id"]
    check(ID_RE.match(tid) is not None and tid not in task_ids, "bad or duplicate task %r" % tid)
    task_ids.add(tid)
    check(t["unit"] in units, "task %s: unknown unit" % tid)
    check(t["person"] is None or t["person"] in people, "task %s: unknown person" % tid)
    check(t["plan"] is None or (t["plan"] in plans and within(t["unit"], plans[t["plan"]]["unit"])),
          "task %s: plan unknown or not at/above its unit" % tid)
    check(all(t[k].strip() for k in ("title", "target")), "task %s is not '5 rõ'" % tid)
    check(t["due"] >= t["assigned_on"], "task %s due before it was assigned" % tid)
    check(leads_on(t["assigned_by"], t["unit"], t["assigned_on"]),
          "task %s assigned by %s, not a leader in office" % (tid, t["assigned_by"]))
    last, closed, due = t["assigned_on"], False, t["due"]
    for step in t["history"]:
        check(not closed, "task %s: something happens after it was closed" % tid)
        check(step["on"] >= last, "task %s: history out of order" % tid)
        last = step["on"]
        if step["do"] == "progress":
            check(0 <= step["percent"] <= 100, "task %s: bad percent" % tid)
        elif step["do"] == "deadline":
            check(step["new_due"] != due and step["new_due"] >= t["assigned_on"] and step["reason"].strip(),
                  "task %s: bad deadline change" % tid)
            due = step["new_due"]
        elif step["do"] in ("complete", "cancel"):
            closed = True
        else:
            check(False, "task %s: unknown step %r" % (tid, step["do"]))
    if t["criterion"] is not None:
        check(CODE_RE.match(t["criterion"]) is not None, "task %s: bad criterion" % tid)
    tasks[tid] = t

# Who sends each step: progress and completion the task's person (or a leader of its unit);
# deadline changes and cancellations a leader in office at or above its unit that day.
for t, i, actor in STEP_ACTORS:
    step = t["history"][i]
    leader = leads_on(actor, unit_on(t, step["on"]), step["on"])
    if step["do"] in ("progress", "complete"):
        check(actor == t["person"] or leader,
              "task %s: %s reported by %s, neither its person nor a leader" % (t["id"], step["do"], actor))
    else:
        check(leader, "task %s: %s by %s, not a leader in office on %s" % (t["id"], step["do"], actor, step["on"]))

for fd in D["findings"]:
    check(ID_RE.match(fd["id"]) is not None, "bad finding id %r" % fd["id"])
    check(ID_RE.match(fd["remediation_task"]) is not None and fd["remediation_task"] not in task_ids,
          "finding %s: remediation task id bad or taken" % fd["id"])
    task_ids.add(fd["remediation_task"])
    check(fd["unit"] in units and fd["by"] in people, "finding %s: unknown unit or person" % fd["id"])
    check(fd["remediation_due"] >= fd["on"], "finding %s: remediation due before the finding" % fd["id"])
    check(fd["text"].strip() and fd["inspection_document"].strip(), "finding %s incomplete" % fd["id"])

for e in D["evidence"]:
    if e["task"] is not None:
        check(e["task"] in tasks, "evidence %s: unknown task" % e["id"])
        if e["task"] in tasks:
            check(e["unit"] == unit_on(tasks[e["task"]], e["on"]), "evidence %s: not at its task's unit" % e["id"])
            check(e["on"] >= tasks[e["task"]]["assigned_on"], "evidence %s: before its task" % e["id"])

# Scores, in file order (= load order): the value in force is the last one per key.
in_force = {}
history_len = {}
for s in D["scores"]:
    key = (s["unit"], s["year"], s["criterion"], s["stage"])
    u = units.get(s["unit"])
    if not check(u is not None, "score for unknown unit %s" % s["unit"]):
        continue
    fw = frameworks.get((s["year"], u["kind"]))
    if not check(fw is not None, "no framework for %s %d" % (u["kind"], s["year"])):
        continue
    crit = fw.get(s["criterion"])
    if not check(crit is not None, "criterion %s not in the %d %s framework" % (s["criterion"], s["year"], u["kind"])):
        continue
    check(s["stage"] in STAGES, "bad stage %r" % s["stage"])
    value = hund(s["points"])
    check(value <= hund(crit["max_points"]), "score %r above the maximum" % (key,))
    check(s["by"] in people, "score %r by unknown person" % (key,))
    check(s["reason"].strip() != "", "score %r has no reason" % (key,))
    date(s["on"])
    check(not (s["stage"] == "self-assessed" and crit["survey_measured"]), "survey criterion self-assessed: %r" % (key,))
    if s["stage"] == "final":
        check((s["unit"], s["year"], s["criterion"], "appraised") in in_force, "final before appraisal: %r" % (key,))
    for eid in s["evidence"]:
        e = evidence.get(eid)
        if check(e is not None, "score %r cites unknown evidence %s" % (key, eid)):
            check(within(e["unit"], s["unit"]), "score %r cites foreign evidence %s" % (key, eid))
            check(e["on"] <= s["on"], "score %r cites evidence attached later" % (key,))
    in_force[key] = value
    history_len[key] = history_len.get(key, 0) + 1

# --------------------------------------------------------------------------------------------
# 2. Totals and rankings (docs/views.md)
# --------------------------------------------------------------------------------------------


def total(uid, year, stage="final"):
    """Sum of the stage's values in force over the framework's criteria; None if any is missing."""
    fw = frameworks.get((year, units[uid]["kind"]))
    if fw is None:
        return None
    values = [in_force.get((uid, year, code, stage)) for code in fw]
    if stage == "final" and any(v is None for v in values):
        return None
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def peer_group(parent, kind):
    return [u["id"] for u in D["units"] if u["parent"] == parent and u["kind"] == kind]


def ranking(group, year):
    scored = sorted(((total(uid, year), uid) for uid in group if total(uid, year) is not None),
                    key=lambda p: (-p[0], p[1]))
    ranks = {}
    for i, (t, uid) in enumerate(scored):
        ranks[uid] = i + 1 if i == 0 or t != scored[i - 1][0] else ranks[scored[i - 1][1]]
    return ranks


def has_ties(group, year):
    totals = [total(uid, year) for uid in group if total(uid, year) is not None]
    return len(totals) != len(set(totals))


def name(uid):
    return units[uid]["name"]


def table(group, year, prev):
    now, before = ranking(group, year), ranking(group, prev)
    lines = []
    for uid in sorted(now, key=lambda u: (now[u], u)):
        change = before[uid] - now[uid] if uid in before else None
        change_text = "none" if change is None else ("%+d" % change if change else "0")
        lines.append("  %2d  %-44s %6s   (%d: %2d, %6s)  %s" % (
            now[uid], name(uid), fmt(total(uid, year)), prev, before.get(uid, 0),
            fmt(total(uid, prev)) if uid in before else "-", change_text))
    return lines


# --------------------------------------------------------------------------------------------
# 3. Published facts
# --------------------------------------------------------------------------------------------

report = []

# Sóc Trăng: the peer groups.
ST = "soc-trang"
check(units.get(ST, {}).get("name") == "Tỉnh Sóc Trăng" and units[ST]["kind"] == "province", "no Sóc Trăng province unit")
st_districts = peer_group(ST, "district")
st_depts = peer_group(ST, "department")
check(len(st_districts) == 11, "Sóc Trăng has %d district-level units, not 11" % len(st_districts))
check(len(st_depts) == 22, "Sóc Trăng has %d departments, not 22" % len(st_depts))
DISTRICT_NAMES = {
    "long-phu": "Huyện Long Phú", "my-xuyen": "Huyện Mỹ Xuyên", "tran-de": "Huyện Trần Đề",
    "cu-lao-dung": "Huyện Cù Lao Dung", "my-tu": "Huyện Mỹ Tú", "tp": "Thành phố Sóc Trăng",
    "chau-thanh": "Huyện Châu Thành", "ke-sach": "Huyện Kế Sách", "vinh-chau": "Thị xã Vĩnh Châu",
    "nga-nam": "Thị xã Ngã Năm", "thanh-tri": "Huyện Thạnh Trị",
}
by_name = {units[u]["name"]: u for u in st_districts}
check(set(by_name) == set(DISTRICT_NAMES.values()),
      "the district-level units are not Sóc Trăng's eleven: %s" % sorted(by_name))
dist = {k: by_name.get(v) for k, v in DISTRICT_NAMES.items()}

r14, r15 = ranking(st_districts, 2014), ranking(st_districts, 2015)
check(len(r14) == 11 and len(r15) == 11, "not every district has a complete final score in 2014 and 2015")
check(not has_ties(st_districts, 2014) and not has_ties(st_districts, 2015), "tied district totals")


def change(ranks_before, ranks_now, uid):
    return ranks_before[uid] - ranks_now[uid]


PUBLISHED_DISTRICTS = [
    # (what the article says, predicate)
    ("Long Phú 1st in 2015 (001, 004: 'sau Long Phú')", lambda: r15[dist["long-phu"]] == 1),
    ("Mỹ Xuyên 8th in 2014 -> 2nd in 2015 (001, 004)", lambda: (r14[dist["my-xuyen"]], r15[dist["my-xuyen"]]) == (8, 2)),
    ("Trần Đề second-to-last = 10th in 2014 -> 3rd in 2015, up 7 (001, 004)",
     lambda: (r14[dist["tran-de"]], r15[dist["tran-de"]], change(r14, r15, dist["tran-de"])) == (10, 3, 7)),
    ("Cù Lao Dung up 1 (001)", lambda: change(r14, r15, dist["cu-lao-dung"]) == 1),
    ("Mỹ Tú up 1 (001)", lambda: change(r14, r15, dist["my-tu"]) == 1),
    ("Thành phố Sóc Trăng up 1 (001)", lambda: change(r14, r15, dist["tp"]) == 1),
    ("Châu Thành down 6 (001)", lambda: change(r14, r15, dist["chau-thanh"]) == -6),
    ("Kế Sách down 4 (001)", lambda: change(r14, r15, dist["ke-sach"]) == -4),
    ("Vĩnh Châu down 2 (001)", lambda: change(r14, r15, dist["vinh-chau"]) == -2),
    ("Ngã Năm last (11th) in 2014 and 2015 (001: 'tiếp tục đứng ở vị trí cuối bảng')",
     lambda: (r14[dist["nga-nam"]], r15[dist["nga-nam"]]) == (11, 11)),
]
for text, pred in PUBLISHED_DISTRICTS:
    try:
        ok = pred()
    except KeyError:
        ok = False
    check(ok, "district fact fails: " + text)

# Departments: 14/22 higher index in 2015, 8/22 lower; education up 9 places; education and
# transport the two outstanding improvements.
d14, d15 = ranking(st_depts, 2014), ranking(st_depts, 2015)
check(len(d14) == 22 and len(d15) == 22, "not every department has a complete final score in 2014 and 2015")
check(not has_ties(st_depts, 2014) and not has_ties(st_depts, 2015), "tied department totals")
rank_up = [u for u in st_depts if d14[u] > d15[u]]
rank_down = [u for u in st_depts if d14[u] < d15[u]]
rank_same = [u for u in st_depts if d14[u] == d15[u]]
score_up = [u for u in st_depts if total(u, 2015) > total(u, 2014)]
score_down = [u for u in st_depts if total(u, 2015) < total(u, 2014)]
check((len(score_up), len(score_down)) == (14, 8),
      "departments with a higher/lower 2015 index: %d/%d, published 14/8" % (len(score_up), len(score_down)))
check((len(rank_up), len(rank_down), len(rank_same)) == (14, 8, 0),
      "departments up/down/unchanged in rank: %d/%d/%d, expected 14/8/0" % (len(rank_up), len(rank_down), len(rank_same)))
check(set(rank_up) == set(score_up), "the departments that rose in rank are not those whose index rose")
dept_by_name = {units[u]["name"]: u for u in st_depts}
sgd, sgtvt = dept_by_name.get("Sở Giáo dục và Đào tạo"), dept_by_name.get("Sở Giao thông vận tải")
check(sgd is not None and sgtvt is not None, "Sóc Trăng lacks the education or transport department")
check(change(d14, d15, sgd) == 9, "education department's rank change is %+d, published +9 (004)" % change(d14, d15, sgd))
gains = sorted(st_depts, key=lambda u: total(u, 2014) - total(u, 2015))
check(set(gains[:2]) == {sgd, sgtvt}, "education and transport are not the two largest index gains (001)")
for named in ["Sở Nội vụ", "Sở Tư pháp", "Sở Thông tin và Truyền thông", "Sở Văn hóa, Thể thao và Du lịch"]:
    check(named in dept_by_name, "department %s (named in the articles) missing" % named)

# The province's own index.
p14, p15 = total(ST, 2014), total(ST, 2015)
check(p15 == 8615, "province 2015 total %s, published 86.15 (004)" % fmt(p15 or 0))
check(p14 is not None and p15 - p14 == 443, "province 2015 - 2014 = %s, published +4.43 (004)" % fmt((p15 or 0) - (p14 or 0)))
fw_p = frameworks[(2015, "province")]


def component_total(uid, year, component):
    fw = frameworks[(year, units[uid]["kind"])]
    return sum(in_force.get((uid, year, code, "final"), 0) for code, c in fw.items() if c["component"] == component)


RANKED_UP = ["administrative-procedures", "organisation", "civil-service", "public-finance", "e-government"]
for comp in COMPONENTS:
    up = component_total(ST, 2015, comp) > component_total(ST, 2014, comp)
    check(up == (comp in RANKED_UP), "province field %s: up=%s, but the article's five fields are %s" % (comp, up, RANKED_UP))

# Hải Dương: the education department 16/18, 9/18, 5/18.
HD = "hai-duong"
hd_depts = peer_group(HD, "department")
check(len(hd_depts) == 18, "Hải Dương has %d departments, not 18" % len(hd_depts))
hd_sgd = {units[u]["name"]: u for u in hd_depts}.get("Sở Giáo dục và Đào tạo")
hd_ranks = {y: ranking(hd_depts, y) for y in (2021, 2022, 2023)}
for y in (2021, 2022, 2023):
    check(len(hd_ranks[y]) == 18 and not has_ties(hd_depts, y), "Hải Dương %d: not 18 distinct final totals" % y)
hd_seq = [hd_ranks[y].get(hd_sgd) for y in (2021, 2022, 2023)]
check(hd_seq == [16, 9, 5], "Hải Dương education ranks %s, published 16, 9, 5 (003)" % hd_seq)

# Sóc Trăng education department: divisions, leaders, plan, tasks, evidence.
sgd_divisions = [u for u in D["units"] if u["parent"] == sgd and u["kind"] == "division"]
div_names = {u["name"] for u in sgd_divisions}
for needed in ["Văn phòng", "Phòng Tổ chức cán bộ", "Thanh tra"]:
    check(needed in div_names, "education department lacks the division %s" % needed)
heads = sorted((t for t in D["tenures"] if t["unit"] == sgd and t["role"] == "head"), key=lambda t: t["from"])
check(len(heads) >= 2, "education department needs two successive heads")
changes_2016 = [b for a, b in zip(heads, heads[1:]) if a["to"] == b["from"] and b["from"].startswith("2016-")]
check(len(changes_2016) == 1, "education department: no change of head during 2016")
check(any(t["unit"] == sgd and t["role"] == "reform-deputy" for t in D["tenures"]), "education department: no reform deputy")
plan16 = [p for p in D["plans"] if p["unit"] == sgd and p["year"] == 2016]
check(len(plan16) == 1, "education department: no 2016 plan")
sgd_tasks = [t for t in D["tasks"] if within(t["unit"], sgd) and t["assigned_on"].startswith("2016-")]
check(8 <= len(sgd_tasks) <= 15, "education department has %d tasks in 2016, wanted 8-15" % len(sgd_tasks))


def task_state(t, as_of):
    """(state, due in force, completion date) as of a date, by docs/views.md."""
    due, state, when = t["due"], None, None
    for step in t["history"]:
        if step["on"] > as_of:
            break
        if step["do"] == "deadline":
            due = step["new_due"]
        elif step["do"] == "complete":
            state, when = ("done on time" if step["on"] <= due else "done late"), step["on"]
        elif step["do"] == "cancel":
            state, when = "cancelled", step["on"]
    if state is None:
        state = "overdue" if as_of > due else "open"
    return state, due, when


AS_OF = "2016-12-31"
states = {}
for t in sgd_tasks:
    states.setdefault(task_state(t, AS_OF)[0], []).append(t["id"])
for needed in ["done on time", "done late", "overdue", "cancelled"]:
    check(states.get(needed), "education department has no task %s as of %s" % (needed, AS_OF))
check(sum(1 for t in sgd_tasks for s in t["history"] if s["do"] == "deadline") >= 1, "no deadline change")
done = len(states.get("done on time", [])) + len(states.get("done late", []))
counted = len(sgd_tasks) - len(states.get("cancelled", []))
rate = (done * 20000 + counted) // (2 * counted) if counted else 0

DOCS_004 = {  # number -> date, from the document list in seeds/004
    "998/QĐ-SGDĐT": "2018-06-07", "1264/BC-SGDĐT": "2018-05-25", "358/BC-SGDĐT": "2018-02-26",
    "334/SGDĐT-TCCB": "2018-02-22", "315/KH-SGDĐT": "2018-02-21", "248/KH-SGDĐT": "2018-02-05",
    "171/SGDĐT-TCCB": "2018-01-26", "152/TB-SGDĐT": "2018-01-25", "139/KH-SGDĐT": "2018-01-23",
    "96/KH-SGDĐT": "2018-01-16", "74/SGDĐT-TCCB": "2018-01-12", "2974/TB-SGDĐT": "2017-12-22",
    "2667/BC-SGDĐT": "2017-11-09", "1480/SNV-CCHC": "2017-06-30", "1137/BC-SGDĐT": "2017-05-16",
    "1099/KH-SGDĐT": "2017-05-11", "746/QĐ-SGDĐT": "2017-04-18", "731/SGDĐT-TCCB": "2017-03-31",
    "707/SGDĐT-TCCB": "2017-03-28", "699/KH-SGDĐT": "2017-03-27", "578/KH-SGDĐT": "2017-03-13",
    "431/TB-SGDĐT": "2017-02-22", "185/KH-SGDĐT": "2017-02-06", "137/KH-SGDĐT": "2017-01-19",
    "2530/BC-SGDĐT": "2016-11-18", "1664/BC-SGDĐT": "2016-08-25",
    "07/NQ-CB5": "2016-05-27",  # seeds/000
}
sgd_evidence = {e["document_number"]: e["document_date"] for e in D["evidence"] if within(e["unit"], sgd)}
for number, when in DOCS_004.items():
    check(sgd_evidence.get(number) == when, "education evidence %s dated %s missing (found %r)" % (number, when, sgd_evidence.get(number)))
plan_numbers = {p["document_number"]: p["on"] for p in D["plans"] if p["unit"] == sgd}
check(plan_numbers.get("137/KH-SGDĐT") == "2017-01-19" and plan_numbers.get("96/KH-SGDĐT") == "2018-01-16",
      "the 2017 and 2018 plans (137/KH-SGDĐT, 96/KH-SGDĐT) are missing or misdated")
st_qd = [e for e in D["evidence"] if e["unit"] == ST and e["document_number"].startswith("2491/")]
check(len(st_qd) == 1 and st_qd[0]["document_date"] == "2016-10-17", "QĐ 2491 of 17/10/2016 missing")
check(all(s["on"] == "2016-10-17" for s in D["scores"]
          if s["stage"] == "final" and s["year"] == 2015 and units[s["unit"]]["parent"] == ST),
      "2015 finals of Sóc Trăng's units are not dated 2016-10-17 (QĐ 2491)")

# Stages: all three shown for some units, and the appraisal moves some self-assessed scores.
three = sorted({(k[0], k[1]) for k in in_force if k[3] == "self-assessed"
                and (k[0], k[1], k[2], "appraised") in in_force and (k[0], k[1], k[2], "final") in in_force})
check(len(three) >= 3, "fewer than three unit-years show all three stages")
moved = [k for k in in_force if k[3] == "self-assessed" and in_force.get((k[0], k[1], k[2], "appraised"), in_force[k]) != in_force[k]]
check(len(moved) >= 3, "the appraisal changes fewer than three self-assessed scores")

# Kiên Giang: the department, its 3 units and 4 divisions, the findings.
KG = "kien-giang"
kg_dept = {units[u]["name"]: u for u in peer_group(KG, "department")}.get("Sở Lao động - Thương binh và Xã hội")
check(kg_dept is not None, "Kiên Giang labour department missing")
kg_psu = {units[u]["name"] for u in peer_group(kg_dept, "public-service-unit")}
kg_div = {units[u]["name"] for u in peer_group(kg_dept, "division")}
check(kg_psu == {"Trường Trung cấp nghề Tứ giác Long Xuyên", "Trường Trung cấp nghề Dân tộc nội trú",
                 "Trung tâm Điều dưỡng Người có công"}, "Kiên Giang's three units are not those of the article: %s" % sorted(kg_psu))
check(len(kg_div) == 4 and {"Văn phòng Sở", "Phòng Người có công"} <= kg_div
      and any(n.startswith("Phòng Bảo trợ xã hội") for n in kg_div)
      and any(n.startswith("Phòng Lao động - Việc làm") for n in kg_div),
      "Kiên Giang's four divisions are not those of the article: %s" % sorted(kg_div))
kg_findings = [fd for fd in D["findings"] if within(fd["unit"], kg_dept)]
inspected = set(peer_group(kg_dept, "public-service-unit") + peer_group(kg_dept, "division"))
check({fd["unit"] for fd in kg_findings} == inspected, "not every inspected Kiên Giang unit has a finding")
check(all(fd["inspection_document"] == "12826/QĐ-LĐTBXH" for fd in kg_findings), "findings do not cite QĐ 12826/QĐ-LĐTBXH")
check(all("2020-08-25" <= fd["on"] <= "2020-08-28" for fd in kg_findings), "findings outside the visit of 25-28/8/2020")
check(all(leads_on(fd["by"], kg_dept, fd["on"]) for fd in kg_findings), "findings not recorded by the department's leader")
kg_texts = {fd["text"] for fd in kg_findings}
for phrase in ["quy chế làm việc", "công nghệ thông tin", "tuyên truyền các văn bản chỉ đạo",
               "hệ thống hóa văn bản quy phạm pháp luật", "dịch vụ công trực tuyến mức độ 3, 4",
               "báo cáo định kỳ"]:
    check(any(phrase in t for t in kg_texts), "no finding about %r (002)" % phrase)

# Every published district rank pattern is forced: enumerate every ranking consistent with the
# articles and see what it implies for the units they do not mention.
fixed15 = {"long-phu": 1, "my-xuyen": 2, "tran-de": 3, "nga-nam": 11}
fixed14 = {"my-xuyen": 8, "tran-de": 10, "nga-nam": 11}
deltas = {"cu-lao-dung": 1, "my-tu": 1, "tp": 1, "chau-thanh": -6, "ke-sach": -4, "vinh-chau": -2}
free = ["cu-lao-dung", "my-tu", "tp", "chau-thanh", "ke-sach", "vinh-chau", "thanh-tri"]
solutions = []
for perm in itertools.permutations(range(4, 11)):
    now = dict(fixed15, **dict(zip(free, perm)))
    before = dict(fixed14)
    before.update({k: now[k] + d for k, d in deltas.items()})
    left = sorted(set(range(1, 12)) - set(before.values()))
    if len(set(before.values())) != len(before) or not all(1 <= v <= 11 for v in before.values()) or len(left) != 2:
        continue
    for lp, tt in (left, left[::-1]):
        solutions.append((now, dict(before, **{"long-phu": lp, "thanh-tri": tt})))
tt_changes = sorted({b["thanh-tri"] - n["thanh-tri"] for n, b in solutions})
check(len(solutions) > 0, "the published district facts admit no ranking at all")
check(any(n == {k: r15[v] for k, v in dist.items()} and b == {k: r14[v] for k, v in dist.items()}
          for n, b in solutions), "the demo's district ranking is not among those the facts admit")

# --------------------------------------------------------------------------------------------
# 4. Leader accountability for the education department's heads (docs/views.md attribution)
# --------------------------------------------------------------------------------------------


def timeline(role):
    facts = []
    for t in D["tasks"]:
        if not within(t["unit"], sgd) or t["assigned_on"] >= "2025":
            continue
        facts.append((t["assigned_on"], "assigned", t["id"]))
        due = t["due"]
        for step in t["history"]:
            if step["do"] == "deadline":
                due = step["new_due"]
            elif step["do"] == "complete":
                facts.append((step["on"], "completed on time" if step["on"] <= due else "completed late", t["id"]))
            elif step["do"] == "cancel":
                facts.append((step["on"], "cancelled", t["id"]))
        # As in docs/views.md's worked example: a task still neither completed nor cancelled goes
        # overdue on the day after its due date (a task completed late does not).
        state, due_now, _ = task_state(t, AS_OF)
        if state == "overdue":
            facts.append((next_day(due_now), "went overdue", t["id"]))
    for s in D["scores"]:
        if s["unit"] == sgd:
            facts.append((s["on"], "score changed", "%d %s %s" % (s["year"], s["criterion"], s["stage"])))
    out = {}
    for on, what, about in sorted(facts):
        out.setdefault(holder(sgd, role, on), []).append((on, what, about))
    return out


heads_tl = timeline("head")

# --------------------------------------------------------------------------------------------
# 4b. The 2025 restructuring (docs/views.md "Restructuring")
# --------------------------------------------------------------------------------------------

CT = "can-tho"
ct_sgd = CT + "-" + sgd
for old, new in ((ST, CT), (KG, "an-giang"), (HD, "hai-phong")):
    check(ENDED.get(old) == (new, "2025-07-01", "merged"), "%s is not merged into %s on 1/7/2025" % (old, new))
check(all(ENDED.get(u, (None, None, None))[1:] == ("2025-07-01", "dissolved") for u in st_districts),
      "not every Sóc Trăng district is dissolved on 1/7/2025")
check(all(ENDED.get(u, (None,))[0] == CT + "-" + u for u in st_depts), "a department is not carried on in its namesake")
check(sorted(MOVED) == sorted(u["id"] for u in D["units"] if u["kind"] == "commune")
      and all(new == CT for _, new, _ in MOVED.values()), "the communes do not move up to Cần Thơ")
ct_depts = peer_group(CT, "department")
check(len(ct_depts) == 22, "Cần Thơ has %d departments in the demo, not 22" % len(ct_depts))
carried_sgd = sorted(tid for tid, (_, unit) in CARRIED.items() if within(unit, ct_sgd))
check(carried_sgd == ["st16-chat-luong-ccvc", "st16-dvc-muc-do-3", "st16-vbqppl",
                      "st25-dvc-toan-trinh", "st25-so-hoa-ho-so"],
      "the education department's open tasks carried to Cần Thơ: %s" % carried_sgd)
check(all(tasks[t]["unit"].startswith("st-sgddt") for t in carried_sgd), "a carried task was not Sóc Trăng's")
r25 = ranking(ct_depts, 2025)
check(len(r25) == 22 and not has_ties(ct_depts, 2025), "Cần Thơ's 2025 ranking is not 22 distinct places")
check(ranking(st_depts, 2025) == {}, "Sóc Trăng's ended departments are ranked for 2025")
ct_after = {}
for t in (tasks[x] for x in carried_sgd):
    ct_after.setdefault(task_state(t, "2026-01-01")[0], []).append(t["id"])

# --------------------------------------------------------------------------------------------
# 5. Report
# --------------------------------------------------------------------------------------------

print("demo/commands.jsonl: %d units, %d people, %d tenures, %d frameworks, %d plans, %d tasks, "
      "%d findings, %d evidence, %d score rows" % (
          len(D["units"]), len(D["people"]), len(D["tenures"]), len(D["frameworks"]), len(D["plans"]),
          len(D["tasks"]), len(D["findings"]), len(D["evidence"]), len(D["scores"])))
print()
print("Sóc Trăng, district-level units, 2014 (final totals):")
for uid in sorted(r14, key=lambda u: r14[u]):
    print("  %2d  %-24s %6s" % (r14[uid], name(uid), fmt(total(uid, 2014))))
print()
print("Sóc Trăng, district-level units, 2015, with rank change against 2014:")
for line in table(st_districts, 2015, 2014):
    print(line)
print()
print("Sóc Trăng, departments 2015 (rank change against 2014):")
for line in table(st_depts, 2015, 2014):
    print(line)
print("  index up %d / down %d of 22; rank up %d / down %d / unchanged %d" % (
    len(score_up), len(score_down), len(rank_up), len(rank_down), len(rank_same)))
print("  Sở Giáo dục và Đào tạo: %d -> %d (%+d); Sở Giao thông vận tải: %d -> %d (%+d)" % (
    d14[sgd], d15[sgd], change(d14, d15, sgd), d14[sgtvt], d15[sgtvt], change(d14, d15, sgtvt)))
print()
print("Tỉnh Sóc Trăng, own PAR INDEX: 2014 %s, 2015 %s (%+.2f); fields up: %s" % (
    fmt(p14), fmt(p15), (p15 - p14) / 100,
    ", ".join(c for c in COMPONENTS if component_total(ST, 2015, c) > component_total(ST, 2014, c))))
print("Hải Dương, Sở Giáo dục và Đào tạo: 2021 %d/18, 2022 %d/18 (%+d), 2023 %d/18 (%+d)" % (
    hd_seq[0], hd_seq[1], hd_seq[0] - hd_seq[1], hd_seq[2], hd_seq[1] - hd_seq[2]))
print()
print("Sở GD&ĐT Sóc Trăng, 2016 tasks as of %s: %s; completion rate %s %%" % (
    AS_OF, "; ".join("%s %d" % (k, len(v)) for k, v in sorted(states.items())), fmt(rate)))
for person, facts in heads_tl.items():
    counts = {}
    for _, what, _ in facts:
        counts[what] = counts.get(what, 0) + 1
    print("  head %-22s %s" % (people[person]["name"] if person else "(none)",
                               ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
print()
print("Restructured on 2025-07-01 (202/2025/QH15): %d units ended (%d merged, %d dissolved), %d communes moved up, %d tasks carried" % (
    len(ENDED), sum(1 for e in ENDED.values() if e[2] == "merged"),
    sum(1 for e in ENDED.values() if e[2] == "dissolved"), len(MOVED), len(CARRIED)))
print("Sở GD&ĐT thành phố Cần Thơ, tasks carried from Sóc Trăng's, as of 2026-01-01: %s" % (
    "; ".join("%s %d" % (k, len(v)) for k, v in sorted(ct_after.items()))))
print("Cần Thơ, departments 2025 (none ranked in 2024):")
for line in table(ct_depts, 2025, 2024):
    print(line)
print()
print("Kiên Giang inspection %s: %d findings at %d units, remediation due %s to %s" % (
    "12826/QĐ-LĐTBXH", len(kg_findings), len({fd['unit'] for fd in kg_findings}),
    min(fd["remediation_due"] for fd in kg_findings), max(fd["remediation_due"] for fd in kg_findings)))
print("Stages: %d unit-years with all three stages; %d self-assessed scores changed by appraisal; "
      "%d keys with more than one value" % (len(three), len(moved), sum(1 for v in history_len.values() if v > 1)))
print("Unpublished but forced: %d rankings fit the published district facts; in every one Thạnh Trị "
      "moves between %+d and %+d places (the articles name no change for it; the demo has %+d)" % (
          len(solutions), min(tt_changes), max(tt_changes), change(r14, r15, dist["thanh-tri"])))
print()
finish()
print("OK: all %d checks pass" % checked[0])
