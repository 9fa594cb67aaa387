"""Deterministic archives of a sandbox (`pack`) and their safe extraction (`unpack`).

The same sandbox gives the same archive bytes: entries sorted, fixed timestamps, owners and modes, and a
`SHA256SUMS` inside so anyone can check an unpacked copy with `sha256sum -c SHA256SUMS`. Extraction
refuses absolute paths, `..`, links and special files, setuid bits, odd names, encrypted members, archives
that declare more bytes than a limit or expand too far (zip bombs), and archives that are not a sandbox,
before anything is written; files land in a staging folder that becomes the target at the end. Pack signs
SHA256SUMS on request (`sandbox.share.signing`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import secrets
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from sandbox.core.files import sha256_file
from sandbox.errors import CheckFailed, UsageError
from sandbox.output.manifest import MANIFEST, encode, read_manifest
from sandbox.output.writer import Staging
from sandbox.share.signing import SIGNATURE, sign

SUMS = "SHA256SUMS"
#: Default ceiling on the bytes an archive may declare; `--max-size` raises it.
MAX_BYTES = 8 * 1024**3
_BLOCK = 1 << 20
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_FORMATS = {".zip": "zip", ".tar.gz": "tar.gz", ".tgz": "tar.gz", ".tar": "tar"}


def archive_format(path: Path) -> str:
    """zip, tar.gz or tar, from the file name."""
    name = path.name.lower()
    for suffix, kind in _FORMATS.items():
        if name.endswith(suffix):
            return kind
    raise UsageError(f"{path}: expected a .zip, .tar.gz, .tgz or .tar file name, got '{path.name}'")


def sandbox_files(folder: Path) -> list[str]:
    """Every regular file below `folder` as sorted POSIX relative paths (the sums file excluded)."""
    out = []
    for path in folder.rglob("*"):
        if path.is_symlink():
            raise UsageError(f"{path}: expected regular files in a sandbox, got a symbolic link")
        if path.is_file():
            out.append(path.relative_to(folder).as_posix())
    return sorted(p for p in out if p not in (SUMS, SIGNATURE))


@dataclass(frozen=True)
class Packed:
    path: Path
    files: int
    bytes: int
    sha256: str


def pack(
    folder: str | Path,
    out: str | Path,
    *,
    without_truth: bool = False,
    overwrite: bool = False,
    sign_with: str | Path | None = None,
) -> Packed:
    """Write the sandbox `folder` into the archive `out` (.zip, .tar.gz or .tar), checking it on the way.

    A file that differs from the manifest stops the pack (CheckFailed): a corrupt sandbox is not handed on.
    `without_truth` leaves `truth/` out and lists the withheld tables in the archived manifest. `sign_with`, an
    Ed25519 private key file, adds SHA256SUMS.sig: its signature over SHA256SUMS (`sandbox.share.signing`).
    """
    folder, out = Path(folder), Path(out)
    kind = archive_format(out)
    manifest = read_manifest(folder)
    if out.exists() and not overwrite:
        raise UsageError(f"{out} exists; pass --overwrite to replace it")
    if out.resolve().is_relative_to(folder.resolve()):
        raise UsageError(f"{out}: expected an archive path outside the sandbox {folder}")
    expected = {f["path"]: f["sha256"] for t in manifest["tables"].values() for f in t["files"]}
    names = sandbox_files(folder)
    withheld = []
    if without_truth:
        withheld = sorted(n for n, t in manifest["tables"].items() if t["role"] == "truth")
        manifest["tables"] = {n: t for n, t in manifest["tables"].items() if t["role"] != "truth"}
        manifest["withheld"] = withheld
        names = [n for n in names if not n.startswith("truth/")]
        expected = {n: h for n, h in expected.items() if not n.startswith("truth/")}
    contents: dict[str, bytes] = {}
    if without_truth:
        contents[MANIFEST] = encode(manifest)
    sums = {}
    for name in names:
        data = contents.get(name)
        sums[name] = hashlib.sha256(data).hexdigest() if data is not None else sha256_file(folder / name)
        if name in expected and sums[name] != expected[name]:
            raise CheckFailed(f"{folder / name}: sha256 differs from manifest.json; run `sandbox verify {folder}`")
    missing = sorted(set(expected) - set(names))
    if missing:
        raise CheckFailed(f"{folder / missing[0]}: listed in manifest.json but missing; run `sandbox verify {folder}`")
    contents[SUMS] = "".join(f"{sums[n]}  {n}\n" for n in names).encode("utf-8")
    if sign_with is not None:
        contents[SIGNATURE] = sign(contents[SUMS], sign_with)
    entries = sorted([*names, *(n for n in (SUMS, SIGNATURE) if n in contents)])
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tmp.open("wb") as raw:
            _write_archive(raw, kind, folder, entries, contents)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return Packed(out, len(entries), out.stat().st_size, sha256_file(out))


def _write_archive(raw: IO[bytes], kind: str, folder: Path, entries: list[str], contents: dict[str, bytes]) -> None:
    def source(name: str) -> tuple[int, IO[bytes]]:
        if name in contents:
            return len(contents[name]), io.BytesIO(contents[name])
        path = folder / name
        return path.stat().st_size, path.open("rb")

    if kind == "zip":
        with zipfile.ZipFile(raw, "w") as zf:
            for name in entries:
                size, fh = source(name)
                info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                info.create_system = 3  # unix, so the mode above is honoured
                # Parquet is compressed already; the text files deflate well
                info.compress_type = zipfile.ZIP_STORED if name.endswith(".parquet") else zipfile.ZIP_DEFLATED
                with fh, zf.open(info, "w", force_zip64=size >= 2**31) as dst:
                    shutil.copyfileobj(fh, dst, _BLOCK)
        return
    gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if kind == "tar.gz" else None
    with tarfile.open(fileobj=gz or raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in entries:
            size, fh = source(name)
            entry = tarfile.TarInfo(name)
            entry.size, entry.mtime, entry.mode = size, 0, 0o644
            entry.uid, entry.gid, entry.uname, entry.gname = 0, 0, "", ""
            with fh:
                tar.addfile(entry, fh)
    if gz is not None:
        gz.close()


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    is_dir: bool


#: An archive may expand to at most this many times its own size: a sandbox's Parquet parts are compressed
#: already (a packed sandbox measures ~1:1, its JSON ~10:1), a bomb ~1,000:1. Below the floor nothing is judged.
MAX_RATIO = 100
_RATIO_FLOOR = 64 * 1024**2
#: Folder depth and name lengths every common file system holds (ext4, APFS, NTFS: 255 bytes a name).
MAX_DEPTH = 32
_NAME_BYTES = 255
_ZIP_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
_SPECIAL = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFLNK: "a symbolic link",
}
#: The errors the standard library's readers raise on a malformed archive (NotImplementedError: a zip method
#: it cannot read; RuntimeError: an encrypted member).
_MALFORMED = (
    zipfile.BadZipFile,
    tarfile.TarError,
    EOFError,
    gzip.BadGzipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    ValueError,
)


def members(path: Path, max_bytes: int = MAX_BYTES) -> list[Member]:
    """The entries of an archive, refused (UsageError, exit 2) unless every one is safe to extract and the
    archive is a sandbox (manifest.json and SHA256SUMS at its top)."""
    kind = archive_format(path)
    if not path.is_file():
        raise UsageError(f"{path}: expected an archive file, got {'a folder' if path.exists() else 'nothing'}")
    out: list[Member] = []
    packed = max(path.stat().st_size, 1)
    total = 0

    def admit(name: str, size: int, is_dir: bool) -> None:
        nonlocal total
        out.append(Member(_safe_name(path, name), size, is_dir))
        total += size
        # checked entry by entry: a bomb's header is refused before its data is read
        if total > max_bytes:
            raise UsageError(
                f"{path}: declares {total:,} bytes, expected at most {max_bytes:,} (a zip bomb? raise --max-size "
                "if you trust it); nothing was written"
            )
        if total > _RATIO_FLOOR and total > MAX_RATIO * packed:
            raise UsageError(
                f"{path}: declares {total:,} bytes from {packed:,} ({total // packed:,}:1), expected at most "
                f"{MAX_RATIO}:1 (a zip bomb: a packed sandbox is about 1:1); nothing was written"
            )

    try:
        if kind == "zip":
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    _check_zip_entry(path, info)
                    admit(info.filename, info.file_size, info.is_dir())
        else:
            with tarfile.open(path, "r:*") as tar:
                for member in tar:
                    if not (member.isfile() or member.isdir()):
                        what = "a link" if member.issym() or member.islnk() else "a special file"
                        raise UsageError(f"{path}: {member.name}: expected regular files, got {what}")
                    _check_mode(path, member.name, member.mode)
                    admit(member.name, member.size, member.isdir())
    except (*_MALFORMED, OSError) as exc:  # reading the listing: any error is the archive's
        raise _malformed(path, kind, exc) from None
    _check_layout(path, out)
    return out


def _malformed(path: Path, kind: str, exc: BaseException) -> UsageError:
    detail = "; ".join(line.strip(" -:") for line in str(exc).splitlines() if line.strip(" -:"))
    return UsageError(f"{path}: expected a readable {kind} archive, got {type(exc).__name__}: {detail}")


def _check_zip_entry(path: Path, info: zipfile.ZipInfo) -> None:
    where = f"{path}: {info.filename}"
    _safe_name(path, info.filename)  # before zipfile looks at it (an empty name breaks `is_dir`)
    if "\0" in info.orig_filename:  # zipfile cuts the name at the NUL: `a\0b` would land as `a`
        raise UsageError(f"{path}: {info.orig_filename!r}: expected a name without NUL bytes, got one with")
    if info.flag_bits & 0x1:
        raise UsageError(f"{where}: expected a plain archive, got an encrypted member")
    if info.compress_type not in _ZIP_METHODS:
        raise UsageError(
            f"{where}: expected one of the compression methods {', '.join(_ZIP_METHODS.values())}, got method "
            f"{info.compress_type}"
        )
    mode = info.external_attr >> 16
    if stat.S_IFMT(mode) in _SPECIAL:
        raise UsageError(f"{where}: expected regular files, got {_SPECIAL[stat.S_IFMT(mode)]}")
    _check_mode(path, info.filename, mode)


def _check_mode(path: Path, name: str, mode: int) -> None:
    if mode & (stat.S_ISUID | stat.S_ISGID):
        raise UsageError(f"{path}: {name}: expected plain permissions, got a setuid or setgid bit")


def _check_layout(path: Path, found: list[Member]) -> None:
    """No name twice, no name both a file and a folder, and the two files every packed sandbox has."""
    seen: dict[str, bool] = {}
    for member in found:
        if member.name in seen and not (member.is_dir and seen[member.name]):
            raise UsageError(f"{path}: {member.name}: expected each name once, got it twice")
        seen[member.name] = member.is_dir
    folders = {str(parent) for m in found for parent in PurePosixPath(m.name).parents}
    clash = sorted(name for name, is_dir in seen.items() if not is_dir and name in folders)
    if clash:
        raise UsageError(f"{path}: {clash[0]}: expected a file or a folder, got a name that is both")
    files = {name for name, is_dir in seen.items() if not is_dir}
    if not {MANIFEST, SUMS} <= files:
        raise UsageError(
            f"{path}: expected a sandbox archive made by `sandbox pack` ({MANIFEST} and {SUMS} at its top), "
            f"got one without {MANIFEST if MANIFEST not in files else SUMS}"
        )


def _safe_name(archive: Path, name: str) -> str:
    if not name.strip("/"):
        raise UsageError(f"{archive}: expected a name for every member, got an empty one")
    if "\0" in name:
        raise UsageError(f"{archive}: {name!r}: expected a name without NUL bytes, got one with")
    pure = PurePosixPath(name)
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or "\\" in name:
        raise UsageError(f"{archive}: {name}: expected a relative path inside the archive, got an absolute one")
    if ".." in pure.parts:
        raise UsageError(f"{archive}: {name}: expected a path inside the target, got one with '..'")
    if pure.as_posix() == ".":
        raise UsageError(f"{archive}: {name}: expected a file or folder name, got '.'")
    if len(pure.parts) > MAX_DEPTH:
        raise UsageError(f"{archive}: {name[:80]}...: expected at most {MAX_DEPTH} folders deep, got {len(pure.parts)}")
    if any(len(part.encode("utf-8", "surrogateescape")) > _NAME_BYTES for part in pure.parts):
        raise UsageError(f"{archive}: {name[:80]}...: expected names of at most {_NAME_BYTES} bytes, got a longer one")
    return pure.as_posix().rstrip("/")


def _open_member(path: Path, kind: str) -> Iterator[tuple[Member, IO[bytes] | None]]:
    if kind == "zip":
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                member = Member(info.filename.rstrip("/"), info.file_size, info.is_dir())
                if member.is_dir:
                    yield member, None
                else:
                    with zf.open(info) as fh:
                        yield member, fh
        return
    with tarfile.open(path, "r:*") as tar:
        for tinfo in tar:
            member = Member(tinfo.name.rstrip("/"), tinfo.size, tinfo.isdir())
            yield member, (None if member.is_dir else tar.extractfile(tinfo))


def extract(path: str | Path, target: Path, max_bytes: int = MAX_BYTES) -> list[str]:
    """Extract a checked archive's files into the existing empty folder `target`; returns their names."""
    path = Path(path)
    checked = {m.name: m for m in members(path, max_bytes)}
    try:
        return _extract(path, target, checked)
    except _MALFORMED as exc:  # a lying size, names that differ between headers, a bad CRC: found while reading
        raise _malformed(path, archive_format(path), exc) from None


