"""Questions in, grounded answers out."""

from qa.api import Assistant, Stats
from qa.config import Settings, load_settings
from qa.models import Answer, Citation

__all__ = ["Answer", "Assistant", "Citation", "Settings", "Stats", "load_settings"]
