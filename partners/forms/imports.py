"""imports: forms."""
