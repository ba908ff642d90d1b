"""CRM connectors: one interface (base.Connector), one module per CRM. `CONNECTORS` maps a
connection's kind to its class."""

from __future__ import annotations

from importlib import import_module

from .base import Connector

# kind → "module.Class" (imported on first use: a CRM client library loads only when needed).
_PATHS = {
    "generic": "integrations.connectors.generic.GenericConnector",
    "salesforce": "integrations.connectors.salesforce.SalesforceConnector",
    "hubspot": "integrations.connectors.hubspot.HubSpotConnector",
    "bottlecrm": "integrations.connectors.bottlecrm.BottleCrmConnector",
}


def connector_class(kind: str) -> type[Connector]:
    module, _, name = _PATHS[kind].rpartition(".")
    return getattr(import_module(module), name)
