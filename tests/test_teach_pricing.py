"""The lesson pricing calculator agrees with sources: key-price, free-of-charge, request-prices (and the study-notes correction)."""
from __future__ import annotations

import pytest

from kmslab.teach import pricing


def test_one_request_costs_three_ten_thousandths_of_a_cent():
    # "$0.03 cents per 10,000" is wrong: $0.03 per 10,000 requests (sources: request-prices).
    assert pricing.per_request() == pytest.approx(0.000003)
    assert pricing.request_cost({"symmetric": 30_000}) == pytest.approx(0.03)


def test_free_tier_covers_20000_symmetric_requests():
    assert pricing.request_cost({"symmetric": 20_000}) == 0
    assert pricing.request_cost({"symmetric": 20_001}) == pytest.approx(0.000003)
    assert pricing.request_cost({"symmetric": 20_000}, free_tier=False) == pytest.approx(0.06)


def test_free_tier_excludes_asymmetric_and_data_key_pairs():
    assert pricing.request_cost({"rsa_2048": 10_000}) == pytest.approx(0.03)
    assert pricing.request_cost({"asymmetric": 10_000}) == pytest.approx(0.15)
    assert pricing.request_cost({"ecc_generate_data_key_pair": 10_000}) == pytest.approx(0.10)
    assert pricing.request_cost({"rsa_generate_data_key_pair": 10_000}) == pytest.approx(12.00)
    mixed = {"symmetric": 10_000, "asymmetric": 10_000}
    assert pricing.request_cost(mixed) == pytest.approx(0.15)


def test_rotation_surcharge_is_capped_at_two_rotations():
    assert [pricing.key_cost(r) for r in (0, 1, 2, 3, 25)] == [1, 2, 3, 3, 3]
    assert pricing.MAX_KEY_MONTH == 3


def test_keys_are_prorated_by_the_hour_and_some_are_free():
    assert pricing.key_cost(hours=pricing.HOURS_IN_MONTH / 2) == pytest.approx(0.5)
    assert pricing.key_cost(hours=10 * pricing.HOURS_IN_MONTH) == 1
    assert pricing.key_cost(aws_managed=True) == 0
    assert pricing.key_cost(2, pending_deletion=True) == 0


def test_monthly_bill_adds_up():
    bill = pricing.monthly_bill(keys=3, rotations=[0, 1, 5], requests={"symmetric": 2_020_000})
    assert (bill.keys, bill.rotations) == (pytest.approx(6), pytest.approx(3))
    assert bill.requests == pytest.approx(6.00)   # 2,000,000 billed x $0.000003
    assert bill.total == pytest.approx(12.00)
    assert "total           $     12.00" in bill.table()


def test_bucket_keys_cut_kms_requests_by_the_stated_assumption():
    assert pricing.kms_requests_for_s3(1_000_000) == 1_000_000
    assert pricing.kms_requests_for_s3(1_000_000, bucket_keys=True) == 10_000   # 99% fewer
    assert pricing.kms_requests_for_s3(101, bucket_keys=True) == 2
    assert pricing.s3_monthly_cost(10_020_000) == pytest.approx(1 + 30.0)
    assert pricing.s3_monthly_cost(2_000_000, bucket_keys=True) == pytest.approx(1.0)   # 20,000: free


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        pricing.request_cost({"cheap": 1})
    with pytest.raises(ValueError):
        pricing.monthly_bill(keys=2, rotations=[1])


def test_figure_is_closed_and_has_two_curves():
    import matplotlib.pyplot as plt

    fig = pricing.plot_cost_vs_requests()
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) >= 2
    assert fig.number not in plt.get_fignums()
