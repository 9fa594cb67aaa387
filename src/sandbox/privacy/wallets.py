"""Crypto wallet addresses, confirmed by their checksums: Bitcoin's Base58Check (`1...`, `3...`, testnet `m`,
`n`, `2`) and bech32/bech32m (`bc1...`, `tb1...`, BIP-173 and BIP-350). A wallet address identifies its owner
on a public ledger, so it is an online identifier; a random string of the same alphabet passes a checksum
about once in 4 billion (Base58Check) or a billion (bech32)."""

from __future__ import annotations

import hashlib

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {ch: i for i, ch in enumerate(_BASE58)}
#: Version bytes of Bitcoin addresses: P2PKH and P2SH on main net and test net.
_VERSIONS = frozenset({0x00, 0x05, 0x6F, 0xC4})
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {ch: i for i, ch in enumerate(_BECH32)}
_BECH32_CONSTANTS = (1, 0x2BC830A3)  # bech32 (witness v0), bech32m (v1 and later)
PATTERN = r"\b(?:[13mn2][1-9A-HJ-NP-Za-km-z]{25,34}|(?:bc|tb|BC|TB)1[02-9ac-hj-np-zAC-HJ-NP-Z]{11,87})\b"


def base58check(text: str) -> bool:
    """A Base58Check string with a Bitcoin address's version byte and 20-byte payload."""
    number = 0
    for ch in text:
        if ch not in _BASE58_INDEX:
            return False
        number = number * 58 + _BASE58_INDEX[ch]
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(text) - len(text.lstrip("1"))) + raw
    if len(raw) != 25 or raw[0] not in _VERSIONS:
        return False
    return hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]


def _polymod(values: list[int]) -> int:
    generators = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(generators):
            check ^= generator if (top >> i) & 1 else 0
    return check


def bech32(text: str) -> bool:
    """A segwit address (one case only) whose bech32 or bech32m checksum holds."""
    if text.lower() != text and text.upper() != text:
        return False
    hrp, _, data = text.lower().rpartition("1")
    if hrp not in ("bc", "tb") or len(data) < 6 or any(ch not in _BECH32_INDEX for ch in data):
        return False
    expanded = [ord(ch) >> 5 for ch in hrp] + [0] + [ord(ch) & 31 for ch in hrp]
    return _polymod(expanded + [_BECH32_INDEX[ch] for ch in data]) in _BECH32_CONSTANTS


def wallet(span: str) -> str | None:
    """The address when its checksum holds, else None."""
    return span if base58check(span) or bech32(span) else None
