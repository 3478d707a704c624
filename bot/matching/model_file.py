"""Reading a generated model file (content/*_model.json): JSON, an object, the expected version."""

from __future__ import annotations

import json
from typing import Any


def versioned(text: str, version: int) -> dict[str, Any]:
    """The file's object; ValueError when it is not JSON, not an object or another version."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != version:
        raise ValueError(f"expected an object with version {version}")
    return data
