"""Enablement (M-3): learning (lms), live sessions (live), certifications (certs), asset library
and sales playbook (assets) — one Django app per area so each keeps its own migrations."""
