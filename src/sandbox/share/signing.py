"""Ed25519 signatures over a sandbox's SHA256SUMS: proof of origin, where the sums prove only integrity.

SHA256SUMS lists the sha256 of every file of a packed sandbox, manifest.json included, so one signature over its
bytes covers them all. The signature is `SHA256SUMS.sig` beside it (base64, one line). Ed25519 signatures are
deterministic: the same sandbox packed with the same key gives the same archive bytes. Keys are PEM files as
OpenSSL writes them (`openssl genpkey -algorithm ed25519`), or made by `sandbox keygen`.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Any

from sandbox.errors import MissingExtra, UsageError

SIGNATURE = "SHA256SUMS.sig"


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        raise MissingExtra("sign", "cryptography") from None
    return serialization


def read_key(path: Path, private: bool) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    serialization = _crypto()
    what = "private" if private else "public"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: expected a readable Ed25519 {what} key file, got {exc.strerror}") from None
    try:
        if private:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            try:
                key = serialization.load_pem_public_key(data)
            except ValueError:  # a private key also names its public half
                key = serialization.load_pem_private_key(data, password=None).public_key()
    except (ValueError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"{path}: expected an unencrypted Ed25519 {what} key in PEM form, got: {first}") from None
    wanted = ed25519.Ed25519PrivateKey if private else ed25519.Ed25519PublicKey
    if not isinstance(key, wanted):
        raise UsageError(f"{path}: expected an Ed25519 {what} key, got a {type(key).__name__.lstrip('_')}")
    return key


def sign(sums: bytes, key_file: str | Path) -> bytes:
    """The SHA256SUMS.sig contents for these SHA256SUMS bytes."""
    key = read_key(Path(key_file), private=True)
    return base64.b64encode(key.sign(sums)) + b"\n"


def signature_problem(sums: bytes, signature: bytes, key_file: str | Path) -> str | None:
    """Why `signature` is not the key's signature of `sums`, or None when it is."""
    from cryptography.exceptions import InvalidSignature

    key = read_key(Path(key_file), private=False)
    try:
        raw = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return "not a base64 signature"
    try:
        key.verify(raw, sums)
    except InvalidSignature:
        return f"does not match {key_file}: not signed with its private key, or SHA256SUMS changed after signing"
    return None


def keygen(out: str | Path, overwrite: bool = False) -> tuple[Path, Path]:
    """Write a new Ed25519 private key to `out` (mode 0600) and its public key to `out`.pub."""
    serialization = _crypto()
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private, public = Path(out), Path(f"{out}.pub")
    for path in (private, public):
        if path.exists() and not overwrite:
            raise UsageError(f"{path} exists; pass --overwrite to replace it")
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    private.parent.mkdir(parents=True, exist_ok=True)
    private.unlink(missing_ok=True)
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public.write_bytes(pub)
    return private, public
