"""Demo mode: a simulated CRM that answers in the server itself, so a demo program shows the
sync (pushes, a sync log, stages moving in the partner pipeline) without any CRM. Nothing leaves
the server. The CRM's stages are the real connector's (`settings["_stages"]`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .base import Connector, DealRecord, InboundRefused, Link, PullResult, PushResult, RemoteChange

NEXT_STEPS = (
    "Discovery call booked",
    "Technical workshop with the customer",
    "Proposal sent; waiting for procurement",
    "Pricing review with the customer's CFO",
)


def _digest(*parts: str) -> int:
    return int(hashlib.sha256(":".join(parts).encode()).hexdigest()[:8], 16)


class DemoConnector(Connector):
    kind = "demo"
    label = _("Demo mode")

    def test_connection(self) -> str:
        return gettext("Demo mode: no CRM is called; pushes and pulls are simulated.")

    def push_deal(self, deal: DealRecord, link: Link | None) -> PushResult:
        if link is not None:
            return PushResult(
                link.account_id,
                link.opportunity_id,
                created=False,
                message=gettext("Simulated: registration status and lock sent to the CRM."),
            )
        return PushResult(
            f"demo-account-{_digest(deal.customer_name.casefold()):08x}",
            f"demo-opportunity-{deal.deal_uuid[:8]}",
            created=True,
            message=gettext("Simulated: opportunity created for %(customer)s.")
            % {"customer": deal.customer_name},
        )

    def pull_changes(self, cursor: dict[str, Any], *, linked: list[Link]) -> PullResult:
        """Each pull, about a third of the open opportunities move one stage on (never to a
        closed stage: people close registrations in the PRM)."""
        stages = [stage for stage in self.settings.get("_stages", []) if "CLOSED" not in stage]
        stages = [stage for stage in stages if "closed" not in stage.lower()]
        rounds = int(cursor.get("rounds", 0)) + 1
        known: dict[str, int] = dict(self.state.get("stages", {}))
        changes = []
        for link in linked:
            if not stages or _digest(link.opportunity_id, str(rounds)) % 3:
                continue
            position = min(known.get(link.opportunity_id, 0) + 1, len(stages) - 1)
            known[link.opportunity_id] = position
            changes.append(
                RemoteChange(
                    opportunity_id=link.opportunity_id,
                    stage=stages[position],
                    next_step=NEXT_STEPS[position % len(NEXT_STEPS)],
                )
            )
        self.state["stages"] = known
        message = ngettext(
            "Simulated: %(n)s opportunity changed in the CRM.",
            "Simulated: %(n)s opportunities changed in the CRM.",
            len(changes),
        ) % {"n": len(changes)}
        return PullResult(changes=changes, cursor={"rounds": rounds}, message=message)

    def inbound(
        self, *, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> list[RemoteChange]:
        raise InboundRefused(gettext("A connection in demo mode takes no notifications."))
