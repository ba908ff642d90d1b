"""The dev mailbox: in `make run` every sent message lands as an .eml file.

Listed at /dev/mailbox/ when DEBUG is on."""

from __future__ import annotations

import email
import email.policy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class DevMailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        folder = Path(settings.DEV_MAILBOX_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            path = folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
            path.write_bytes(message.message().as_bytes())
            sent += 1
        return sent


@dataclass
class StoredMail:
    id: str
    subject: str
    to: str
    sent_at: str
    body: str


def mailbox_messages(limit: int = 100) -> list[StoredMail]:
    folder = Path(settings.DEV_MAILBOX_DIR)
    if not folder.exists():
        return []
    messages = []
    for path in sorted(folder.glob("*.eml"), reverse=True)[:limit]:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        part = parsed.get_body(preferencelist=("plain", "html"))
        messages.append(
            StoredMail(
                id=path.stem,
                subject=str(parsed["subject"]),
                to=str(parsed["to"]),
                sent_at=str(parsed["date"]),
                body=part.get_content() if part is not None else "",
            )
        )
    return messages
