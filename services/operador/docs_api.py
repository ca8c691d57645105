"""Write the OpenAPI and AsyncAPI documents to docs/ (`make docs`); a test keeps them current."""

from __future__ import annotations

import json
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def documents() -> dict[str, dict]:
    from services.gateway import asyncapi, openapi
    from services.gateway.service import GatewayService

    return {
        "openapi.json": openapi.document(GatewayService),
        "asyncapi.json": asyncapi.document(),
    }


def render(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> None:
    for name, document in documents().items():
        (DOCS / name).write_text(render(document), encoding="utf-8")
        print(f"docs/{name}", file=sys.stderr)


if __name__ == "__main__":
    main()
