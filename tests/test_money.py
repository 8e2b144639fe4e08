"""Rounding rules for KashFlow lines: the lines add up to the ERP's totals to the penny."""

from decimal import Decimal as D

import pytest

from dext_kashflow.publishing.money import kashflow_quantity_and_rate, spread


def test_three_lines_of_a_third_share_the_tax_to_the_penny():
    assert spread(D("0.20"), [D("0.33")] * 3) == [D("0.07"), D("0.07"), D("0.06")]


def test_parts_follow_the_weights():
    assert spread(D("20.00"), [D("75"), D("25")]) == [D("15.00"), D("5.00")]
    assert spread(D("10.00"), [D("1"), D("1"), D("1")]) == [D("3.34"), D("3.33"), D("3.33")]


def test_credit_notes_spread_negative_totals():
    assert spread(D("-10.00"), [D("-1"), D("-1"), D("-1")]) == [
        D("-3.34"), D("-3.33"), D("-3.33")]


def test_zero_weights_share_equally_and_zero_total_gives_zeros():
    assert spread(D("0.05"), [D(0), D(0)]) == [D("0.03"), D("0.02")]
    assert spread(D(0), [D("5"), D("7")]) == [D(0), D(0)]


@pytest.mark.parametrize("total", [D("0.01"), D("99.99"), D("1234.57"), D("-7.77")])
@pytest.mark.parametrize("weights", [[D("0.333")] * 3, [D("1"), D("2"), D("3.5")],
                                     [D("100"), D("0.01")], [D("5")],
                                     [D("100"), D("-10.33"), D("7.77")]])
def test_spread_always_adds_up(total, weights):
    parts = spread(total, weights)
    assert sum(parts) == total
    assert all(p == p.quantize(D("0.01")) for p in parts)


def test_spread_over_nothing():
    assert spread(D(0), []) == []
    with pytest.raises(ValueError):
        spread(D("1.00"), [])


def test_quantity_and_rate_kept_when_exact():
    assert kashflow_quantity_and_rate(D(3), D("2.50"), D("7.50")) == (D(3), D("2.50"), True)


@pytest.mark.parametrize("quantity,unit_price,amount", [
    (D(3), D("0.333"), D("1.00")),     # more than 2 places in the price
    (D("0.5"), D("0.25"), D("0.13")),  # rounding in the product
    (D("1.125"), D("4"), D("4.50")),   # more than 2 places in the quantity
])
def test_quantity_and_rate_fall_back_to_one_times_the_amount(quantity, unit_price, amount):
    assert kashflow_quantity_and_rate(quantity, unit_price, amount) == (D(1), amount, False)
