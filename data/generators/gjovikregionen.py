"""Generate the ILLUSTRATIVE micro-data of Gjøvikregionen's business development programme, 2017-2018.

The regional programme that continued Vestre Toten's restructuring programme started
1 January 2017. Published facts it is calibrated to (Vestre Toten kommune, presentation of
the programmes; /work/shared/seed/vestre_toten_presentation.txt):

* financed by the five municipalities with "vel 5 mill. kr/år"; 90 % of the frame to firms;
* priority sectors industry, ICT and bioeconomy; early-phase projects (forstudier, forprosjekter);
* "litt treg start i 2017"; by the end of 2018 support granted to 17 projects with about 5.5 MNOK.

The municipalities pay in by their population on 1 January 2017 (SSB table 07459, copied in
src/evalkit/data/ssb/, the copy shipped with evalkit). ``budget.csv`` holds the
PLANNED frame for 2017-2020 (the programme was decided for four years); what was granted and
paid is in ``projects.csv``. Jobs are few and there is no survey yet (the evaluation was planned
for 2019): ``participants.csv`` and ``survey.csv`` have a header only.

Every firm, name, organisation number and project is fictitious; three firms are the same
fictitious firms as in the Vestre Toten data. Run::

    .venv/bin/python data/generators/gjovikregionen.py [OUTDIR]   # default data/gjovikregionen/
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from _common import HEADERS, allocate, fictitious_org_numbers, fte, money, round_to, write_table
from vestre_toten import FIRMS as VT_FIRMS
from vestre_toten import VT_ORG_START

SEED = 20170101
PLAN_YEARS = (2017, 2018, 2019, 2020)
FRAME_PER_YEAR_NOK = 5_250_000  # "vel 5 mill. kr/år"
PROJECT_SUPPORT_SHARE = 0.90  # "90 % av rammen skal ut til bedriftene"
APPROVED_TOTAL_NOK = 5_500_000  # "17 prosjekter med til sammen ca. 5,5 mill. kr"

# Population 1 January 2017, SSB table 07459 (2024 municipality codes).
MUNICIPALITIES: tuple[tuple[str, str, int], ...] = (
    ("3407", "Gjøvik kommune", 30_319),
    ("3442", "Østre Toten kommune", 14_887),
    ("3443", "Vestre Toten kommune", 13_179),
    ("3447", "Søndre Land kommune", 5_717),
    ("3448", "Nordre Land kommune", 6_773),
)

# Fictitious firms: (name, sector, employees_before (2016), founded_year or None, new_firm).
NEW_FIRMS: tuple[tuple[str, str, int, int | None, bool], ...] = (
    ("Hunndalen Metallstøp AS", "Industri", 45, 1969, False),
    ("Kopperud Presisjonsplast AS", "Industri", 28, 1988, False),
    ("Lenatoppen Maskin AS", "Industri", 9, 2011, False),
    ("Redalen Sveiseteknikk AS", "Industri", 16, 1999, False),
    ("Bybrua Programvare AS", "IKT", 7, 2012, False),
    ("Hovdetoppen Spillutvikling AS", "IKT", 0, 2017, True),
    ("Mjøsnett Drift AS", "IKT", 14, 2005, False),
    ("Dokkfløy Trehus AS", "Bioøkonomi", 22, 1996, False),
    ("Lunnerlia Gårdsbakeri AS", "Bioøkonomi", 3, 2010, False),
    ("Fluberg Skogsprodukter AS", "Bioøkonomi", 11, None, False),
    ("Landåsen Pølsemakeri AS", "Bioøkonomi", 6, 2003, False),
    ("Bjørnhaug Urteteknologi AS", "Bioøkonomi", 0, 2018, True),
)
# Firms from the Vestre Toten data that applied again: (index there, employees in 2016).
CONTINUING_VT_FIRMS = ((8, 21), (19, 19), (24, 6))

# (firm name, type, year, topic). Slow start in 2017, many more projects in 2018.
PROJECT_PLAN: tuple[tuple[str, str, int, str], ...] = (
    ("Hunndalen Metallstøp AS", "forstudie", 2017, "automatisert kjernemaking"),
    ("Bybrua Programvare AS", "forprosjekt", 2017, "digital tvilling for små verksteder"),
    ("Dokkfløy Trehus AS", "forprosjekt", 2017, "industrialisert massivtrehus"),
    ("Eriksrud Automasjon AS", "forstudie", 2017, "cobots i småserieproduksjon"),
    ("Lunnerlia Gårdsbakeri AS", "forstudie", 2017, "kornsorter fra Land"),
    ("Hunndalen Metallstøp AS", "forprosjekt", 2018, "automatisert kjernemaking"),
    ("Bybrua Programvare AS", "hovedprosjekt", 2018, "digital tvilling for små verksteder"),
    ("Kopperud Presisjonsplast AS", "forstudie", 2018, "resirkulert plast i tekniske deler"),
    ("Lenatoppen Maskin AS", "forstudie", 2018, "service og ettermarked"),
    ("Redalen Sveiseteknikk AS", "hovedprosjekt", 2018, "sertifisering for offshore-leveranser"),
    ("Brennvollen Simulering AS", "forstudie", 2018, "opplæring med virtuell virkelighet"),
    ("Hovdetoppen Spillutvikling AS", "forstudie", 2018, "læringsspill for industrien"),
    ("Mjøsnett Drift AS", "forprosjekt", 2018, "skytjenester for landbruket"),
    ("Bøverbru Bioenergi AS", "forprosjekt", 2018, "biokull fra restvirke"),
    ("Fluberg Skogsprodukter AS", "forstudie", 2018, "limtre av lokal gran"),
    ("Landåsen Pølsemakeri AS", "forstudie", 2018, "nye pølser til dagligvare"),
    ("Bjørnhaug Urteteknologi AS", "forstudie", 2018, "urteekstrakter til kosmetikk"),
)
TYPE_WORD = {"forstudie": "Forstudie", "forprosjekt": "Forprosjekt", "hovedprosjekt": "Hovedprosjekt"}
GRANT_RANGE_KNOK = {"forstudie": (120, 250), "forprosjekt": (250, 500), "hovedprosjekt": (500, 900)}
# Early, risky phases: the programme carries a large share of the cost.
PROGRAMME_SHARE = {"forstudie": (0.50, 0.65), "forprosjekt": (0.40, 0.55), "hovedprosjekt": (0.30, 0.45)}


def firm_table() -> list[tuple[str, str, str, int, int | None, bool]]:
    """(org_number, name, sector, employees_before, founded_year, new_firm) for every firm."""
    vt_org = fictitious_org_numbers(VT_ORG_START, len(VT_FIRMS))
    rows = []
    for index, employees in CONTINUING_VT_FIRMS:
        name, sector, _emp, founded, _new = VT_FIRMS[index]
        # Not new in this programme: they were founded before 2017.
        rows.append((vt_org[index], name, sector, employees, founded, False))
    org = fictitious_org_numbers(10_045_000, len(NEW_FIRMS))  # "1..." is no real org number
    for number, (name, sector, employees, founded, new) in zip(org, NEW_FIRMS, strict=True):
        rows.append((number, name, sector, employees, founded, new))
    return rows


def budget_rows() -> list[tuple[int, str, str, int]]:
    """The planned frame: each municipality's payment by population share, 90 % to firms."""
    weights = [pop for _code, _name, pop in MUNICIPALITIES]
    support_k = round(FRAME_PER_YEAR_NOK * PROJECT_SUPPORT_SHARE) // 1000
    admin_k = FRAME_PER_YEAR_NOK // 1000 - support_k
    support = allocate(weights, support_k)
    admin = allocate(weights, admin_k)
    rows = []
    for year in PLAN_YEARS:
        for (_code, name, _pop), s, a in zip(MUNICIPALITIES, support, admin, strict=True):
            rows.append((year, name, "project_support", 1000 * s))
            rows.append((year, name, "administration", 1000 * a))
    return rows


