"""TOTP against the test vectors of RFC 6238, appendix B."""
import base64

import pytest

from tools.kictotp import totp, totp_check, totp_new, totp_uri

SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize("t, sha1, sha256, sha512", VECTORS)
def test_rfc6238_vectors(t, sha1, sha256, sha512):
    for algo, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        key = base64.b32encode(SEEDS[algo]).decode()
        assert totp(key, t, 8, algo) == expected


def test_check_accepts_the_next_steps_only():
    key = totp_new()
    t = 1_700_000_000
    assert totp_check(key, totp(key, t), t)
    assert totp_check(key, totp(key, t - 30), t)
    assert totp_check(key, totp(key, t + 30), t)
    assert not totp_check(key, totp(key, t - 90), t) or totp(key, t - 90) == totp(key, t)
    assert not totp_check(key, "12345", t) and not totp_check(key, "abcdef", t)
    assert not totp_check(key, None, t)


def test_uri():
    uri = totp_uri("JBSWY3DPEHPK3PXP", "dana", "inphms")
    assert uri == ("otpauth://totp/inphms%3Adana?secret=JBSWY3DPEHPK3PXP&issuer=inphms"
                   "&digits=6&period=30")
    assert len(totp_new()) == 32
