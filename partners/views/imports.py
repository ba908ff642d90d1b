"""imports: views."""