def _extract(path: Path, target: Path, checked: dict[str, Member]) -> list[str]:
    root = target.resolve()
    names = []
    for member, fh in _open_member(path, archive_format(path)):
        dest = (root / member.name).resolve()
        if member.name not in checked or not dest.is_relative_to(root):  # the checks above make this unreachable
            raise UsageError(f"{path}: {member.name}: expected a path inside the target")
        if fh is None:
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with dest.open("xb") as out:
            while block := fh.read(_BLOCK):
                written += len(block)
                if written > checked[member.name].size:
                    raise UsageError(f"{path}: {member.name}: holds more bytes than it declares; nothing was written")
                out.write(block)
        names.append(member.name)
    return sorted(names)


def unpack(path: str | Path, out: str | Path, *, overwrite: bool = False, max_bytes: int = MAX_BYTES) -> list[str]:
    """Extract an archive into the folder `out`, which appears only when complete."""
    members(Path(path), max_bytes)  # refuse before creating anything
    with Staging(Path(out), overwrite) as staging:
        names = extract(path, staging.path, max_bytes)
        unlisted = sorted(set(names) - {SUMS, SIGNATURE} - set(listed_in_sums(staging.path)))
        if unlisted:
            raise UsageError(
                f"{path}: {unlisted[0]}: not listed in {SUMS} (added after the pack?); nothing was written"
            )
        staging.commit()
    return names


def listed_in_sums(folder: Path) -> list[str]:
    """The paths a sandbox's SHA256SUMS lists (`SHA256  PATH` lines)."""
    text = (folder / SUMS).read_text(encoding="utf-8", errors="replace")
    return [line.partition("  ")[2] for line in text.splitlines() if "  " in line]
