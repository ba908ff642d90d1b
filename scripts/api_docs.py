"""Write the endpoint reference of docs/api.md from the OpenAPI document.

    .venv/bin/python scripts/api_docs.py           # rewrite docs/api.md
    .venv/bin/python scripts/api_docs.py --check   # exit 1 if docs/api.md is out of date

Everything between the two markers in docs/api.md is generated; the prose around it is written by
hand. `tests/test_api_docs.py` runs the check, so an endpoint added without regenerating fails CI.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api.md"
BEGIN = "<!-- BEGIN GENERATED ENDPOINTS (scripts/api_docs.py) -->"
END = "<!-- END GENERATED ENDPOINTS -->"
METHOD_ORDER = ["get", "post", "put", "patch", "delete"]


def _first_sentence(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        return ""
    cut = text.find(". ")
    sentence = text if cut == -1 else text[: cut + 1]
    return sentence.replace("|", "\\|")


def endpoint_reference() -> str:
    """The generated Markdown: one table per resource (OpenAPI tag), one row per path."""
    import django

    django.setup()
    from drf_spectacular.settings import spectacular_settings

    schema = spectacular_settings.DEFAULT_GENERATOR_CLASS().get_schema(request=None, public=True)
    by_tag: dict[str, list[tuple[str, str]]] = defaultdict(list)
    about: dict[str, set[str]] = defaultdict(set)
    for path, operations in sorted(schema["paths"].items()):
        methods = [m for m in METHOD_ORDER if m in operations]
        if not methods:
            continue
        first = operations[methods[0]]
        tag = (first.get("tags") or ["other"])[0]
        about[tag].update(
            d for m in methods if (d := _first_sentence(operations[m].get("description", "")))
        )
        by_tag[tag].append((path.removeprefix("/api/v1"), " ".join(m.upper() for m in methods)))

    lines = [
        BEGIN,
        "",
        f"{sum(len(rows) for rows in by_tag.values())} paths, generated from `/api/v1/schema/`. "
        "Who may call each one is enforced by the same access rules as the pages; see the "
        "tables above and the interactive docs for request and response bodies.",
        "",
    ]
    for tag in sorted(by_tag):
        lines += [f"### {tag}", ""]
        if about[tag]:
            lines += [" ".join(sorted(about[tag])), ""]
        lines += ["| methods | path |", "|---|---|"]
        lines += [f"| {methods} | `{path}` |" for path, methods in by_tag[tag]]
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def render(current: str, generated: str) -> str:
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        return head + generated + tail
    return current.rstrip("\n") + "\n\n## Endpoint reference (generated)\n\n" + generated + "\n"


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.test")
    sys.path.insert(0, str(ROOT))
    current = DOC.read_text(encoding="utf-8")
    wanted = render(current, endpoint_reference())
    if "--check" in argv:
        if wanted != current:
            print("docs/api.md is out of date: run .venv/bin/python scripts/api_docs.py")
            return 1
        return 0
    DOC.write_text(wanted, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
