"""`sandbox verify`: does a sandbox (folder or archive) hold exactly what its manifest says, and can it be rebuilt?"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.core.files import sha256_file
from sandbox.errors import UsageError
from sandbox.output.manifest import MANIFEST, Manifest, decode, lock
from sandbox.output.manifest_schema import manifest_schema
from sandbox.privacy import keys
from sandbox.share.archive import MAX_BYTES, SUMS, archive_format, extract, listed_in_sums
from sandbox.share.signing import SIGNATURE, read_key, signature_problem


@dataclass(frozen=True)
class Mismatch:
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class Verification:
    path: str
    files: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    #: What the user should know beside the verdict, e.g. library versions that differ from the manifest's lock.
    notes: list[str] = field(default_factory=list)
    rebuilt: bool = False

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "files": self.files,
            "rebuilt": self.rebuilt,
            "mismatches": [{"path": m.path, "problem": m.problem} for m in self.mismatches],
            "notes": self.notes,
        }


def verify(
    path: str | Path,
    *,
    rebuild: bool = False,
    key_file: str | Path | None = None,
    max_bytes: int = MAX_BYTES,
    public_key: str | Path | None = None,
) -> Verification:
    """Check every file against the manifest (sha256, size, rows, schema) and SHA256SUMS when present.

    `path` is a sandbox folder or an archive made by `pack` (extracted to a temporary folder first).
    With `rebuild`, also build the recipe and seed the manifest records and compare the bytes. With
    `public_key` (an Ed25519 public key file), SHA256SUMS must carry that key's signature.
    """
    path = Path(path)
    if public_key is not None:
        read_key(Path(public_key), private=False)  # a bad key file is bad input (exit 2), before any work
    if path.is_file():
        archive_format(path)
        with tempfile.TemporaryDirectory(prefix="sandbox-verify-") as tmp:
            extract(path, Path(tmp), max_bytes)
            result = verify(tmp, rebuild=rebuild, key_file=key_file, public_key=public_key)
        result.path = str(path)
        return result
    if not path.is_dir():
        raise UsageError(f"{path}: expected a sandbox folder or archive, got nothing")
    if not (path / MANIFEST).exists() and not any((path / part).is_dir() for part in ("tables", "truth")):
        raise UsageError(f"{path}: expected a sandbox folder (with {MANIFEST}), got a folder that is not a sandbox")
    result = Verification(str(path))
    manifest = _manifest(path, result)
    if manifest is None:
        return result
    listed = _check_files(path, manifest, result)
    _check_sums(path, result)
    if public_key is not None:
        _check_signature(path, public_key, result)
    for extra in _data_files(path) - listed:
        result.mismatches.append(Mismatch(extra, "not listed in manifest.json (added after the build?)"))
    if rebuild and result.ok:
        _rebuild(path, manifest, result, key_file)
    return result


def _manifest(folder: Path, result: Verification) -> Manifest | None:
    path = folder / MANIFEST
    if not path.exists():
        result.mismatches.append(
            Mismatch(MANIFEST, "missing: an incomplete sandbox (the build or copy did not finish)")
        )
        return None
    try:
        data = decode(path.read_bytes())
        jsonschema.validate(data, manifest_schema())
    except UsageError as exc:
        result.mismatches.append(Mismatch(MANIFEST, str(exc)))
        return None
    except jsonschema.ValidationError as exc:
        where = ".".join(str(p) for p in exc.absolute_path) or "(top)"
        result.mismatches.append(Mismatch(MANIFEST, f"not a valid manifest at {where}: {exc.message}"))
        return None
    return data


def _check_files(folder: Path, manifest: Manifest, result: Verification) -> set[str]:
    listed = set()
    for table in manifest["tables"].values():
        expected_schema = [(c["name"], c["type"]) for c in table["columns"]]
        for entry in table["files"]:
            rel = entry["path"]
            listed.add(rel)
            result.files += 1
            file = folder / rel
            if not file.is_file():
                result.mismatches.append(Mismatch(rel, "missing"))
                continue
            size = file.stat().st_size
            if size != entry["bytes"]:
                result.mismatches.append(Mismatch(rel, f"size differs: manifest {entry['bytes']:,}, file {size:,}"))
            digest = sha256_file(file)
            if digest == entry["sha256"]:
                continue
            result.mismatches.append(
                Mismatch(rel, f"sha256 differs: manifest {entry['sha256'][:12]}..., file {digest[:12]}...")
            )
            try:
                meta = pq.read_metadata(file)
                schema = meta.schema.to_arrow_schema()
            except (pa.ArrowException, OSError) as exc:
                result.mismatches.append(Mismatch(rel, f"not readable as Parquet: {exc}"))
                continue
            found = [(f.name, str(f.type)) for f in schema]
            hive = {c.split("=", 1)[0] for c in Path(rel).parts if "=" in c}
            expected = [c for c in expected_schema if c[0] not in hive or c in found]
            if found != expected:
                result.mismatches.append(Mismatch(rel, f"schema differs: manifest {expected}, file {found}"))
            if meta.num_rows != entry["rows"]:
                result.mismatches.append(
                    Mismatch(rel, f"rows differ: manifest {entry['rows']:,}, file {meta.num_rows:,}")
                )
    return listed


def _check_sums(folder: Path, result: Verification) -> None:
    sums = folder / SUMS
    if not sums.exists():
        return
    for number, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), 1):
        digest, _, rel = line.partition("  ")
        if not rel:
            result.mismatches.append(Mismatch(SUMS, f"line {number}: expected 'SHA256  PATH', got {line[:60]!r}"))
        elif not (folder / rel).is_file():
            result.mismatches.append(Mismatch(rel, f"listed in {SUMS} but missing"))
        elif sha256_file(folder / rel) != digest:
            result.mismatches.append(Mismatch(rel, f"sha256 differs from {SUMS}"))


def _check_signature(folder: Path, public_key: str | Path, result: Verification) -> None:
    """SHA256SUMS signed by the key, and every file of the folder listed in it."""
    sums, signature = folder / SUMS, folder / SIGNATURE
    if not sums.is_file() or not signature.is_file():
        missing = SUMS if not sums.is_file() else SIGNATURE
        result.mismatches.append(Mismatch(missing, "missing: --key needs a sandbox packed with --sign"))
        return
    problem = signature_problem(sums.read_bytes(), signature.read_bytes(), public_key)
    if problem:
        result.mismatches.append(Mismatch(SIGNATURE, problem))
        return
    listed = set(listed_in_sums(folder)) | {SUMS, SIGNATURE}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(folder).as_posix()
        if rel not in listed:
            result.mismatches.append(Mismatch(rel, f"not listed in the signed {SUMS} (added after the pack?)"))
    result.notes.append(f"{SUMS} is signed by {public_key}")


def _data_files(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for top in ("tables", "truth")
        for p in (folder / top).rglob("*")
        if p.is_file() or p.is_symlink()
    }


def lock_differences(recorded: dict[str, str]) -> list[str]:
    """'faker: 25.0.0 in the manifest, 26.1.0 installed' for every library whose version differs."""
    now = lock()
    return [
        f"{name}: {recorded.get(name, 'absent')} in the manifest, {now.get(name, 'absent')} installed"
        for name in sorted(set(recorded) | set(now))
        if recorded.get(name) != now.get(name) and name != "python"
    ]


def _rebuild(folder: Path, manifest: Manifest, result: Verification, key_file: str | Path | None) -> None:
    from sandbox.api import build, load_recipe_text

    recipe = manifest.get("recipe")
    if recipe is None:
        raise UsageError(f"{folder}: made by `sandbox anonymise` from its inputs; only recipe builds can be rebuilt")
    keys.key_of(manifest, Path(key_file) if key_file else None, folder)
    differences = lock_differences(manifest.get("lock", {}))
    result.notes += [f"library version differs: {d}" for d in differences]
    model = load_recipe_text(recipe["text"], recipe.get("file") or "recipe.yaml")
    sizing = recipe.get("sizing") or {}
    with tempfile.TemporaryDirectory(prefix="sandbox-rebuild-") as tmp:
        rebuilt = build(
            model,
            Path(tmp) / "rebuilt",
            rows=sizing.get("rows"),
            scale=sizing.get("scale"),
            seed=int(manifest["seed"]),
            key_file=key_file,
            since=manifest.get("window", {}).get("from"),
            until=manifest.get("window", {}).get("until"),
        ).manifest
    result.rebuilt = True
    again = {f["path"]: f["sha256"] for t in rebuilt["tables"].values() for f in t["files"]}
    why = f" (expected while library versions differ: {'; '.join(differences)})" if differences else ""
    for table in manifest["tables"].values():
        for entry in table["files"]:
            if entry["path"] not in again:
                result.mismatches.append(Mismatch(entry["path"], f"not produced by the rebuild{why}"))
            elif again[entry["path"]] != entry["sha256"]:
                result.mismatches.append(Mismatch(entry["path"], f"rebuilt bytes differ{why}"))
    withheld = set(manifest.get("withheld", []))
    for name in rebuilt["tables"]:
        if name not in manifest["tables"] and name not in withheld:
            result.mismatches.append(Mismatch(f"tables/{name}", f"the rebuild writes a table the sandbox lacks{why}"))
