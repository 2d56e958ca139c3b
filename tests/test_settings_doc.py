"""The README's settings table lists exactly the fields of Settings (paper-qa's habit)."""

from __future__ import annotations

import re

from core.settings import REPO_ROOT, Settings


def test_readme_settings_table_matches_the_model():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `GAZETTE_([A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_readme_opens_with_the_two_commands():
    lines = [ln for ln in (REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines() if ln.strip()]
    block = lines[lines.index("```bash") + 1 : lines.index("```")]
    assert [ln.split()[0:2] for ln in block] == [["make", "run"], ["make", "test"]]
