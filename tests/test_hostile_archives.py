"""Hostile archives, made by the tests: every one refused by `unpack` and `verify` with exit 2 and a message naming
the problem, before anything lands in the target, outside it, or in the temp folder."""

from __future__ import annotations

import gzip
import hashlib
import io
import stat
import struct
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run

BASE = {"manifest.json": b"{}", "SHA256SUMS": b""}


def _zip(path: Path, entries: dict[str, bytes], modes: dict[str, int] | None = None, base: bool = True) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in {**(BASE if base else {}), **entries}.items():
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = (modes or {}).get(name, stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def _patch_zip(path: Path, name: bytes, field: str, value: int) -> Path:
    """Rewrite one header field of the member `name` in both its local and its central header."""
    data = bytearray(path.read_bytes())
    offsets = {"flags": (6, 8), "method": (8, 10), "size": (22, 24)}[field]  # (local, central) field offsets
    width = 4 if field == "size" else 2
    for signature, at in ((b"PK\x03\x04", offsets[0]), (b"PK\x01\x02", offsets[1])):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                data[start + at : start + at + width] = struct.pack("<I" if width == 4 else "<H", value)
            start += 4
    path.write_bytes(bytes(data))
    return path


def _rename_local(path: Path, old: bytes, new: bytes) -> Path:
    """The first member's local header names it differently from the central directory (same length)."""
    data = path.read_bytes()
    assert data[30 : 30 + len(old)] == old and len(new) == len(old)
    path.write_bytes(data[:30] + new + data[30 + len(new) :])
    return path


def _tar(path: Path, entries: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in BASE.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info, data in entries:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if data else None)
    return path


def _info(name: str, mode: int = 0o644, kind: bytes = tarfile.REGTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mode, info.type = mode, kind
    return info


def _zip_bomb(path: Path) -> Path:
    return _zip(path, {"tables/t/part-00000.parquet": bytes(100 * 1024**2)})


def _tar_bomb(path: Path) -> Path:
    return _tar(path, [(_info("tables/t/part-00000.parquet"), bytes(100 * 1024**2))])


def _nul_name(path: Path) -> Path:
    path = _zip(path, {"tables/aXb.parquet": b"x"})
    data = path.read_bytes().replace(b"tables/aXb.parquet", b"tables/a\0b.parquet")
    path.write_bytes(data)
    return path


def _truncated(path: Path) -> Path:
    _zip(path, {"tables/t.parquet": bytes(range(256)) * 64})
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def _truncated_tar(path: Path) -> Path:
    _tar(path, [(_info("tables/t.parquet"), bytes(range(256)) * 4096)])
    path.write_bytes(path.read_bytes()[:-200])
    return path


CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "zip bomb (ratio)": (lambda d: _zip_bomb(d / "bomb.zip"), ":1), expected at most 100:1 (a zip bomb"),
    "tar.gz bomb (ratio)": (lambda d: _tar_bomb(d / "bomb.tar.gz"), ":1), expected at most 100:1 (a zip bomb"),
    "setuid in zip": (
        lambda d: _zip(d / "suid.zip", {"tables/x": b"x"}, {"tables/x": stat.S_IFREG | stat.S_ISUID | 0o755}),
        "tables/x: expected plain permissions, got a setuid or setgid bit",
    ),
    "setgid in tar": (
        lambda d: _tar(d / "sgid.tar.gz", [(_info("tables/x", 0o2755), b"x")]),
        "tables/x: expected plain permissions, got a setuid or setgid bit",
    ),
    "character device in zip": (
        lambda d: _zip(d / "chr.zip", {"tables/tty": b""}, {"tables/tty": stat.S_IFCHR | 0o644}),
        "tables/tty: expected regular files, got a character device",
    ),
    "FIFO in zip": (
        lambda d: _zip(d / "fifo.zip", {"tables/p": b""}, {"tables/p": stat.S_IFIFO | 0o644}),
        "tables/p: expected regular files, got a FIFO",
    ),
    "FIFO in tar": (
        lambda d: _tar(d / "fifo.tar.gz", [(_info("tables/p", kind=tarfile.FIFOTYPE), b"")]),
        "tables/p: expected regular files, got a special file",
    ),
    "NUL in a name": (lambda d: _nul_name(d / "nul.zip"), "expected a name without NUL bytes"),
    "empty name": (lambda d: _zip(d / "empty.zip", {"": b"x"}), "expected a name for every member, got an empty one"),
    "a '.' entry": (lambda d: _zip(d / "dot.zip", {"./": b""}), "expected a file or folder name, got '.'"),
    "2,000-deep folders": (
        lambda d: _zip(d / "deep.zip", {"a/" * 2000 + "x": b"x"}),
        "expected at most 32 folders deep, got 2001",
    ),
    "a 300-character name": (
        lambda d: _zip(d / "long.zip", {"tables/" + "n" * 300: b"x"}),
        "expected names of at most 255 bytes",
    ),
    "encrypted member": (
        lambda d: _patch_zip(_zip(d / "enc.zip", {"tables/x": b"x"}), b"tables/x", "flags", 0x1),
        "tables/x: expected a plain archive, got an encrypted member",
    ),
    "unknown compression method": (
        lambda d: _patch_zip(_zip(d / "method.zip", {"tables/x": b"x"}), b"tables/x", "method", 99),
        "tables/x: expected one of the compression methods stored, deflate, bzip2, lzma, got method 99",
    ),
    "a lying size": (
        lambda d: _patch_zip(_zip(d / "lie.zip", {"tables/x": bytes(5000)}), b"tables/x", "size", 10),
        "expected a readable zip archive",
    ),
    "local and central names differ": (
        lambda d: _rename_local(_zip(d / "names.zip", {"tables/x": b"x"}), b"manifest.json", b"manifest.jsoX"),
        "expected a readable zip archive",
    ),
    "a file and a folder of one name": (
        lambda d: _zip(d / "swap.zip", {"tables": b"x", "tables/t.parquet": b"x"}),
        "tables: expected a file or a folder, got a name that is both",
    ),
    "one name twice": (
        lambda d: _tar(d / "twice.tar.gz", [(_info("manifest.json"), b"{}")]),
        "manifest.json: expected each name once, got it twice",
    ),
    "not a sandbox": (
        lambda d: _zip(d / "photos.zip", {"holiday.jpg": b"\xff\xd8"}, base=False),
        "expected a sandbox archive made by `sandbox pack` (manifest.json and SHA256SUMS at its top), got one "
        "without manifest.json",
    ),
    "truncated zip": (lambda d: _truncated(d / "cut.zip"), "expected a readable zip archive"),
    "truncated tar.gz": (lambda d: _truncated_tar(d / "cut.tar.gz"), "expected a readable tar.gz archive"),
    "not gzip at all": (
        lambda d: (d / "fake.tar.gz").write_bytes(b"plain text, not gzip\n" * 10) and d / "fake.tar.gz",
        "expected a readable tar.gz archive",
    ),
    "garbage named .zip": (
        lambda d: (d / "fake.zip").write_bytes(b"\x00" * 4096) and d / "fake.zip",
        "expected a readable zip archive",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_archive_is_refused_by_unpack_and_verify(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, expected = CASES[case]
    (tmp_path / "in").mkdir()
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    archive = make(tmp_path / "in")
    before = sorted(tmp_path.rglob("*"))
    for command in (["unpack", str(archive), "-o", str(tmp_path / "out" / "x")], ["verify", str(archive)]):
        code, out, err = run(*command)
        assert code == 2, (command, code, out, err)
        assert expected in err, err
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, err
        assert sorted(tmp_path.rglob("*")) == before, command  # nothing in the target, beside it or in temp


def test_unpack_refuses_a_file_that_sha256sums_does_not_list(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    assert run("build", "starter", "--rows", "200", "-o", str(folder))[0] == 0
    assert run("pack", str(folder), "-o", str(tmp_path / "s.zip"))[0] == 0
    with zipfile.ZipFile(tmp_path / "s.zip", "a") as zf:
        zf.writestr("tables/extra/evil.parquet", b"x")
    code, _, err = run("unpack", str(tmp_path / "s.zip"), "-o", str(tmp_path / "out"))
    assert code == 2
    assert "tables/extra/evil.parquet: not listed in SHA256SUMS (added after the pack?); nothing was written" in err
    assert not (tmp_path / "out").exists()
    code, out, _ = run("verify", str(tmp_path / "s.zip"))
    assert code == 1 and "tables/extra/evil.parquet: not listed in manifest.json" in out


def test_a_real_packed_sandbox_still_unpacks(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    assert run("build", "starter", "--rows", "200", "-o", str(folder))[0] == 0
    for suffix in ("zip", "tar.gz"):
        assert run("pack", str(folder), "-o", str(tmp_path / f"s.{suffix}"))[0] == 0
        assert run("unpack", str(tmp_path / f"s.{suffix}"), "-o", str(tmp_path / suffix))[0] == 0
        assert run("verify", str(tmp_path / f"s.{suffix}"))[0] == 0
    assert gzip.decompress((tmp_path / "s.tar.gz").read_bytes())  # a real gzip stream


def test_a_signed_pack_verifies_and_a_forgery_does_not(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    assert run("build", "starter", "--rows", "200", "-o", str(folder))[0] == 0
    key = tmp_path / "organisers.pem"
    assert run("keygen", str(key))[0] == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    public = f"{key}.pub"
    for suffix in ("zip", "tar.gz"):
        archive = tmp_path / f"signed.{suffix}"
        assert run("pack", str(folder), "-o", str(archive), "--sign", str(key))[0] == 0
        code, out, _ = run("verify", str(archive), "--key", public)
        assert code == 0 and "SHA256SUMS is signed by" in out, out
    again = tmp_path / "again.zip"
    run("pack", str(folder), "-o", str(again), "--sign", str(key))
    assert again.read_bytes() == (tmp_path / "signed.zip").read_bytes()  # Ed25519 is deterministic

    # one flipped byte in a part
    with zipfile.ZipFile(tmp_path / "signed.zip") as zf:
        entries = {i.filename: zf.read(i) for i in zf.infolist()}
    part = next(n for n in entries if n.endswith(".parquet"))

    def forged(name: str, changes: dict[str, bytes]) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as zf:
            for entry, data in {**entries, **changes}.items():
                zf.writestr(entry, data)
        return path

    flipped = bytearray(entries[part])
    flipped[len(flipped) // 2] ^= 0xFF
    code, out, _ = run("verify", str(forged("flip.zip", {part: bytes(flipped)})), "--key", public)
    assert code == 1 and f"MISMATCH {part}: sha256 differs" in out, out

    # the forgery: the part changed, its sha256 in manifest.json and SHA256SUMS regenerated to match
    old_hash, new_hash = hashlib.sha256(entries[part]).hexdigest(), hashlib.sha256(bytes(flipped)).hexdigest()
    manifest = entries["manifest.json"].replace(old_hash.encode(), new_hash.encode())
    sums = entries["SHA256SUMS"].decode().replace(old_hash, new_hash)
    sums = sums.replace(hashlib.sha256(entries["manifest.json"]).hexdigest(), hashlib.sha256(manifest).hexdigest())
    forgery = forged("forged.zip", {part: bytes(flipped), "manifest.json": manifest, "SHA256SUMS": sums.encode()})
    assert run("verify", str(forgery))[0] == 0  # checksums prove integrity, not origin
    code, out, _ = run("verify", str(forgery), "--key", public)
    assert code == 1 and "MISMATCH SHA256SUMS.sig: does not match" in out, out

    # another key's signature; an unsigned pack; a key file that is not a key
    other = tmp_path / "other.pem"
    run("keygen", str(other))
    code, out, _ = run("verify", str(tmp_path / "signed.zip"), "--key", f"{other}.pub")
    assert code == 1 and "does not match" in out
    run("pack", str(folder), "-o", str(tmp_path / "plain.zip"))
    code, out, _ = run("verify", str(tmp_path / "plain.zip"), "--key", public)
    assert code == 1 and "MISMATCH SHA256SUMS.sig: missing: --key needs a sandbox packed with --sign" in out
    (tmp_path / "junk.pub").write_text("not a key\n")
    code, _, err = run("verify", str(tmp_path / "signed.zip"), "--key", str(tmp_path / "junk.pub"))
    assert code == 2 and "junk.pub: expected an unencrypted Ed25519 public key in PEM form" in err, err
