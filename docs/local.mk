# docs/: the documentation site (docs/MAINTAINING_DOCUMENTATION.md). Nothing
# here is part of `make` or `make check`: each target runs
# scripts/build_docs.sh, which needs mkdocs, mkdocs-material (PX_DOCS_PKGS in
# scripts/lib.sh) and Node with npm. The site goes to ./docs-site; the
# OpenAPI document is this build folder's docs/_generated/openapi.json
# unless OPENAPI_JSON names another.
DOCS_SCRIPT = $(SHELL) $(top_srcdir)/scripts/build_docs.sh
DOCS_ENV = OPENAPI_JSON="$${OPENAPI_JSON:-$(abs_builddir)/docs/_generated/openapi.json}" \
	DOCS_SITE_DIR="$(abs_builddir)/docs-site" DOCS_API_DIR="$(abs_builddir)/docs-api"
.PHONY: docs docs-serve docs-lint docs-clean
docs: docs/_generated/openapi.json
	$(DOCS_ENV) $(DOCS_SCRIPT) build
docs-serve: docs/_generated/openapi.json
	$(DOCS_ENV) $(DOCS_SCRIPT) serve
docs-lint:
	$(DOCS_SCRIPT) lint
docs-clean:
	$(DOCS_ENV) $(DOCS_SCRIPT) clean
