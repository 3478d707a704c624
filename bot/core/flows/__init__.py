"""Conversation flows (base.py: the interface; registry.py: the flows the engine runs), menus
and catalog answers."""
