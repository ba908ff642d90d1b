"""ipp: services. (Being written.)"""


def score_partner(*, partner) -> None:
    """Compute and save the partner's IPP score, explanation and time from the tenant's IPP."""
    raise NotImplementedError
