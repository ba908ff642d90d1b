"""Demo data for partner imports: deliberately none.

An import is a record of someone uploading a file; a fabricated one would show a file that does
not exist behind it. The demo tenants' partners come from the organization area's seed, and
docs/sample-partner-import.csv is a ready-made file to try the import with.
"""


def seed(tenant, *, staff) -> None:
    """A documented no-op (idempotent by construction). Called inside tenant_context(tenant)."""
    return None
