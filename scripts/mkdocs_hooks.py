"""scripts/mkdocs_hooks.py: mkdocs hooks of the documentation site (mkdocs.yml).

- Adds the API reference that scripts/build_docs.sh rendered with Redoc
  (PX_DOCS_API_DIR/api/index.html and the OpenAPI document beside it) to
  the site as api/, so that links to api/index.html are checked like any
  other file under --strict. Without it a warning is logged, which fails a
  strict build.
- Leaves out of the site what lives under docs/ but is not documentation:
  docs/_generated/.
"""
import logging
import os

from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.plugins.plexichat")
NOT_SITE = ("_generated/",)


def on_files(files, config):
    kept = [f for f in files if not f.src_uri.startswith(NOT_SITE)]
    src = os.environ.get("PX_DOCS_API_DIR", "")
    api = os.path.join(src, "api")
    if src and os.path.isfile(os.path.join(api, "index.html")):
        for name in sorted(os.listdir(api)):
            kept.append(File("api/" + name, src, config["site_dir"], config["use_directory_urls"]))
    else:
        log.warning("the API reference (api/index.html) is not rendered: "
                    "build the site with scripts/build_docs.sh, which sets PX_DOCS_API_DIR")
    return Files(kept)
