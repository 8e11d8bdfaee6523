"""Parameter Store tiers (sources: parameter-store): a Standard parameter holds 4 KB, an Advanced
one 8 KB, Intelligent-Tiering picks the tier that fits; and what a reader without kms:Decrypt gets."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from kmslab.service import ssm_tiers


def error(call, **params) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


@pytest.mark.parametrize("kind", ["String", "SecureString"])
def test_a_standard_parameter_holds_4096_characters(ssm, kind):
    assert ssm.put_parameter(Name=f"/tiers/{kind}/fits", Value="x" * 4096, Type=kind)["Tier"] == "Standard"
    code, message = error(ssm.put_parameter, Name=f"/tiers/{kind}/big", Value="x" * 4097, Type=kind)
    assert code == "ValidationException"
    assert message.startswith("Standard tier parameters support a maximum parameter value of 4096 characters.")
    with pytest.raises(ClientError) as caught:   # nothing was stored
        ssm.get_parameter(Name=f"/tiers/{kind}/big")
    assert caught.value.response["Error"]["Code"] == "ParameterNotFound"


def test_an_advanced_parameter_holds_8_kb(ssm):
    value = "y" * 8192
    put = ssm.put_parameter(Name="/tiers/adv", Value=value, Type="SecureString", Tier="Advanced")
    assert put["Tier"] == "Advanced"
    assert ssm.get_parameter(Name="/tiers/adv", WithDecryption=True)["Parameter"]["Value"] == value
    code, message = error(ssm.put_parameter, Name="/tiers/adv-big", Value="y" * 8193, Type="String",
                          Tier="Advanced")
    assert code == "ValidationException" and "8192 characters" in message


def test_intelligent_tiering_chooses_the_tier_that_fits(ssm):
    small = ssm.put_parameter(Name="/tiers/it-small", Value="z", Type="String", Tier="Intelligent-Tiering")
    large = ssm.put_parameter(Name="/tiers/it-large", Value="z" * 5000, Type="SecureString",
                              Tier="Intelligent-Tiering")
    assert (small["Tier"], large["Tier"]) == ("Standard", "Advanced")
    tiers = {p["Name"]: p["Tier"] for p in ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": ["/tiers/it-"]}])["Parameters"]}
    assert tiers == {"/tiers/it-small": "Standard", "/tiers/it-large": "Advanced"}


def test_an_overwrite_keeps_the_tier_and_its_limit(ssm):
    ssm.put_parameter(Name="/tiers/keep", Value="a" * 5000, Type="String", Tier="Advanced")
    again = ssm.put_parameter(Name="/tiers/keep", Value="b" * 6000, Overwrite=True)
    assert again["Tier"] == "Advanced" and again["Version"] == 2
    ssm.put_parameter(Name="/tiers/std", Value="a", Type="String")
    code, _ = error(ssm.put_parameter, Name="/tiers/std", Value="b" * 5000, Overwrite=True)
    assert code == "ValidationException"


def test_tier_rule():
    assert ssm_tiers.tier_for(None, "x", None, "Standard") == "Standard"
    assert ssm_tiers.tier_for(None, "x" * 5000, "Advanced", "Standard") == "Advanced"
    assert ssm_tiers.tier_for("Intelligent-Tiering", "x" * 4096, None, "Standard") == "Standard"
    assert ssm_tiers.tier_for("Intelligent-Tiering", "x" * 4097, None, "Standard") == "Advanced"


def test_a_reader_with_get_parameter_but_no_kms_decrypt(sb, ssm, kms):
    iam = sb.client("iam")
    iam.create_user(UserName="tiers-reader")
    iam.put_user_policy(UserName="tiers-reader", PolicyName="read-parameters", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}]}))
    creds = iam.create_access_key(UserName="tiers-reader")["AccessKey"]
    reader = sb.client("ssm", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"])
    key = kms.create_key()["KeyMetadata"]["Arn"]
    ssm.put_parameter(Name="/tiers/db-password", Value="hunter2", Type="SecureString", KeyId=key)
    assert "hunter2" not in reader.get_parameter(Name="/tiers/db-password")["Parameter"]["Value"]
    code, message = error(reader.get_parameter, Name="/tiers/db-password", WithDecryption=True)
    assert code == "AccessDeniedException"
    assert message == (f"User: arn:aws:iam::{sb.account_id}:user/tiers-reader is not authorized to perform: "
                       f"kms:Decrypt on resource: {key} because no identity-based policy allows the "
                       "kms:Decrypt action (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)")
