"""Front-end files are vendored from npm with version and sha256, and nothing loads from a CDN."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted(
    [
        *ROOT.glob("servicedesk/web/static/vendor/*/VENDOR.json"),
        *ROOT.glob("tests/web/vendor/*/VENDOR.json"),
    ]
)


def test_every_vendored_library_has_a_manifest() -> None:
    names = {json.loads(m.read_text())["package"] for m in MANIFESTS}
    assert {"htmx.org", "bootstrap", "swagger-ui-dist", "axe-core"} <= names


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda m: m.parent.name)
def test_vendored_files_match_their_recorded_sha256(manifest: Path) -> None:
    meta = json.loads(manifest.read_text())
    assert meta["registry"] == "npm" and meta["version"] in manifest.parent.name
    for name, digest in meta["files_sha256"].items():
        data = (manifest.parent / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name


def test_no_template_loads_anything_from_another_site() -> None:
    pattern = re.compile(r"""(src|href)\s*=\s*["']\s*(https?:)?//""", re.IGNORECASE)
    for template in ROOT.glob("servicedesk/**/templates/**/*.html"):
        assert not pattern.search(template.read_text()), template
