"""Fake external servers (real aiohttp servers on 127.0.0.1) that record what they receive."""
