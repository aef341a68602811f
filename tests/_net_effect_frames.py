"""Tiny hand-made frames for the net-effect tests; figures are computed by hand in the tests.

Firm F has three co-funded projects, firm G one, firm H a pre-study without jobs,
firm K a project and no survey answer.

project  firm  grant  IN   other public  private  public basis  total cost  share (public)
p1       F     100    100  0             200      200           400         0.50
p2       F     200    0    200           0        400           400         0.50
p3       F     300    100  0             200      400           600         0.75
q1       G     50     50   0             0        100           100         0.50
h1       H     100    0    0             100      100           200         1.00
k1       K     100    100  0             0        200           200         0.50

Jobs: F registers 6 new + 1 secured under p1 (2012) and 4 new under p3 (2017);
G 2 new in 2013 and 2 new in 2014 under q1; K 2 new under k1 (2016).
F's share over its projects = 600 / 1000 = 0.6 -> 6.0 of its 10 new FTE, apportioned
1 : 2 : 3 to p1 : p2 : p3 by the programme's grant; G 0.5 x 4 = 2; K 0.5 x 2 = 1.
Attributed new = 9.0; in period (<= 2016) 6.6, after 2.4; secured 0.6.
"""

from __future__ import annotations

import pandas as pd

PERIOD = (2010, 2016)


def projects() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "project_id": ["p1", "p2", "p3", "q1", "h1", "k1"],
            "org_number": ["F", "F", "F", "G", "H", "K"],
            "title": ["a", "b", "c", "d", "e", "f"],
            "type": ["forprosjekt", "hovedprosjekt", "hovedprosjekt", "hovedprosjekt", "forstudie", "hovedprosjekt"],
            "sector": "Industri",
            "year": [2010, 2011, 2012, 2011, 2013, 2012],
            "grant_approved_nok": [100.0, 200.0, 300.0, 50.0, 100.0, 100.0],
            "grant_paid_nok": [100.0, 200.0, 300.0, 50.0, 100.0, 100.0],
            "total_cost_nok": [400.0, 400.0, 600.0, 100.0, 200.0, 200.0],
            "cofunding_innovasjon_norge_nok": [100.0, 0.0, 100.0, 50.0, 0.0, 100.0],
            "cofunding_other_public_nok": [0.0, 200.0, 0.0, 0.0, 0.0, 0.0],
            "cofunding_private_nok": [200.0, 0.0, 200.0, 0.0, 100.0, 0.0],
        }
    )


def jobs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "project_id": ["p1", "p3", "q1", "q1", "k1"],
            "org_number": ["F", "F", "G", "G", "K"],
            "year": [2012, 2017, 2013, 2014, 2016],
            "new_fte": [6.0, 4.0, 2.0, 2.0, 2.0],
            "secured_fte": [1.0, 0.0, 0.0, 0.0, 0.0],
        }
    )


def survey() -> pd.DataFrame:
    """Answers: F-p1 would_not (1.0), F-p2 later (0.5), F-p3 as_planned (0.0), G-q1 smaller (0.5), H-h1 dont_know."""
    frame = pd.DataFrame(
        {
            "org_number": ["F", "F", "F", "G", "H"],
            "project_id": ["p1", "p2", "p3", "q1", "h1"],
            "answer": ["would_not_have_happened", "later", "as_planned", "smaller", "dont_know"],
            "expected_jobs": [10.0, None, 4.0, 6.0, None],
        }
    )
    frame.attrs["source_file"] = "survey.csv"
    return frame


def budget() -> pd.DataFrame:
    """Programme funds 1000 NOK: 2010 administration 100, 2011 project support 900."""
    return pd.DataFrame(
        {
            "year": [2010, 2011],
            "source": ["County", "County"],
            "category": ["administration", "project_support"],
            "amount_nok": [100.0, 900.0],
        }
    )
