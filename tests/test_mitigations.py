"""Mitigations you can count: data key caching, S3 Bucket Keys, a quota increase (sources: throttling)."""
from __future__ import annotations

import pytest

from kmslab.service import quotas
from kmslab.teach import mitigations


@pytest.fixture(scope="module")
def key_arn(sb):
    return sb.client("kms").create_key()["KeyMetadata"]["Arn"]


def test_data_key_caching_saves_generate_data_key_calls(sb, key_arn):
    assert mitigations.data_key_caching(sb, key_arn, 20, cached=False) == 20
    assert mitigations.data_key_caching(sb, key_arn, 20, cached=True) == 1
    assert mitigations.data_key_caching(sb, key_arn, 20, cached=True, max_messages_encrypted=10) == 2


def test_s3_bucket_keys_save_kms_calls(sb, key_arn):
    sb.client("s3").create_bucket(Bucket="mitigations-lab")
    assert mitigations.bucket_keys(sb, key_arn, "mitigations-lab", 10, bucket_key=False) == 10
    assert mitigations.bucket_keys(sb, key_arn, "mitigations-lab", 10, bucket_key=True) == 1


def test_a_quota_increase_lowers_the_throttle_rate(sb):
    try:
        low = mitigations.throttle_rate(sb, quota=10, offered_rate=20, seconds=5)
        high = mitigations.throttle_rate(sb, quota=40, offered_rate=20, seconds=5)
    finally:
        quotas.reset()
    assert 0.3 < low < 0.5  # half throttled, minus the first second's burst
    assert high == 0


def test_plot_shows_each_mitigation_against_its_baseline():
    fig = mitigations.plot({"ESDK": {"no cache": 40, "cache": 2}, "S3": {"without": 30, "with": 1}},
                           {"spread": {"one Region": 0.18, "two Regions": 0.0}}, "Reducing calls")
    left, right = fig.axes
    fig.canvas.draw()
    assert [t.get_text() for t in left.get_yticklabels()] == ["ESDK, no cache", "ESDK, cache", "S3, without", "S3, with"]
    assert [t.get_text() for t in right.get_yticklabels()] == ["spread: one Region", "spread: two Regions"]
    baseline, mitigated = left.patches[0].get_facecolor(), left.patches[1].get_facecolor()
    assert baseline == left.patches[2].get_facecolor() and baseline != mitigated
