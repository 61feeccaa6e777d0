# handlers/msg.mk: the msg area's core, model, handler and test sources (owned by that area's work).
libplexi_a_SOURCES += core/markdown.c core/markdown.h
libmodel_a_SOURCES += \
	model/channels.c model/channels.h \
	model/messages.c model/messages.h \
	model/events.c model/events.h \
	model/notifications.c model/notifications.h \
	model/search.c model/search.h
libhandlers_a_SOURCES += \
	handlers/channels_util.c handlers/channels_util.h \
	handlers/channels.c handlers/channels.h \
	handlers/messages.c handlers/messages.h handlers/messages_react.c \
	handlers/search.c handlers/search.h \
	handlers/notifications.c handlers/notifications.h
libhandlers_a_SOURCES += handlers/events.c handlers/events.h
# The event hub is fcgi/ code (it knows libfcgi); it rides in libhandlers.a
# because fcgi/local.mk lists plexichat.fcgi's own sources.
libhandlers_a_SOURCES += fcgi/events_hub.c fcgi/events_hub.h fcgi/events_stream.c \
	fcgi/records.c fcgi/records.h

check_PROGRAMS += tests/unit/check_markdown tests/unit/check_msg
tests_unit_check_markdown_SOURCES = tests/unit/check_markdown.c
tests_unit_check_markdown_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_markdown_LDADD = $(TEST_LIBS)
tests_unit_check_msg_SOURCES = tests/unit/check_msg.c
tests_unit_check_msg_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_msg_LDADD = libhandlers.a libmodel.a $(TEST_LIBS)

# The OpenAPI description: docs/openapi/openapi.py is the source; the build
# writes docs/_generated/openapi.json and compiles the document in.
libhandlers_a_SOURCES += handlers/openapi.c handlers/openapi.h
EXTRA_DIST += docs/openapi/openapi.py
CLEANFILES += handlers/openapi_json.inc docs/_generated/openapi.json
handlers/openapi.$(OBJEXT): handlers/openapi_json.inc docs/_generated/openapi.json
handlers/openapi_json.inc: $(srcdir)/docs/openapi/openapi.py
	$(AM_V_GEN)$(MKDIR_P) handlers && python3 $(srcdir)/docs/openapi/openapi.py --c $@
docs/_generated/openapi.json: $(srcdir)/docs/openapi/openapi.py
	$(AM_V_GEN)$(MKDIR_P) docs/_generated && python3 $(srcdir)/docs/openapi/openapi.py --json $@
