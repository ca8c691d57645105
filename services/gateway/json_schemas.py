"""The pydantic models of an API document as JSON Schema components, under names that hold.

Both documents (OpenAPI, AsyncAPI) keep their models in one map of reusable
schemas. The models are rendered together, by pydantic, so that each gets one
name fit for a component key: a generic model (`EventoProcesso[ProcessoEnviado]`)
becomes `EventoProcesso_ProcessoEnviado_`, and two models with the same name from
different modules get different keys (rendered one by one, the second would
silently replace the first).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

# The key of a component in OpenAPI 3.1 and AsyncAPI 3.0 (both specifications say it).
COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9\.\-_]+$")


class SchemaComponents:
    """The schemas of some models, and a `$ref` to each, for `components.schemas`."""

    def __init__(self, models: Iterable[type[BaseModel]], ref_prefix: str) -> None:
        unique = list(dict.fromkeys(models))
        refs, document = models_json_schema(
            [(model, "validation") for model in unique], ref_template=ref_prefix + "{model}"
        )
        self.schemas: dict[str, Any] = document.get("$defs", {})
        self._refs = {model: ref for (model, _mode), ref in refs.items()}
        bad = sorted(key for key in self.schemas if not COMPONENT_KEY.fullmatch(key))
        if bad:
            raise ValueError(f"schema names unfit for a component key: {bad}")

    def ref(self, model: type[BaseModel]) -> dict[str, str]:
        return dict(self._refs[model])
