"""What an enterprise gets from an item: a fixed amount, a rate of a declared figure with a cap, or a text."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping

FIXED, RATE, TEXT = "fixed", "rate", "text"
KINDS = (FIXED, RATE, TEXT)
# The profile figures a rate may apply to (万元), until the window records a declared figure (part 2).
RATE_BASES = ("revenue", "tax_paid")


@dataclass(frozen=True)
class Benefit:
    kind: str
    amount: Decimal | None = None  # fixed: the amount (万元)
    rate: Decimal | None = None  # rate: percent of the base
    base: str = ""  # rate: the figure it applies to (a profile field, or a declared figure's name)
    cap: Decimal | None = None  # rate: the most it gives (万元)
    text: str = ""

    def estimate(self, figures: Mapping[str, Any]) -> Decimal | None:
        """The amount (万元, two decimals) for these figures, or None when it is not money or a figure is missing."""
        if self.kind == FIXED:
            return self.amount
        if self.kind != RATE or self.rate is None:
            return None
        base = figures.get(self.base)
        if base is None:
            return None
        value = (Decimal(str(base)) * self.rate / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return min(value, self.cap) if self.cap is not None else value
