# plugins/: libplugins.a, what PlexiChat knows of a plugin before anything
# of it runs: versions and ranges (SemVer), the manifest, signatures
# (Ed25519), dependency resolution and the package reader. Builds on core/.
noinst_LIBRARIES += libplugins.a
libplugins_a_SOURCES = \
	plugins/px_pl_semver.c plugins/px_pl_semver.h \
	plugins/px_pl_sig.c plugins/px_pl_sig.h \
	plugins/px_pl_manifest.c plugins/px_pl_manifest.h \
	plugins/px_pl_resolve.c plugins/px_pl_resolve.h

check_PROGRAMS += tests/unit/check_plugins
tests_unit_check_plugins_SOURCES = tests/unit/check_plugins.c
tests_unit_check_plugins_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_plugins_LDADD = libplugins.a $(TEST_LIBS)
