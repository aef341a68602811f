"""Generate the ILLUSTRATIVE micro-data of a restructuring programme in Alstahaug (Nordland), 2013-2019.

The second shipped case, made to be unlike the first (Vestre Toten): another
region (a coastal municipality on the Helgeland coast, 2024 code 1820, with
the same borders since 1940 and SSB population from 2005, so eight years before
the programme for the counterfactual), other years, a smaller programme, and
no networks or competence rounds, so no ``participants.csv``.

**Everything here is invented.** The programme, its funding, its projects,
firms, jobs and survey answers are illustrative: no restructuring programme in
Alstahaug 2013-2019 is described, and no published total is matched. Only the
public statistics the report uses (SSB's population panel) are real. Firm
names are made up and organisation numbers are fictitious (they start with 1;
real ones start with 8 or 9). Run::

    .venv/bin/python data/generators/alstahaug.py [OUTDIR]   # default data/alstahaug/
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from _common import HEADERS, allocate, fictitious_org_numbers, fte, money, round_to, write_table

SEED = 20130101
YEARS = tuple(range(2013, 2020))
LAST_JOB_YEAR = 2020  # registrations continue one year after the last grant year

# --- The illustrative programme's totals (invented, not published) ----------------------
COUNTY = "Nordland fylkeskommune"
MUNICIPALITY = "Alstahaug kommune"
COUNTY_PER_YEAR = 2_000_000
MUNICIPALITY_PER_YEAR = 400_000
TOTAL_FUNDS_NOK = 7 * (COUNTY_PER_YEAR + MUNICIPALITY_PER_YEAR)  # 16.8 MNOK
ADMINISTRATION = dict(zip(YEARS, (480_000, 500_000, 510_000, 520_000, 530_000, 540_000, 560_000)))
OTHER = dict(zip(YEARS, (60_000, 70_000, 80_000, 70_000, 60_000, 70_000, 90_000)))
N_PROJECTS = 38
NEW_FTE_HALVES = 124  # 62.0 new FTE, in half-FTE units so that float sums are exact
SECURED_FTE_HALVES = 48  # 24.0 secured FTE
EXPECTED_JOBS = 140
N_RESPONDENTS = 22  # of 28 applicant firms

# --- Fictitious firms: (name, sector, employees_before, founded_year or None, new_firm) ----
FIRMS: tuple[tuple[str, str, int, int | None, bool], ...] = (
    ("Skarvholmen Havbruksteknikk AS", "Industri", 64, 1988, False),
    ("Lundvær Skipsservice AS", "Industri", 41, 1979, False),
    ("Offerstad Stålmontasje AS", "Industri", 23, 1996, False),
    ("Flatøyvågen Hydraulikk AS", "Industri", 12, 2004, False),
    ("Sandvær Kabelteknikk AS", "Industri", 9, 2008, False),
    ("Kvitlia Maritime Elektro AS", "Industri", 17, 1999, False),
    ("Måsvik Notbøteri AS", "Industri", 14, 1972, False),
    ("Storvika Undervannsdrift AS", "Industri", 0, 2015, True),
    ("Brennøy Rensefisk AS", "Bioøkonomi", 8, 2011, False),
    ("Tangvær Tareforedling AS", "Bioøkonomi", 0, 2014, True),
    ("Hestøyra Fiskemottak AS", "Bioøkonomi", 22, 1968, False),
    ("Ramsvik Røkeri AS", "Bioøkonomi", 6, 2002, False),
    ("Skogsholmen Gårdsmat AS", "Bioøkonomi", 3, 2009, False),
    ("Lyngsvær Skjellfarm AS", "Bioøkonomi", 4, 2010, False),
    ("Steinfjæra Fôrteknologi AS", "Bioøkonomi", 11, 2005, False),
    ("Sjøbakken Havnehotell AS", "Reiseliv", 19, 1985, False),
    ("Fjellvær Kystopplevelser AS", "Reiseliv", 3, 2012, False),
    ("Holmvika Rorbuer AS", "Reiseliv", 2, 2007, False),
    ("Nordvær Padling og Friluft AS", "Reiseliv", 0, 2016, True),
    ("Øksvika Datadrift AS", "IKT", 7, 2003, False),
    ("Havbryn Sensorsystemer AS", "IKT", 5, 2010, False),
    ("Kystlinja Programvare AS", "IKT", 0, 2017, True),
    ("Strandgata Regnskapskontor AS", "Handel og service", 8, 1994, False),
    ("Bøvær Båtutleie og Service AS", "Handel og service", 4, 2001, False),
    ("Vikstrand Rådgivning AS", "Handel og service", 3, 2006, False),
    ("Nesvika Transport AS", "Handel og service", 15, 1983, False),
    ("Langøyra Bygg og Vedlikehold AS", "Handel og service", 10, 1991, False),
    ("Grønnvær Elektroinstallasjon AS", "Handel og service", 6, 1998, False),
)
ORG_START = 10_187_000  # 8-digit base of the org numbers; "1..." is no real org number
# Projects per firm: 20 firms with one, 6 with two, 2 with three (38 in all).
CHAIN_LENGTHS = (3, 3, 2, 2, 2, 1, 1, 2, 1, 2, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
CHAINS = {1: (("forstudie",), ("forprosjekt",)), 2: (("forstudie", "forprosjekt"), ("forprosjekt", "hovedprosjekt")),
          3: (("forstudie", "forprosjekt", "hovedprosjekt"),)}

TOPICS: dict[str, tuple[str, ...]] = {
    "Industri": ("servicebase for havbruk", "elektrifisering av fartøy", "vedlikehold av merder", "sveising og montasje offshore",
                 "ny produktlinje for oppdrettsnæringen", "sertifisering for leverandørmarkedet"),
    "Bioøkonomi": ("rensefisk i egen produksjon", "foredling av tare", "lokal sjømat til restaurantmarkedet",
                   "skjelldyrking i liten skala", "restråstoff fra fiskemottak"),
    "Reiseliv": ("helårs kystopplevelser", "øyhopping og sykkelturisme", "pakketurer med overnatting"),
    "IKT": ("sanntidsdata for havbruk", "digitale tjenester for småbedrifter", "sensorer for vannkvalitet"),
    "Handel og service": ("service for fritidsbåter", "rådgivning for nyetablerte", "transport og logistikk på kysten"),
}
TYPE_WORD = {"forstudie": "Forstudie", "forprosjekt": "Forprosjekt", "hovedprosjekt": "Hovedprosjekt"}
GRANT_RANGE_KNOK = {"forstudie": (60, 150), "forprosjekt": (180, 420), "hovedprosjekt": (450, 1100)}
PROGRAMME_SHARE = {"forstudie": (0.45, 0.60), "forprosjekt": (0.35, 0.50), "hovedprosjekt": (0.20, 0.35)}
SURVEY_SHARES = {
    "would_not_have_happened": 0.30,
    "later_and_smaller": 0.20,
    "smaller": 0.15,
    "later": 0.15,
    "as_planned": 0.15,
    "dont_know": 0.05,
}


@dataclass
class Project:
    project_id: str
    firm: int
    type: str
    year: int
    title: str
    sector: str
    approved: int = 0
    paid: int = 0
    innovasjon_norge: int = 0
    other_public: int = 0
    private: int = 0

    @property
    def total_cost(self) -> int:
        return self.paid + self.innovasjon_norge + self.other_public + self.private


def budget_rows() -> tuple[list[tuple[int, str, str, int]], dict[int, int]]:
    """The budget table and the project support per year it implies."""
    rows: list[tuple[int, str, str, int]] = []
    support: dict[int, int] = {}
    for year in YEARS:
        income = COUNTY_PER_YEAR + MUNICIPALITY_PER_YEAR
        categories = {
            "project_support": income - ADMINISTRATION[year] - OTHER[year],
            "administration": ADMINISTRATION[year],
            "other": OTHER[year],
        }
        support[year] = categories["project_support"]
        names = list(categories)
        shares = allocate([categories[c] for c in names], MUNICIPALITY_PER_YEAR // 1000)
        for category, units in zip(names, shares, strict=True):
            rows.append((year, MUNICIPALITY, category, 1000 * units))
            rows.append((year, COUNTY, category, categories[category] - 1000 * units))
    assert sum(r[3] for r in rows) == TOTAL_FUNDS_NOK
    return rows, support


def plan_projects(rng: np.random.Generator) -> list[tuple[int, str, int]]:
    """(firm, type, year) of every project; every programme year gets at least one."""
    while True:  # seeded, so the same plan on every run
        plan = []
        for firm, length in enumerate(CHAIN_LENGTHS):
            options = CHAINS[length]
            chain = options[int(rng.integers(len(options)))]
            founded = FIRMS[firm][3] or YEARS[0]
            first = max(YEARS[0], founded)
            start = int(rng.integers(first, YEARS[-1] - length + 2))
            plan += [(firm, kind, start + step) for step, kind in enumerate(chain)]
        if {year for _, _, year in plan} == set(YEARS):
            return plan


def build_projects(rng: np.random.Generator, support: dict[int, int]) -> list[Project]:
    phase_order = {"forstudie": 0, "forprosjekt": 1, "hovedprosjekt": 2}
    plan = sorted(plan_projects(rng), key=lambda p: (p[2], p[0], phase_order[p[1]]))
    counters: dict[int, int] = {}
    projects = []
    for firm, kind, year in plan:
        counters[year] = counters.get(year, 0) + 1
        sector = FIRMS[firm][1]
        topic = TOPICS[sector][int(rng.integers(len(TOPICS[sector])))]
        projects.append(Project(f"AH-{year}-{counters[year]:02d}", firm, kind, year, f"{TYPE_WORD[kind]}: {topic}", sector))
    assert len(projects) == N_PROJECTS

    # Grants paid: random sizes by phase, scaled within each year to the budget's project support.
    raw = [float(rng.uniform(*GRANT_RANGE_KNOK[p.type])) for p in projects]
    for year in YEARS:
        idx = [i for i, p in enumerate(projects) if p.year == year]
        for i, units in zip(idx, allocate([raw[i] for i in idx], support[year] // 1000, minimum=1), strict=True):
            projects[i].paid = units * 1000
    for p in projects:
        p.approved = p.paid
    for i in sorted(rng.choice(len(projects), size=6, replace=False)):
        projects[i].approved = int(math.ceil(projects[i].paid / float(rng.uniform(0.6, 0.95)) / 1000)) * 1000
    for p in projects:
        cofunding = round_to(p.paid / float(rng.uniform(*PROGRAMME_SHARE[p.type])), 1000) - p.paid
        if p.type != "forstudie" and rng.random() < 0.4:
            p.innovasjon_norge = round_to(cofunding * float(rng.uniform(0.30, 0.50)), 1000)
        if p.type == "hovedprosjekt" and rng.random() < 0.3:
            p.other_public = round_to(cofunding * float(rng.uniform(0.10, 0.25)), 1000)
        p.private = cofunding - p.innovasjon_norge - p.other_public
        assert p.private > 0
    return projects


def build_jobs(rng: np.random.Generator, projects: list[Project]) -> list[tuple[str, int, int, int, int]]:
    """Job registrations (project_id, firm, year, new halves, secured halves)."""
    slots = []
    base_new = {"forstudie": 0.8, "forprosjekt": 2.5, "hovedprosjekt": 5.0}
    for p in projects:
        if p.type == "forstudie" and rng.random() < 0.8 or p.type == "forprosjekt" and rng.random() < 0.35:
            continue
        year = min(p.year + 1, LAST_JOB_YEAR)
        new_w = float(rng.gamma(2.0, base_new[p.type] / 2.0))
        sec_w = float(rng.gamma(2.0, 1.5)) if rng.random() < 0.35 else 0.0
        slots.append((p.project_id, p.firm, year, new_w, sec_w))
    new = allocate([s[3] for s in slots], NEW_FTE_HALVES, minimum=1)
    secured = allocate([s[4] for s in slots], SECURED_FTE_HALVES)
    return [(s[0], s[1], s[2], n, c) for s, n, c in zip(slots, new, secured, strict=True)]


def build_survey(rng: np.random.Generator, projects: list[Project],
                 jobs: list[tuple[str, int, int, int, int]]) -> list[tuple[int, str, str, int | None]]:
    respondents = set(int(f) for f in rng.choice(len(FIRMS), size=N_RESPONDENTS, replace=False))
    rows = [p for p in projects if p.firm in respondents]
    counts = allocate(list(SURVEY_SHARES.values()), len(rows))
    answers = [a for a, c in zip(SURVEY_SHARES, counts, strict=True) for _ in range(c)]
    answers = [answers[i] for i in rng.permutation(len(answers))]
    registered: dict[tuple[str, int], float] = {}
    for project_id, firm, _year, new, sec in jobs:
        registered[(project_id, firm)] = registered.get((project_id, firm), 0) + (new + sec) / 2
    base_expect = {"forstudie": 1.0, "forprosjekt": 3.0, "hovedprosjekt": 7.0}
    floor, weight, blank = [], [], []
    for p, answer in zip(rows, answers, strict=True):
        is_blank = answer == "dont_know" or (p.type == "forstudie" and rng.random() < 0.3)
        blank.append(is_blank)
        floor.append(0 if is_blank else math.ceil(registered.get((p.project_id, p.firm), 0.0)))
        weight.append(0.0 if is_blank else float(rng.gamma(2.0, base_expect[p.type] / 2.0)))
    extra = allocate(weight, EXPECTED_JOBS - sum(floor))
    return [(p.firm, p.project_id, a, None if b else f + e)
            for p, a, b, f, e in zip(rows, answers, blank, floor, extra, strict=True)]


def generate(outdir: Path) -> None:
    """Write the five tables of the ILLUSTRATIVE Alstahaug programme into ``outdir`` (no participants.csv)."""
    rng = np.random.default_rng(SEED)
    org = fictitious_org_numbers(ORG_START, len(FIRMS))
    budget, support = budget_rows()
    projects = build_projects(rng, support)
    jobs = build_jobs(rng, projects)
    survey = build_survey(rng, projects, jobs)
    write_table(outdir / "budget.csv", HEADERS["budget"], sorted((str(y), s, c, money(a)) for y, s, c, a in budget))
    write_table(
        outdir / "projects.csv",
        HEADERS["projects"],
        sorted(
            (p.project_id, org[p.firm], p.title, p.type, p.sector, str(p.year), money(p.approved), money(p.paid),
             money(p.total_cost), money(p.innovasjon_norge), money(p.other_public), money(p.private))
            for p in projects
        ),
    )
    write_table(
        outdir / "firms.csv",
        HEADERS["firms"],
        sorted((org[i], name, sector, str(new), "" if founded is None else str(founded), str(emp))
               for i, (name, sector, emp, founded, new) in enumerate(FIRMS)),
    )
    write_table(outdir / "jobs.csv", HEADERS["jobs"],
                sorted((pid, org[f], str(y), fte(n / 2), fte(c / 2)) for pid, f, y, n, c in jobs))
    write_table(outdir / "survey.csv", HEADERS["survey"],
                sorted((org[f], pid, a, "" if e is None else fte(e)) for f, pid, a, e in survey))


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[1] / "alstahaug"
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
