# plugins/: libplugins.a, what PlexiChat knows of a plugin before anything
# of it runs: versions and ranges (SemVer), the manifest, signatures
# (Ed25519), dependency resolution and the package reader. Builds on core/.
noinst_LIBRARIES += libplugins.a
libplugins_a_SOURCES = \
	plugins/px_pl_semver.c plugins/px_pl_semver.h \
	plugins/px_pl_sig.c plugins/px_pl_sig.h \
	plugins/px_pl_manifest.c plugins/px_pl_manifest.h \
	plugins/px_pl_resolve.c plugins/px_pl_resolve.h \
	plugins/px_pl_pkg.c plugins/px_pl_pkg.h
# plugin packages are tar archives, read with libarchive
AM_CFLAGS += $(ARCHIVE_CFLAGS)
PLUGIN_LIBS = libplugins.a $(ARCHIVE_LIBS)

check_PROGRAMS += tests/unit/check_plugins
tests_unit_check_plugins_SOURCES = tests/unit/check_plugins.c
tests_unit_check_plugins_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_plugins_LDADD = $(PLUGIN_LIBS) $(TEST_LIBS)
