# plugins/: libplugins.a, what PlexiChat knows of a plugin before anything
# of it runs: versions and ranges (SemVer), the manifest, signatures
# (Ed25519), dependency resolution and the package reader. Builds on core/.
noinst_LIBRARIES += libplugins.a
libplugins_a_SOURCES = \
	plugins/px_pl_semver.c plugins/px_pl_semver.h \
	plugins/px_pl_sig.c plugins/px_pl_sig.h \
	plugins/px_pl_manifest.c plugins/px_pl_manifest.h \
	plugins/px_pl_resolve.c plugins/px_pl_resolve.h \
	plugins/px_pl_pkg.c plugins/px_pl_pkg.h \
	plugins/px_pl_inproc.c plugins/px_pl_inproc.h plugins/plexichat_plugin.h \
	plugins/px_pl_proc.c plugins/px_pl_proc.h \
	plugins/px_pl_catalog.c plugins/px_pl_catalog.h
# plugin packages are tar archives, read with libarchive; process plugins
# are confined with seccomp (libseccomp); modules are loaded with dlopen
AM_CFLAGS += $(ARCHIVE_CFLAGS) $(SECCOMP_CFLAGS)
PLUGIN_LIBS = libplugins.a $(ARCHIVE_LIBS) $(SECCOMP_LIBS) -ldl

check_PROGRAMS += tests/unit/check_plugins
tests_unit_check_plugins_SOURCES = tests/unit/check_plugins.c
tests_unit_check_plugins_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_plugins_LDADD = $(PLUGIN_LIBS) $(TEST_LIBS)

# The example plugins (examples/plugins/): the in-process word filter is
# built with the tree, so that its test and the benchmark load this
# build's module.
noinst_DATA = examples/plugins/word-filter/word_filter.so
examples/plugins/word-filter/word_filter.so: $(srcdir)/examples/plugins/word-filter/word_filter.c \
		$(srcdir)/plugins/plexichat_plugin.h
	@$(MKDIR_P) examples/plugins/word-filter
	$(AM_V_CC)$(CC) $(PX_CFLAGS) -O2 -I$(top_srcdir) -shared -fPIC -o $@ \
		$(srcdir)/examples/plugins/word-filter/word_filter.c
CLEANFILES += examples/plugins/word-filter/word_filter.so
EXTRA_DIST += examples/plugins/word-filter/word_filter.c examples/plugins/word-filter/plugin.json
