"""Storage: SQLAlchemy 2 (async) models and stores implementing the core's ports."""
