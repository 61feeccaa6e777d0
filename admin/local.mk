# admin/: plexichat-admin, the operator CLI.
bin_PROGRAMS += plexichat-admin
plexichat_admin_SOURCES = admin/main.c
plexichat_admin_LDADD = libmodel.a $(CORE_LIBS)

