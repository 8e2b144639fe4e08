# This file is part of dext-kashflow. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Amounts as KashFlow takes them: pennies, and lines that add up to the ERP's totals.

Pure functions, without Tryton, so that the rounding rules can be read and
tested on their own.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal('0.01')


def to_cents(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def plain(value):
    "value as text without trailing zeros, never as an exponent: 1.27, 2, not 1.2700, 2E+0"
    return format(Decimal(value).normalize(), 'f')


def spread(total, weights):
    """Split total into parts proportional to weights, to the penny, adding up to total.

    The largest-remainder method: each part is rounded down, then the pennies
    left over go to the parts that lost the most. The ERP's tax total is
    computed once per document, so the lines must share it out exactly, never
    recompute it.
    """
    total = to_cents(total)
    if not weights:
        if total:
            raise ValueError(f"cannot spread {total} over no lines")
        return []
    weight_sum = sum(weights, Decimal(0))
    if not weight_sum:
        # Nothing to weigh by: share equally.
        weights = [Decimal(1)] * len(weights)
        weight_sum = Decimal(len(weights))
    sign = -1 if total < 0 else 1
    cents = int(abs(total) / CENT)
    exact = [Decimal(cents) * w / weight_sum for w in weights]
    floors = [int(e) if e >= 0 else -int(-e) for e in exact]
    left = cents - sum(floors)
    # Hand out the remaining pennies by largest remainder, first line first on ties.
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    step = 1 if left >= 0 else -1
    for i in order[:abs(left)] if left >= 0 else order[::-1][:abs(left)]:
        floors[i] += step
    return [sign * Decimal(c) * CENT for c in floors]


def kashflow_quantity_and_rate(quantity, unit_price, amount):
    """The Quantity and Rate of a KashFlow line whose net is exactly amount.

    KashFlow takes rates to 2 decimal places and computes the net as
    Quantity x Rate, rounding it in its own way. When the ERP's quantity and
    unit price give the line's amount exactly, with no rounding at all, they
    go as they are; otherwise the line goes as 1 x amount, and the caller says
    the real quantity in the text.
    """
    amount = to_cents(amount)
    quantity = Decimal(quantity)
    unit_price = Decimal(unit_price)
    if (quantity and unit_price == unit_price.quantize(CENT)
            and quantity == quantity.quantize(CENT)
            and quantity * unit_price == amount):
        return quantity, unit_price, True
    return Decimal(1), amount, False
