"""Generate the ILLUSTRATIVE micro-data of the Vestre Toten restructuring programme, 2010-2016.

Project-level records of real programmes are confidential, so evalkit ships made-up
records calibrated so that the published totals come out exactly:

* 63 projects, about 17.5 MNOK project support, 2 SMB Utvikling rounds, 2 new networks,
  ~180 registered jobs "most of them new", ~300 jobs expected by the firms (survey),
  6 new firms, "nærmere 60" firms involved, 80 % of the funds used as project support
  (Vestre Toten kommune, presentation of the programme; /work/shared/seed/vestre_toten_presentation.txt);
* 2.5 MNOK/year from Oppland fylkeskommune and 0.5 MNOK/year from the municipality
  (data/ssb/vestre_toten_omstilling_facts.csv, from vestre-toten.kommune.no).

Every firm, name, organisation number, project and figure below the published totals
is fictitious. Run::

    .venv/bin/python data/generators/vestre_toten.py [OUTDIR]   # default data/vestre_toten/
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from _common import HEADERS, allocate, fictitious_org_numbers, fte, money, round_to, write_table

SEED = 20100101
YEARS = tuple(range(2010, 2017))
LAST_JOB_YEAR = 2017  # registrations continue one year after the last grant year

# --- Published targets (seed presentation and SSB/municipality facts) -------------------
N_PROJECTS = 63
PROJECT_SUPPORT_NOK = 17_500_000
TOTAL_FUNDS_NOK = 21_875_000  # 17.5 MNOK = exactly 80 % of the funds
COUNTY = "Oppland fylkeskommune"
MUNICIPALITY = "Vestre Toten kommune"
COUNTY_PER_YEAR = 2_500_000
MUNICIPALITY_PER_YEAR = 500_000
# Extra county grants for the two SMB Utvikling rounds: 0.875 MNOK in all, so that the
# project support is exactly 80 % of the programme's funds.
EXTRA_COUNTY = {2012: 450_000, 2015: 425_000}
N_FIRMS = 59
N_NEW_FIRMS = 6
NEW_FTE_HALVES = 262  # 131.0 new FTE, in half-FTE units so that float sums are exact
SECURED_FTE_HALVES = 98  # 49.0 secured FTE
EXPECTED_JOBS = 300

# Administration and "other" (information, competence events) per year; chosen so the
# remainder, the project support, is close to 80 % of each year's funds.
ADMINISTRATION = dict(zip(YEARS, (520_000, 540_000, 560_000, 560_000, 570_000, 580_000, 600_000)))
OTHER = dict(zip(YEARS, (45_000, 55_000, 70_000, 65_000, 60_000, 70_000, 80_000)))

# --- Fictitious firms ----------------------------------------------------------------
# (name, sector, employees_before, founded_year or None, new_firm). Indices 0-35 apply for
# projects; 36-58 take part only through the networks and SMB Utvikling rounds.
FIRMS: tuple[tuple[str, str, int, int | None, bool], ...] = (
    ("Skreddal Forsvarssystemer AS", "Industri", 540, 1961, False),
    ("Hunnselv Aluminiumsteknikk AS", "Industri", 380, 1972, False),
    ("Lenavik Bildeler AS", "Industri", 260, 1985, False),
    ("Mjøsvang Komponenter AS", "Industri", 180, 1994, False),
    ("Kolbulia Støperi AS", "Industri", 120, None, False),
    ("Bjørnsgard Mekaniske Verksted AS", "Industri", 42, 1978, False),
    ("Fjellhaug Presisjon AS", "Industri", 18, 2001, False),
    ("Reinsvoll Overflateteknikk AS", "Industri", 27, 1990, False),
    ("Eriksrud Automasjon AS", "Industri", 12, 2006, False),
    ("Sillongen Plastindustri AS", "Industri", 35, 1983, False),
    ("Grøtli Verktøy AS", "Industri", 9, 1999, False),
    ("Nordlie Sveis og Montasje AS", "Industri", 14, 2003, False),
    ("Kvernbekken Laserskjæring AS", "Industri", 11, 2005, False),
    ("Smedstad Komposittprodukter AS", "Industri", 0, 2012, True),
    ("Vardalsli Robotikk AS", "Industri", 0, 2014, True),
    ("Bakkeli Data AS", "IKT", 8, 2000, False),
    ("Totenvik IT-tjenester AS", "IKT", 6, 2004, False),
    ("Hovland Sensorteknologi AS", "IKT", 4, 2009, False),
    ("Skjellerud Digital AS", "IKT", 0, 2011, True),
    ("Brennvollen Simulering AS", "IKT", 15, 1997, False),
    ("Einavika Gårdsmat AS", "Bioøkonomi", 5, 2007, False),
    ("Fagerli Bakeri AS", "Bioøkonomi", 22, 1968, False),
    ("Totenåsen Trevare AS", "Bioøkonomi", 16, 1975, False),
    ("Sveinhaug Gårdsysteri AS", "Bioøkonomi", 3, 2008, False),
    ("Bøverbru Bioenergi AS", "Bioøkonomi", 0, 2013, True),
    ("Lauvåsen Kjøttforedling AS", "Bioøkonomi", 12, 1988, False),
    ("Totenåsen Fjellstue AS", "Reiseliv", 4, 1992, False),
    ("Skjeppesgard Opplevelser AS", "Reiseliv", 0, 2015, True),
    ("Hekshusgarden Overnatting AS", "Reiseliv", 3, 2002, False),
    ("Ihlebakken Jernvare AS", "Handel og service", 7, 1955, False),
    ("Bjørnstad Regnskap AS", "Handel og service", 9, 1996, False),
    ("Mjøsplan Rådgivning AS", "Handel og service", 5, 2008, False),
    ("Kvikkbud Logistikk AS", "Handel og service", 14, 1999, False),
    ("Grøndal Industriservice AS", "Industri", 21, 1987, False),
    ("Hagebakken Matprodukter AS", "Bioøkonomi", 0, 2016, True),
    ("Slettum Elektro AS", "Industri", 24, 1981, False),
    ("Haugvoll Maskinering AS", "Industri", 16, 1993, False),
    ("Steinsrud Hydraulikk AS", "Industri", 8, 2002, False),
    ("Rognstad Pulverlakk AS", "Industri", 6, 1998, False),
    ("Feiring Elektronikkmontasje AS", "Industri", 19, 1991, False),
    ("Vestbakken Emballasje AS", "Industri", 11, 1986, False),
    ("Tokerud Stålkonstruksjon AS", "Industri", 23, 1979, False),
    ("Lønnåsen Gummi og Plast AS", "Industri", 7, 2004, False),
    ("Ruudsmoen Industrimaling AS", "Industri", 4, 2007, False),
    ("Holmstua Honning AS", "Bioøkonomi", 2, 2005, False),
    ("Bjørkeli Eplemost AS", "Bioøkonomi", 3, 2009, False),
    ("Kirkerud Gårdsbryggeri AS", "Bioøkonomi", 2, 2008, False),
    ("Nordbykollen Grønnsaker AS", "Bioøkonomi", 6, 1990, False),
    ("Skogstad Sagbruk AS", "Bioøkonomi", 13, None, False),
    ("Hovdlia Fjørfe AS", "Bioøkonomi", 5, 1999, False),
    ("Lindvang Frisør og Velvære AS", "Handel og service", 4, 2006, False),
    ("Torgersrud Bygg og Anlegg AS", "Handel og service", 17, 1984, False),
    ("Skreppa Reklame og Trykk AS", "Handel og service", 6, 1995, False),
    ("Gimlevang Sportsforretning AS", "Handel og service", 5, None, False),
    ("Elvebakken Webdesign AS", "IKT", 2, 2007, False),
    ("Bratlie Systemutvikling AS", "IKT", 5, 2003, False),
    ("Mjøskanten Camping AS", "Reiseliv", 2, 1976, False),
    ("Sagvollen Kafé og Catering AS", "Reiseliv", 4, 2001, False),
    ("Vindfjell Vedlikehold AS", "Industri", 9, 1997, False),
)
N_APPLICANT_FIRMS = 36
VT_ORG_START = 10_043_000  # 8-digit base of the org numbers; "1..." is no real org number

# Each applicant firm's own projects: (type, year). Chains forstudie -> forprosjekt ->
# hovedprosjekt are how the programme worked with firms.
FIRM_PROJECTS: dict[int, tuple[tuple[str, int], ...]] = {
    0: (("forprosjekt", 2010), ("hovedprosjekt", 2010), ("hovedprosjekt", 2014)),
    1: (("forstudie", 2010), ("forprosjekt", 2011), ("hovedprosjekt", 2012)),
    2: (("forprosjekt", 2010), ("hovedprosjekt", 2013)),
    3: (("forstudie", 2011), ("hovedprosjekt", 2012), ("hovedprosjekt", 2015)),
    4: (("forprosjekt", 2012), ("hovedprosjekt", 2014)),
    5: (("forstudie", 2010), ("forprosjekt", 2010), ("hovedprosjekt", 2011)),
    6: (("forstudie", 2011), ("forprosjekt", 2012)),
    7: (("forprosjekt", 2013), ("hovedprosjekt", 2015)),
    8: (("forstudie", 2012), ("forprosjekt", 2013), ("hovedprosjekt", 2016)),
    9: (("forprosjekt", 2015),),
    10: (("forstudie", 2013),),
    11: (("forprosjekt", 2011),),
    12: (("forstudie", 2016),),
    13: (("forstudie", 2012), ("forprosjekt", 2013), ("hovedprosjekt", 2015)),
    14: (("forstudie", 2014),),
    15: (("forprosjekt", 2011),),
    16: (("forstudie", 2010), ("hovedprosjekt", 2011)),
    17: (("forstudie", 2015),),
    18: (("forstudie", 2011), ("forprosjekt", 2012), ("hovedprosjekt", 2016)),
    19: (("forprosjekt", 2014), ("hovedprosjekt", 2016)),
    20: (("forstudie", 2010),),
    21: (("forprosjekt", 2010), ("hovedprosjekt", 2013)),
    22: (("forprosjekt", 2014),),
    23: (("forstudie", 2010),),
    24: (("forstudie", 2013), ("forprosjekt", 2014)),
    25: (("forstudie", 2015),),
    26: (("forstudie", 2010), ("forprosjekt", 2012)),
    27: (("forstudie", 2015), ("forprosjekt", 2016)),
    28: (("forstudie", 2014),),
    29: (("forstudie", 2011),),
    30: (("forstudie", 2016),),
    31: (("forprosjekt", 2010),),
    32: (("forstudie", 2014),),
    33: (),
    34: (("forstudie", 2016),),
    35: (("forprosjekt", 2016),),
}

# Networks and competence rounds: (type, year, coordinating firm, members besides it, title, sector).
GROUP_PROJECTS: tuple[tuple[str, int, int, tuple[int, ...], str, str], ...] = (
    ("nettverk", 2011, 0, (5, 36, 37, 39, 41, 58), "Leverandørnettverk for forsvars- og bildelindustrien", "Industri"),
    ("nettverk", 2013, 25, (21, 44, 45, 46, 47, 49), "Matnettverk Vestre Toten", "Bioøkonomi"),
    ("kompetanse", 2012, 33, (7, 10, 38, 40, 42, 43, 48, 50, 51, 52), "SMB Utvikling, runde 1", "Industri"),
    ("kompetanse", 2015, 35, (11, 15, 53, 54, 55, 56, 57, 30, 9), "SMB Utvikling, runde 2", "Handel og service"),
)

TOPICS: dict[str, tuple[str, ...]] = {
    "Industri": (
        "automatisert sveiselinje",
        "lettvektskomponenter i aluminium",
        "ny overflatebehandling",
        "robotisert montasje",
        "kvalifisering som leverandør til forsvarsindustrien",
        "digital kvalitetskontroll i produksjonen",
        "nytt komponentprogram for bilindustrien",
        "energieffektiv produksjon",
        "eksportsatsing mot Tyskland",
        "komposittmaterialer i bærende deler",
    ),
    "IKT": (
        "sporbarhet i verdikjeden",
        "simuleringsverktøy for industrien",
        "sensornettverk for vedlikehold",
        "digital plattform for små bedrifter",
    ),
    "Bioøkonomi": (
        "lokalmat fra Totenåsen",
        "nye meieriprodukter",
        "trevarer i massivtre",
        "bioenergi fra restvirke",
        "foredling og pakking av kjøtt",
    ),
    "Reiseliv": ("helårs opplevelsestilbud", "overnatting og kurs", "sykkel- og vandreturisme"),
    "Handel og service": (
        "netthandel og logistikk",
        "rådgivning for industribedrifter",
        "utvidet serviceavtale",
    ),
}
TYPE_WORD = {"forstudie": "Forstudie", "forprosjekt": "Forprosjekt", "hovedprosjekt": "Hovedprosjekt"}

# Plausible grant sizes by phase (kNOK) before the per-year calibration.
GRANT_RANGE_KNOK = {
    "forstudie": (50, 140),
    "forprosjekt": (150, 350),
    "hovedprosjekt": (300, 1000),
    "nettverk": (250, 450),
    "kompetanse": (380, 600),
}
# Programme share of a project's total cost by phase (the rest is co-funding).
PROGRAMME_SHARE = {
    "forstudie": (0.45, 0.60),
    "forprosjekt": (0.35, 0.50),
    "hovedprosjekt": (0.20, 0.40),
    "nettverk": (0.40, 0.55),
    "kompetanse": (0.35, 0.50),
}
SURVEY_SHARES = {  # ~88 % say the support was decisive (Innovasjon Norge's customer surveys)
    "would_not_have_happened": 0.36,
    "later_and_smaller": 0.22,
    "smaller": 0.14,
    "later": 0.16,
    "as_planned": 0.08,
    "dont_know": 0.04,
}
N_RESPONDENTS = 29  # of 36 applicant firms: 80.6 %


@dataclass
class Project:
    project_id: str
    firm: int
    type: str
    year: int
    title: str
    sector: str
    members: tuple[int, ...] = ()
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
        extra = EXTRA_COUNTY.get(year, 0)
        income = COUNTY_PER_YEAR + MUNICIPALITY_PER_YEAR + extra
        categories = {
            "project_support": income - ADMINISTRATION[year] - OTHER[year],
            "administration": ADMINISTRATION[year],
            "other": OTHER[year],
        }
        support[year] = categories["project_support"]
        # The municipality's money is spread over the categories in proportion to the
        # ordinary frame; the extra county grant is all project support (SMB Utvikling).
        ordinary = dict(categories)
        ordinary["project_support"] -= extra
        names = list(ordinary)
        shares = allocate([ordinary[c] for c in names], MUNICIPALITY_PER_YEAR // 1000)
        municipal = {c: 1000 * u for c, u in zip(names, shares, strict=True)}
        for category in names:
            rows.append((year, MUNICIPALITY, category, municipal[category]))
            rows.append((year, COUNTY, category, categories[category] - municipal[category]))
    assert sum(support.values()) == PROJECT_SUPPORT_NOK
    assert sum(r[3] for r in rows) == TOTAL_FUNDS_NOK
    return rows, support


def build_projects(rng: np.random.Generator, support: dict[int, int]) -> list[Project]:
    plan: list[tuple[int, str, int, str, str, tuple[int, ...]]] = []
    for firm, items in FIRM_PROJECTS.items():
        sector = FIRMS[firm][1]
        topics = list(rng.permutation(TOPICS[sector]))
        seen: dict[str, int] = {}
        for kind, year in items:
            # A firm's chain keeps its topic; a second project of the same phase is a new topic.
            topic = topics[seen.get(kind, 0) % len(topics)]
            seen[kind] = seen.get(kind, 0) + 1
            plan.append((firm, kind, year, f"{TYPE_WORD[kind]}: {topic}", sector, ()))
    for kind, year, firm, members, title, sector in GROUP_PROJECTS:
        plan.append((firm, kind, year, title, sector, members))
    phase_order = {"forstudie": 0, "forprosjekt": 1, "hovedprosjekt": 2, "nettverk": 3, "kompetanse": 4}
    plan.sort(key=lambda p: (p[2], p[0], phase_order[p[1]]))
    counters: dict[int, int] = {}
    projects: list[Project] = []
    for firm, kind, year, title, sector, members in plan:
        counters[year] = counters.get(year, 0) + 1
        projects.append(
            Project(f"VT-{year}-{counters[year]:02d}", firm, kind, year, title, sector, members)
        )
    assert len(projects) == N_PROJECTS

    # Grants paid: random sizes by phase, then scaled within each year so that the
    # grants paid that year equal the budget's project support (whole 1000 NOK).
    raw = [float(rng.uniform(*GRANT_RANGE_KNOK[p.type])) for p in projects]
    for i, p in enumerate(projects):
        if p.type == "hovedprosjekt" and FIRMS[p.firm][2] >= 100:
            raw[i] *= 1.25  # the large Raufoss firms run the biggest main projects
    for year in YEARS:
        idx = [i for i, p in enumerate(projects) if p.year == year]
        units = allocate([raw[i] for i in idx], support[year] // 1000, minimum=1)
        for i, u in zip(idx, units, strict=True):
            projects[i].paid = u * 1000

    # Some projects used less than approved (cheaper, stopped early, or reduced scope).
    underspent = rng.choice(len(projects), size=11, replace=False)
    for p in projects:
        p.approved = p.paid
    for i in sorted(underspent):
        share_paid = float(rng.uniform(0.55, 0.95))
        projects[i].approved = int(math.ceil(projects[i].paid / share_paid / 1000)) * 1000

    for p in projects:
        share = float(rng.uniform(*PROGRAMME_SHARE[p.type]))
        cofunding = round_to(p.paid / share, 1000) - p.paid
        if p.type == "kompetanse":
            # SMB Utvikling is Innovasjon Norge's programme: it co-funds every round.
            p.innovasjon_norge = round_to(cofunding * float(rng.uniform(0.40, 0.50)), 1000)
        elif p.type in ("forprosjekt", "hovedprosjekt") and rng.random() < 0.35:
            p.innovasjon_norge = round_to(cofunding * float(rng.uniform(0.30, 0.50)), 1000)
        if p.type in ("forprosjekt", "hovedprosjekt", "nettverk") and rng.random() < 0.18:
            p.other_public = round_to(cofunding * float(rng.uniform(0.10, 0.30)), 1000)
        p.private = cofunding - p.innovasjon_norge - p.other_public
        assert p.private > 0
    return projects


def build_jobs(rng: np.random.Generator, projects: list[Project]) -> list[tuple[str, int, int, int, int]]:
    """Job registrations (project_id, firm, year, new halves, secured halves)."""
    slots: list[tuple[str, int, int, float, float]] = []
    forstudie_with_jobs = {p.project_id for p in projects if p.type == "forstudie"}
    forstudie_with_jobs = set(sorted(forstudie_with_jobs)[3:24:10])  # a couple, "mostly none"
    for p in projects:
        if p.type == "forstudie" and p.project_id not in forstudie_with_jobs:
            continue
        if p.type == "forprosjekt" and rng.random() < 0.3:
            continue
        firms = [p.firm]
        if p.members:
            firms += list(rng.choice(p.members, size=min(4, len(p.members)), replace=False))
        for firm in firms:
            later = [y for y in (p.year + 1, p.year + 2) if y <= LAST_JOB_YEAR]
            if not later:
                later = [p.year]
            years = later[:2] if p.type == "hovedprosjekt" and rng.random() < 0.5 else later[:1]
            large = FIRMS[firm][2] >= 100
            base_new = {"hovedprosjekt": 6.0, "forprosjekt": 2.5, "nettverk": 1.5, "kompetanse": 1.0}
            for year in years:
                new_w = float(rng.gamma(2.0, base_new.get(p.type, 1.0) / 2.0)) * (1.5 if large else 1.0)
                if large and p.type in ("hovedprosjekt", "forprosjekt", "nettverk"):
                    sec_w = float(rng.gamma(2.0, 2.5))
                elif rng.random() < 0.12:
                    sec_w = float(rng.gamma(2.0, 1.0))
                else:
                    sec_w = 0.0
                slots.append((p.project_id, int(firm), int(year), new_w, sec_w))
    new = allocate([s[3] for s in slots], NEW_FTE_HALVES, minimum=1)
    secured = allocate([s[4] for s in slots], SECURED_FTE_HALVES, minimum=1)
    return [(s[0], s[1], s[2], n, c) for s, n, c in zip(slots, new, secured, strict=True)]


def build_survey(
    rng: np.random.Generator, projects: list[Project], jobs: list[tuple[str, int, int, int, int]]
) -> list[tuple[int, str, str, int | None]]:
    respondents = sorted(int(f) for f in rng.choice(N_APPLICANT_FIRMS, size=N_RESPONDENTS, replace=False))
    rows = [p for p in projects if p.firm in respondents]
    counts = allocate(list(SURVEY_SHARES.values()), len(rows))
    answers = [a for a, c in zip(SURVEY_SHARES, counts, strict=True) for _ in range(c)]
    answers = [answers[i] for i in rng.permutation(len(answers))]
    registered: dict[tuple[str, int], float] = {}
    for project_id, firm, _year, new, sec in jobs:
        registered[(project_id, firm)] = registered.get((project_id, firm), 0) + (new + sec) / 2
    base_expect = {"forstudie": 1.0, "forprosjekt": 3.0, "hovedprosjekt": 7.0, "nettverk": 5.0, "kompetanse": 4.0}
    floor: list[int] = []
    weight: list[float] = []
    blank: list[bool] = []
    for p, answer in zip(rows, answers, strict=True):
        # "Don't know" firms and some pre-studies give no figure for expected jobs.
        is_blank = answer == "dont_know" or (p.type == "forstudie" and rng.random() < 0.25)
        blank.append(is_blank)
        # Expected jobs are at least those already registered at the firm for the project.
        floor.append(0 if is_blank else math.ceil(registered.get((p.project_id, p.firm), 0.0)))
        weight.append(0.0 if is_blank else float(rng.gamma(2.0, base_expect[p.type] / 2.0)))
    extra = allocate(weight, EXPECTED_JOBS - sum(floor))
    return [
        (p.firm, p.project_id, a, None if b else f + e)
        for p, a, b, f, e in zip(rows, answers, blank, floor, extra, strict=True)
    ]


def generate(outdir: Path) -> None:
    """Write the six tables of the ILLUSTRATIVE Vestre Toten programme into ``outdir``."""
    rng = np.random.default_rng(SEED)
    org = fictitious_org_numbers(VT_ORG_START, len(FIRMS))
    budget, support = budget_rows()
    projects = build_projects(rng, support)
    jobs = build_jobs(rng, projects)
    survey = build_survey(rng, projects, jobs)

    write_table(
        outdir / "budget.csv",
        HEADERS["budget"],
        sorted((str(y), s, c, money(a)) for y, s, c, a in budget),
    )
    write_table(
        outdir / "projects.csv",
        HEADERS["projects"],
        sorted(
            (
                p.project_id, org[p.firm], p.title, p.type, p.sector, str(p.year),
                money(p.approved), money(p.paid), money(p.total_cost),
                money(p.innovasjon_norge), money(p.other_public), money(p.private),
            )
            for p in projects
        ),
    )
    write_table(
        outdir / "firms.csv",
        HEADERS["firms"],
        sorted(
            (org[i], name, sector, str(new), "" if founded is None else str(founded), str(emp))
            for i, (name, sector, emp, founded, new) in enumerate(FIRMS)
        ),
    )
    write_table(
        outdir / "participants.csv",
        HEADERS["participants"],
        sorted((p.project_id, org[m]) for p in projects for m in p.members),
    )
    write_table(
        outdir / "jobs.csv",
        HEADERS["jobs"],
        sorted((pid, org[f], str(y), fte(n / 2), fte(c / 2)) for pid, f, y, n, c in jobs),
    )
    write_table(
        outdir / "survey.csv",
        HEADERS["survey"],
        sorted((org[f], pid, a, "" if e is None else fte(e)) for f, pid, a, e in survey),
    )


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[1] / "vestre_toten"
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
