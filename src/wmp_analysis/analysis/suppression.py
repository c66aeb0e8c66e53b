"""Small-base disclosure control: primary and secondary (complementary) cell suppression.

The rule (documented in ``docs/equality.md``)
---------------------------------------------
A *cell* is one published figure and everything it rests on (unweighted base
``n``, positives, weighted sums, effective n, estimate, interval, and any gap
computed from it). Cells are linked by *relations*: sets of cells where one is the
sum of the others (a total and its parts: "All" and the ethnic groups, BME and its
four parts, the financial years and the whole period, the districts and the force).

1. **Primary suppression**: a cell with ``0 < n < min_base`` unweighted
   respondents is suppressed. A cell with no respondents (``n == 0``) discloses
   nothing and is shown as an empty base (its estimate is blank anyway).
2. **Secondary suppression**: in every relation where exactly one cell is
   suppressed, the suppressed figure would be one subtraction away, so one more
   cell of that relation is suppressed: the cheapest by (cost, n, key), where a cell
   that is not published anyway costs nothing and an "All" total costs most.
   Repeated until no relation has exactly one suppressed cell (a fixed point).
3. **Check by linear algebra**: a suppressed cell is still recoverable when it is a
   linear combination of published cells through *several* relations together (the
   classic 2 x 2 pattern). :func:`recoverable` finds such cells exactly (null space
   of the relations restricted to the suppressed cells); each one found triggers a
   further suppression in one of its relations, and step 2 is repeated. This applies
   to secondary cells too, so no withheld figure (of either kind) can be worked out.

This is the "at least two suppressed cells in every additive row and column" rule of
the ONS and NHS Digital (now NHS England) disclosure control guidance for tables
(ONS, *Disclosure control guidance for tables produced from surveys*; NHS Digital,
*Disclosure control method for the Hospital Episode Statistics*), with the extra
exact check of step 3.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

import numpy as np

#: Reason codes written beside a suppressed figure.
PRIMARY = "primary"
SECONDARY = "secondary"


def primary_suppressed(n: Mapping[Hashable, int], min_base: int) -> set:
    """Cells whose unweighted base is below *min_base* (and not zero)."""
    return {k for k, v in n.items() if 0 < int(v) < int(min_base)}


def _order(key, n, cost):
    return (cost.get(key, 1), int(n.get(key, 0)), repr(key))


def recoverable(relations: list[list[Hashable]], hidden: set) -> set:
    """Hidden cells that the published cells determine exactly through the relations.

    Each relation ``[total, part_1, ..., part_k]`` says ``total = sum(parts)``. Unknowns
    are the hidden cells; every other cell is known. A hidden cell is determined iff
    its unit vector lies in the row space of the relation matrix restricted to the
    hidden columns (the orthogonal projection onto that row space leaves it whole).
    """
    hidden_rel = []
    for rel in relations:
        if any(c in hidden for c in rel):
            hidden_rel.append(rel)
    cols = sorted({c for rel in hidden_rel for c in rel if c in hidden}, key=repr)
    if not cols:
        return set()
    idx = {c: i for i, c in enumerate(cols)}
    a = np.zeros((len(hidden_rel), len(cols)))
    for r, rel in enumerate(hidden_rel):
        for j, c in enumerate(rel):
            if c in idx:
                a[r, idx[c]] += 1.0 if j == 0 else -1.0
    # row space via the economy SVD: the projection onto it has P[j, j] = 1 exactly when the
    # unit vector of cell j lies in the row space (the cell is determined)
    _, s, vt = np.linalg.svd(a, full_matrices=False)
    rank = int((s > 1e-9 * max(1.0, s.max() if s.size else 1.0)).sum())
    diag = np.square(vt[:rank]).sum(axis=0)
    return {c for c, d in zip(cols, diag) if d > 1 - 1e-7}


def suppress(
    n: Mapping[Hashable, int],
    relations: Iterable[list[Hashable]],
    min_base: int,
    *,
    published: set | None = None,
    cost: Mapping[Hashable, float] | None = None,
) -> dict[Hashable, str]:
    """Primary then secondary suppression to a fixed point.

    Parameters
    ----------
    n : mapping cell key -> unweighted base (respondents)
        Every cell that is published or derivable (a cell missing from *n* counts as
        having no respondents).
    relations : iterable of lists of cell keys
        ``[total, *parts]``: the total is the sum of the parts.
    min_base : int
        Primary suppression threshold (respondents).
    published : set, optional
        Cells some output shows (default: every cell of *n*). A cell not published
        is unknown to a reader, like a suppressed one, and is never chosen as a
        secondary cell.
    cost : mapping cell key -> float, optional
        Preference when choosing a secondary cell (lower first; default 1), e.g. a
        high cost for "All" totals.

    Returns
    -------
    dict
        ``cell key -> "primary" | "secondary"`` for every suppressed cell (cells
        not published included when they fall below the base).
    """
    # long by design: one fixed-point search whose helpers all read and grow the same `out`
    cost = dict(cost or {})
    published = set(n) if published is None else set(published)
    rels = [list(r) for r in relations if len(set(r)) >= 2]
    out = {k: PRIMARY for k in primary_suppressed(n, min_base)}
    zero = {k for k, v in n.items() if int(v) == 0}

    def hidden_set():
        return set(out) | {c for rel in rels for c in rel if c not in published and c not in zero}

    def candidates(rel):
        return [
            c
            for c in rel
            if c not in out and c in published and c not in zero and int(n.get(c, 0)) > 0
        ]

    def deficient():
        """Relations whose one hidden cell is a suppressed one (it would be a subtraction away)."""
        out_rels = []
        for rel in rels:
            hid = [c for c in rel if c in out or (c not in published and c not in zero)]
            if len(hid) == 1 and hid[0] in out:
                out_rels.append(rel)
        return out_rels

    def pick(cands, open_rels):
        # cheapest first ("All" last), then the cell closing the most open relations at once
        # (e.g. Mixed closes both "All = groups" and "BME = its parts" for a suppressed Other,
        # where "Not stated" would close only the first and leave All - White - BME = Not stated),
        # and, of those, the one opening the fewest new relations (relations with no hidden cell
        # yet, which would then need a cell of their own)
        hidden = hidden_set()
        cover = {c: sum(1 for r in open_rels if c in r) for c in cands}
        opens = {
            c: sum(1 for r in rels if c in r and not any(x in hidden for x in r)) for c in cands
        }
        return min(
            cands, key=lambda c: (cost.get(c, 1), -cover[c], opens[c], int(n.get(c, 0)), repr(c))
        )

    for _ in range(100_000):
        while True:
            open_rels = deficient()
            if not open_rels:
                break
            added = False
            for rel in open_rels:
                if sum(1 for c in rel if c in out) > 1:
                    continue  # closed by a cell added in this pass
                cand = candidates(rel)
                if cand:
                    out[pick(cand, open_rels)] = SECONDARY
                    added = True
            if not added:
                break
        still = sorted(recoverable(rels, hidden_set()) & set(out), key=repr)
        if not still:
            return out
        added = False
        before = set(out)
        for target in still:  # one more cell per recovered cell, in one of its relations
            if any(
                c in out and out[c] == SECONDARY and c not in before
                for rel in rels
                if target in rel
                for c in rel
            ):
                continue  # a cell added this round already shares a relation with it: check again first
            mine = [rel for rel in rels if target in rel]
            cand = sorted({c for rel in mine for c in candidates(rel)}, key=repr)
            if cand:
                out[pick(cand, mine)] = SECONDARY
                added = True
        if not added:  # every linked cell is already hidden: nothing more can be withheld
            return out
    raise RuntimeError("secondary suppression did not reach a fixed point")
