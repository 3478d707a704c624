"""Conversation core: platform-, web- and database-free. Engine.handle(Inbound) -> list[Reply]."""
