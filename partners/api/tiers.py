def register(router) -> None:
    """Register this area's viewsets on the /api/v1/ router."""
