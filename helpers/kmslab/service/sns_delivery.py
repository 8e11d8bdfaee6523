"""SNS HTTP(S) delivery: a failed delivery never fails Publish.

AWS: SNS accepts the message, then delivers it to HTTP/S endpoints on its own, retrying by the
subscription's delivery policy (https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html);
the publisher never sees the endpoint's answer. moto 5.2 posts inside Publish, so an endpoint that
is down, or one the sandbox's loopback-only guard refuses, turned Publish into an HTTP 500.
"""
from __future__ import annotations

import logging

from moto.sns.models import Subscription

from .patching import wrap

log = logging.getLogger(__name__)


@wrap(Subscription, "publish")
def publish(self, original, *args, **kwargs):  # type: ignore[no-untyped-def]
    if self.protocol not in ("http", "https"):
        return original(self, *args, **kwargs)
    try:
        return original(self, *args, **kwargs)
    except Exception as exc:  # requests' errors, or the guard's RealNetworkBlocked inside them
        log.info("SNS delivery to %s failed: %s", self.endpoint, exc)
        return None
