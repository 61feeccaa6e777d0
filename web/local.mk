# web/: libweb.a, rendering for the web UI (the Mustache engine, Markdown, message catalogs, UI strings, page helpers, asset fingerprints), built on core/ only, with the catalogs and its unit tests.
noinst_LIBRARIES += libweb.a
libweb_a_SOURCES = \
	web/assets.c web/assets.h \
	web/emoji.c web/emoji.h \
	web/i18n.c web/i18n.h \
	web/markdown.c web/markdown.h \
	web/tmpl.c web/tmpl.h \
	web/webpage.c web/webpage.h web/ui_strings.def

# The emoji set, generated from Debian's Unicode data (unicode-data's
# emoji-test.txt, unicode-cldr-core's annotations) by web/gen_emoji.py: the
# shortcode table compiled into web/emoji.c, and the picker's data per
# language written into the source tree's static/emoji/ (served and
# installed like every static file; not in git).
PX_EMOJI_SRC = /usr/share/unicode/emoji/emoji-test.txt
EXTRA_DIST += web/gen_emoji.py
CLEANFILES += web/emoji_data.inc
web/emoji.$(OBJEXT): web/emoji_data.inc
web/emoji_data.inc: $(srcdir)/web/gen_emoji.py $(PX_EMOJI_SRC)
	$(AM_V_GEN)$(MKDIR_P) web && python3 $(srcdir)/web/gen_emoji.py --c $@
all-local: $(srcdir)/static/emoji/en.json $(srcdir)/static/emoji/de.json
$(srcdir)/static/emoji/en.json: $(srcdir)/web/gen_emoji.py $(PX_EMOJI_SRC)
	$(AM_V_GEN)$(MKDIR_P) $(srcdir)/static/emoji && python3 $(srcdir)/web/gen_emoji.py --json en $@
$(srcdir)/static/emoji/de.json: $(srcdir)/web/gen_emoji.py $(PX_EMOJI_SRC)
	$(AM_V_GEN)$(MKDIR_P) $(srcdir)/static/emoji && python3 $(srcdir)/web/gen_emoji.py --json de $@

# Message catalogs: po/<lang>.po compiled by msgfmt into the build tree's
# po/ folder (found there by plexichat.fcgi run from the build tree) and
# installed under $(pkgdatadir)/locale.
PX_PO = po/en.po po/de.po
pxlocaledir = $(pkgdatadir)/locale
pxlocale_DATA = po/en.mo po/de.mo
EXTRA_DIST += $(PX_PO)
CLEANFILES += $(pxlocale_DATA)
SUFFIXES = .po .mo
.po.mo:
	@$(MKDIR_P) po
	$(AM_V_GEN)msgfmt --check -o $@ $<

# Regenerates po/plexichat.pot from the msgid sources (a maintainer step).
update-pot:
	xgettext -L C -kS:2 -kX:3 -k --from-code=UTF-8 --no-location \
	  -o $(srcdir)/po/plexichat.pot $(srcdir)/web/ui_strings.def $(srcdir)/core/errors.def

check_PROGRAMS += tests/unit/check_mustache_spec tests/unit/check_tmpl \
	tests/unit/check_markdown tests/unit/check_i18n tests/unit/check_emoji
tests_unit_check_mustache_spec_SOURCES = tests/unit/check_mustache_spec.c
tests_unit_check_mustache_spec_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_mustache_spec_LDADD = $(TEST_LIBS)
tests_unit_check_tmpl_SOURCES = tests/unit/check_tmpl.c
tests_unit_check_tmpl_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_tmpl_LDADD = $(TEST_LIBS)
tests_unit_check_markdown_SOURCES = tests/unit/check_markdown.c
tests_unit_check_markdown_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_markdown_LDADD = $(TEST_LIBS)
tests_unit_check_emoji_SOURCES = tests/unit/check_emoji.c
tests_unit_check_emoji_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_emoji_LDADD = $(TEST_LIBS)
tests_unit_check_i18n_SOURCES = tests/unit/check_i18n.c
tests_unit_check_i18n_CFLAGS = $(TEST_CFLAGS) -DPX_BUILDDIR='"$(abs_top_builddir)"'
tests_unit_check_i18n_LDADD = $(TEST_LIBS)
EXTRA_tests_unit_check_i18n_DEPENDENCIES = $(pxlocale_DATA)
