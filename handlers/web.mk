# handlers/web.mk: the web area's core, model, handler and test sources (owned by that area's work).
libplexi_a_SOURCES += \
	core/assets.c core/assets.h \
	core/i18n.c core/i18n.h \
	core/webpage.c core/webpage.h core/ui_strings.def

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
	  -o $(srcdir)/po/plexichat.pot $(srcdir)/core/ui_strings.def $(srcdir)/core/errors.def

check_PROGRAMS += tests/unit/check_i18n
tests_unit_check_i18n_SOURCES = tests/unit/check_i18n.c
tests_unit_check_i18n_CFLAGS = $(TEST_CFLAGS) -DPX_BUILDDIR='"$(abs_top_builddir)"'
tests_unit_check_i18n_LDADD = $(TEST_LIBS)
EXTRA_tests_unit_check_i18n_DEPENDENCIES = $(pxlocale_DATA)

libhandlers_a_SOURCES += \
	handlers/web.c handlers/web.h \
	handlers/web_util.c handlers/web_util.h \
	handlers/web_view.c handlers/web_view.h \
	handlers/web_chat.c handlers/web_chat.h \
	handlers/web_msg.c handlers/web_search.c handlers/web_settings.c handlers/web_admin.c
libmodel_a_SOURCES += model/web_admin.c model/web_admin.h model/web_prefs.c model/web_prefs.h

check_PROGRAMS += tests/unit/check_web
tests_unit_check_web_SOURCES = tests/unit/check_web.c
tests_unit_check_web_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_web_LDADD = libhandlers.a libmodel.a $(TEST_LIBS)
