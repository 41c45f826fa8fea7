"""The API layer: throttling, one error envelope, bounded JSON, client IP, request logging,
health, the OpenAPI schema and its pages, pagination, and the commands that export and check
them. Every resource of the project gets these without asking; a team rarely changes them.
"""
