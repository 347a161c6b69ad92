"""Multilateral netting of net positions into payments between treasuries (清算划转).

Greedy matching of the largest debtor with the largest creditor: every step settles at least one party,
so n parties with a non-zero position need at most n - 1 transfers. Ties are broken by jurisdiction code,
so the result depends only on the positions, never on input order.
"""

from __future__ import annotations

from collections.abc import Mapping


def net_transfers(positions: Mapping[str, int]) -> list[tuple[str, str, int]]:
    """(payer, payee, amount_fen) from net positions (entitled - collected) that sum to zero."""
    total = sum(positions.values())
    if total != 0:
        raise ValueError(f"positions do not net to zero (sum {total})")
    creditors = sorted(((v, j) for j, v in positions.items() if v > 0), key=lambda x: (-x[0], x[1]))
    debtors = sorted(((-v, j) for j, v in positions.items() if v < 0), key=lambda x: (-x[0], x[1]))
    out: list[tuple[str, str, int]] = []
    i = k = 0
    cred = [c[0] for c in creditors]
    debt = [d[0] for d in debtors]
    while i < len(creditors) and k < len(debtors):
        amount = min(cred[i], debt[k])
        out.append((debtors[k][1], creditors[i][1], amount))
        cred[i] -= amount
        debt[k] -= amount
        if cred[i] == 0:
            i += 1
        if debt[k] == 0:
            k += 1
    return out
