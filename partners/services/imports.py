"""imports: services."""
