"""The aiohttp application: web chat, health check (school portal and dashboard come later)."""
