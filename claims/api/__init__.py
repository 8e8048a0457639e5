"""The claims REST API: claims, verification status, the change feed, verdicts,
contradictions, entities and predicates. Mounted under /api/v1/ by ``project.api.urls``."""
