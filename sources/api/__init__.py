"""The sources REST API: parties and sources (read-only). Mounted under /api/v1/."""
