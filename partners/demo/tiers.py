def seed(tenant, *, staff) -> None:
    """Demo data for this area, inside tenant_context(tenant). staff: role name -> User."""
