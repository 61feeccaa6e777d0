# model/: the only place SQL text appears; one file per entity.
noinst_LIBRARIES += libmodel.a
libmodel_a_SOURCES = \
	model/system.c model/system.h \
	model/users.c model/users.h
