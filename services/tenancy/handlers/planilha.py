"""tenancy's sheets of the onboarding spreadsheet: units, the plan, document and process types.

Each importer reviews every row against the municipality's current state (and the
sheets reviewed before it), reporting all problems at once, then applies its
changes in the importer's transaction. Keys: a unit's sigla, a type's name, a
plan code. A row equal to what is stored changes nothing, so importing the same
file twice leaves the same state. Nothing is deleted or deactivated by an import.
Found by the entry point group `sempapel.planilha`.
"""

from __future__ import annotations

from services.tenancy.handlers.planilha_plano import PlanoImporter
from services.tenancy.handlers.planilha_tipos import TiposDocumentoImporter, TiposProcessoImporter
from services.tenancy.handlers.planilha_unidades import UnidadesImporter

IMPORTERS = (UnidadesImporter(), PlanoImporter(), TiposDocumentoImporter(), TiposProcessoImporter())
