# handlers/: thin HTTP glue per API area and per page.
noinst_LIBRARIES += libhandlers.a
libhandlers_a_SOURCES = \
	handlers/system.c handlers/system.h
