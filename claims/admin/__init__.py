"""The analysts' admin: log claims with their sources, record verdicts, triage contradictions.

Writes go through ``claims.services``; the admin only parses forms and shows results.
One module per page family, as in ``claims.models``; importing the package registers them all.
"""

from claims.admin import claim, contradiction, verdict, vocabulary
from claims.admin.common import claim_card, period_text

__all__ = ["claim", "claim_card", "contradiction", "period_text", "verdict", "vocabulary"]
