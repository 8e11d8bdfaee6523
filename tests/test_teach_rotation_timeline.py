"""teach.rotation_timeline: material versions read back through boto3, and the figure."""
import datetime as dt

from kmslab.teach import rotation_timeline


def test_versions_follow_rotations_and_figure_draws(sb, kms):
    key = kms.create_key()["KeyMetadata"]
    first = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    old = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"a")["CiphertextBlob"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    sb.clock.advance(dt.timedelta(days=91))
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    versions = rotation_timeline.material_versions(kms, key["KeyId"], first)
    assert [v.how for v in versions] == ["created", "AUTOMATIC", "ON_DEMAND"]
    assert versions[0].material_id == first and len({v.material_id for v in versions}) == 3
    assert versions[1].start == dt.datetime(2026, 8, 30, 12, 0)
    moved = kms.re_encrypt(CiphertextBlob=old, DestinationKeyId=key["KeyId"])
    fig = rotation_timeline.plot(versions, [("old", dt.datetime(2026, 6, 1, 12), first)],
                                 [("ReEncrypt", sb.clock.now(), moved["SourceKeyMaterialId"],
                                   moved["DestinationKeyMaterialId"])])
    assert len(fig.axes) == 1 and len(fig.axes[0].get_yticks()) == 3
