"""Extract the values of Presidio's recognizer tests into `presidio_values.json` (a maintainer's tool; the test
suite reads only the JSON).

    python tests/corpora/presidio_extract.py PATH/TO/presidio > tests/corpora/presidio_values.json

Each `@pytest.mark.parametrize("text, expected_len, ...")` row of the chosen test files becomes one case: the
text and whether Presidio's recognizer must find something in it (expected_len > 0). Presidio is MIT-licensed;
only the values are taken, none of its code.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

#: Presidio's recognizer test file (tests/test_NAME_recognizer.py) and the class sandbox calls its entity.
FILES = {
    "credit_card": "credit_card",
    "crypto": "online_identifier",
    "email": "email",
    "iban": "iban",
    "ip": "ip_address",
    "mac": "online_identifier",
    "phone": "phone",
    "us_ssn": "national_id",
    "us_itin": "national_id",
    "uk_nino": "national_id",
    "es_nif": "national_id",
    "es_nie": "national_id",
    "it_fiscal_code": "national_id",
    "de_tax_id": "national_id",
}


def _iban_checksum(iban: str) -> str:
    """Presidio's `update_iban_checksum` helper, re-derived from the ISO 13616 rule (mod 97)."""
    compact = iban.replace(" ", "")
    digits = "".join(str(int(ch, 36)) for ch in (compact[4:] + compact[:2] + "00").upper())
    return iban[:2] + f"{98 - int(digits) % 97:02d}" + iban[4:]


def _value(node: ast.expr) -> object:
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "update_iban_checksum":
        return _iban_checksum(ast.literal_eval(node.args[0]))
    if isinstance(node, ast.JoinedStr):  # an f-string without placeholders
        return "".join(ast.literal_eval(part) for part in node.values)
    return ast.literal_eval(node)


def cases(source: str) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "parametrize"):
            continue
        names = [n.strip() for n in ast.literal_eval(node.args[0]).split(",")]
        if "expected_len" not in names or not isinstance(node.args[1], ast.List):
            continue
        text_at, len_at = 0, names.index("expected_len")
        for row in node.args[1].elts:
            if isinstance(row, ast.Tuple):
                text, expected = _value(row.elts[text_at]), _value(row.elts[len_at])
                if isinstance(text, str) and text.strip():
                    found.append((text, int(expected)))
    return found


def main(repo: Path) -> None:
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    out, seen = [], set()
    for name, cls in FILES.items():
        path = f"presidio-analyzer/tests/test_{name}_recognizer.py"
        source = subprocess.run(
            ["git", "-C", str(repo), "show", f"HEAD:{path}"], capture_output=True, text=True, check=True
        ).stdout
        for text, expected in cases(source):
            if (name, text) not in seen:
                seen.add((name, text))
                out.append({"file": name, "class": cls, "text": text, "positive": expected > 0})
    source = {"repository": "microsoft/presidio", "commit": commit, "license": "MIT", "files": list(FILES)}
    json.dump({"source": source, "cases": out}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