def generate(outdir: Path) -> None:
    """Write the six tables of the ILLUSTRATIVE Gjøvikregionen programme into ``outdir``."""
    rng = np.random.default_rng(SEED)
    firms = firm_table()
    org_of = {name: number for number, name, *_ in firms}
    sector_of = {name: sector for _n, name, sector, *_ in firms}

    raw = [float(rng.uniform(*GRANT_RANGE_KNOK[kind])) for _f, kind, _y, _t in PROJECT_PLAN]
    approved = [1000 * u for u in allocate(raw, APPROVED_TOTAL_NOK // 1000, minimum=1)]
    counters: dict[int, int] = {}
    projects = []
    for (firm, kind, year, topic), grant in zip(PROJECT_PLAN, approved, strict=True):
        counters[year] = counters.get(year, 0) + 1
        if year == 2017:
            # Finished by the end of 2018; a few came in under budget.
            paid = grant if rng.random() < 0.7 else round_to(grant * rng.uniform(0.8, 0.95), 1000)
        elif kind == "forstudie" and rng.random() < 0.3:
            paid = grant  # short pre-studies approved early in 2018 are done
        else:
            # Ongoing at the end of 2018: part of the grant paid out so far.
            paid = round_to(grant * rng.uniform(0.2, 0.7), 1000)
        cofunding = round_to(paid / rng.uniform(*PROGRAMME_SHARE[kind]), 1000) - paid
        innovasjon_norge = 0
        if kind != "forstudie" and rng.random() < 0.4:
            innovasjon_norge = round_to(cofunding * rng.uniform(0.3, 0.5), 1000)
        private = cofunding - innovasjon_norge
        projects.append(
            (
                f"GR-{year}-{counters[year]:02d}", org_of[firm], f"{TYPE_WORD[kind]}: {topic}",
                kind, sector_of[firm], str(year), money(grant), money(paid),
                money(paid + cofunding), money(innovasjon_norge), money(0), money(private),
            )
        )

    # Early days: only two of the 2017 pre-projects had registered jobs by the end of 2018.
    id_of = {(org, kind, int(year)): pid for pid, org, _t, kind, _s, year, *_ in projects}
    jobs = [
        (id_of[(org_of["Bybrua Programvare AS"], "forprosjekt", 2017)], org_of["Bybrua Programvare AS"], 2018, 2.0, 0.0),
        (id_of[(org_of["Dokkfløy Trehus AS"], "forprosjekt", 2017)], org_of["Dokkfløy Trehus AS"], 2018, 1.0, 1.5),
    ]

    write_table(
        outdir / "budget.csv",
        HEADERS["budget"],
        sorted((str(y), s, c, money(a)) for y, s, c, a in budget_rows()),
    )
    write_table(outdir / "projects.csv", HEADERS["projects"], sorted(projects))
    write_table(
        outdir / "firms.csv",
        HEADERS["firms"],
        sorted(
            (org, name, sector, str(new), "" if founded is None else str(founded), str(emp))
            for org, name, sector, emp, founded, new in firms
        ),
    )
    write_table(outdir / "participants.csv", HEADERS["participants"], [])
    write_table(
        outdir / "jobs.csv",
        HEADERS["jobs"],
        sorted((pid, org, str(y), fte(n), fte(s)) for pid, org, y, n, s in jobs),
    )
    write_table(outdir / "survey.csv", HEADERS["survey"], [])


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[1] / "gjovikregionen"
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
