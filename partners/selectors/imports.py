"""imports: selectors."""
