"""tiers: selectors. (Being written.)"""


def tier_progress(partner):
    """What the partner has vs what the next tier needs (used by the detail page and the portal)."""
    raise NotImplementedError
