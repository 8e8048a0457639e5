"""What every API app shares: authentication, roles, errors, pagination, rendering,
throttling and the OpenAPI conventions. The endpoints live in each app's ``api`` package."""
