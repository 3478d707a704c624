"""Conversation flows: menus and catalog answers (surveys and more come later)."""
