"""Edit a template for one test: a copy with a change, placed before the project's templates."""

from __future__ import annotations

import copy
from pathlib import Path

from django.template.loader import get_template


def override_template(settings, tmp_path, name: str, *, marker: str) -> None:
    """Serve `name` from a copy under `tmp_path` with `marker` inserted after <body...>."""
    source = Path(get_template(name).origin.name).read_text(encoding="utf-8")
    head, sep, rest = source.partition("<body")
    tag_end = rest.index(">") + 1
    edited = head + sep + rest[:tag_end] + f"<p>{marker}</p>" + rest[tag_end:]
    target = tmp_path / "template-overrides" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(edited, encoding="utf-8")
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path / "template-overrides", *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
