"""Questions in, grounded answers out."""

from qa.api import Assistant
from qa.models import Answer, Citation

__all__ = ["Answer", "Assistant", "Citation"]
