"""Standard Webhooks signing: the published test vector, verification, secrets."""

import base64

import pytest

from console.delivery.domain import new_secret, secret_key, sign, signed_headers, verify

# From the standard-webhooks libraries' tests (Go TestWebhookSign, PHP testSignFunctionWorks).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
STAMP = 1614265330
BODY = '{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_published_vector() -> None:
    assert sign(SECRET, MSG_ID, STAMP, BODY) == SIGNATURE
    assert sign(SECRET, MSG_ID, STAMP, BODY.encode()) == SIGNATURE


def test_headers_verify_and_tampering_does_not() -> None:
    headers = signed_headers(SECRET, MSG_ID, STAMP, BODY)
    assert headers == {"webhook-id": MSG_ID, "webhook-timestamp": str(STAMP),
                       "webhook-signature": SIGNATURE}
    assert verify(SECRET, headers, BODY, now=STAMP + 10)
    assert not verify(SECRET, headers, BODY.replace("2", "3", 1), now=STAMP)
    assert not verify(SECRET, {**headers, "webhook-id": "msg_other"}, BODY, now=STAMP)
    assert not verify(new_secret(), headers, BODY, now=STAMP)


@pytest.mark.parametrize(("offset", "ok"), [(0, True), (299, True), (-299, True),
                                            (301, False), (-301, False), (600, False)])
def test_timestamps_outside_five_minutes_are_refused(offset: int, ok: bool) -> None:
    assert verify(SECRET, signed_headers(SECRET, MSG_ID, STAMP, BODY), BODY,
                  now=STAMP + offset) is ok


def test_any_v1_entry_of_several_is_enough_and_other_versions_are_ignored() -> None:
    headers = {"webhook-id": MSG_ID, "webhook-timestamp": str(STAMP),
               "webhook-signature": f"v1,bm9wZQ== v1a,xyz {SIGNATURE}"}
    assert verify(SECRET, headers, BODY, now=STAMP)
    headers["webhook-signature"] = "v2," + SIGNATURE.split(",", 1)[1]
    assert not verify(SECRET, headers, BODY, now=STAMP)


def test_missing_or_malformed_headers_do_not_verify() -> None:
    assert not verify(SECRET, {}, BODY, now=STAMP)
    assert not verify(SECRET, {"webhook-id": MSG_ID, "webhook-timestamp": "soon",
                               "webhook-signature": SIGNATURE}, BODY, now=STAMP)


def test_new_secrets_are_prefixed_32_random_bytes() -> None:
    a, b = new_secret(), new_secret()
    assert a.startswith("whsec_") and a != b
    assert len(secret_key(a)) == 32
    assert secret_key(a) == base64.b64decode(a[len("whsec_"):])
