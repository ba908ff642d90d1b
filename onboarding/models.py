# Onboarding automation (M-2) arrives with its own issue.
