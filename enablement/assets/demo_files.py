"""Real files for the demo library, generated when the demo loads: small, valid PDFs (documents
in portrait, decks as 16:9 slides) written without any PDF library, so the demo needs nothing
beyond Python. Each page is text in Helvetica; the file carries a cross-reference table, so every
viewer opens it."""

from __future__ import annotations

import textwrap

PORTRAIT = (595, 842)  # A4 in points
SLIDE = (960, 540)  # 16:9


def _pdf_text(text: str) -> str:
    """A PDF literal string body (WinAnsi/Latin-1; other characters become "?")."""
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _page_stream(lines: list[tuple[int, str]], *, size: tuple[int, int], footer: str) -> bytes:
    """`lines` are (font size, text) from the top; long lines are wrapped."""
    width, height = size
    margin = 56
    y = height - margin
    parts = ["BT"]
    for font_size, text in lines:
        chars = max(20, int((width - 2 * margin) / (font_size * 0.5)))
        for piece in textwrap.wrap(text, chars) or [""]:
            y -= font_size * 1.4
            if y < margin + 24:
                break
            font = "/F2" if font_size >= 18 else "/F1"
            parts.append(
                f"{font} {font_size} Tf 1 0 0 1 {margin} {y:.0f} Tm ({_pdf_text(piece)}) Tj"
            )
        y -= font_size * 0.4
    parts.append(f"/F1 9 Tf 1 0 0 1 {margin} {margin - 20} Tm ({_pdf_text(footer)}) Tj")
    parts.append("ET")
    return "\n".join(parts).encode("latin-1")


def pdf_document(
    title: str, pages: list[list[tuple[int, str]]], *, size=PORTRAIT, footer=""
) -> bytes:
    """A PDF with one page per entry of `pages`; the title goes into the document info."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the page tree exists
    tree = add(b"")
    regular = add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    bold = add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    kids = []
    for number, lines in enumerate(pages, start=1):
        page_footer = f"{footer} - {number}/{len(pages)}" if footer else f"{number}/{len(pages)}"
        stream = _page_stream(lines, size=size, footer=page_footer)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(
            add(
                (
                    f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 {size[0]} {size[1]}] "
                    f"/Resources << /Font << /F1 {regular} 0 R /F2 {bold} 0 R >> >> "
                    f"/Contents {content} 0 R >>"
                ).encode()
            )
        )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {tree} 0 R >>".encode()
    objects[tree - 1] = (
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    ).encode()
    info = add(f"<< /Title ({_pdf_text(title)}) /Producer (PRM demo) >>".encode("latin-1"))

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def asset_pdf(
    *, title: str, kind_label: str, product: str, company: str, version: int = 1
) -> bytes:
    """A short document for a datasheet, battle card, case study, guide or video transcript."""
    heading = [
        (22, title),
        (11, f"{kind_label} - {product} - {company}"),
        (10, f"Version {version}"),
    ]
    body = [
        (12, "Why it matters"),
        (
            10,
            f"{product} helps your customers run faster with less effort. This "
            f"{kind_label.lower()} gives you the key points to use with them, in the order "
            "a conversation usually takes.",
        ),
        (12, "Key points"),
        (10, f"- What {product} does and for whom."),
        (10, "- The three questions that qualify a real project."),
        (10, "- Proof: numbers from customers like yours."),
        (10, "- Next step: register the deal, then book the technical session."),
    ]
    return pdf_document(title, [heading + body], footer=f"{company} partner program")


def deck_pdf(*, title: str, product: str, company: str, version: int = 1) -> bytes:
    """A deck as 16:9 slides (PDF is what every partner can open and present)."""
    slides = [
        [(32, title), (16, f"{company} - {product}"), (12, f"Version {version}")],
        [
            (26, "The customer's problem"),
            (16, "- Too many tools, too little time."),
            (16, "- Projects that stall after the pilot."),
            (16, "- Costs nobody can predict."),
        ],
        [
            (26, f"What {product} changes"),
            (16, "- One platform instead of five tools."),
            (16, "- Live in weeks, not quarters."),
            (16, "- A price that grows with use."),
        ],
        [
            (26, "Next steps"),
            (16, "1. Register the opportunity in the partner portal."),
            (16, "2. Book a technical session with your pre-sales contact."),
            (16, "3. Send the proposal with one matching case study."),
        ],
    ]
    return pdf_document(title, slides, size=SLIDE, footer=f"{company} partner program")
