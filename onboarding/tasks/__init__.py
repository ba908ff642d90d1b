# Celery's autodiscovery imports this package: import every task module here.
from . import cadence, workflow  # noqa: F401
