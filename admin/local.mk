# admin/: plexichat-admin, the operator CLI.
bin_PROGRAMS += plexichat-admin
plexichat_admin_SOURCES = admin/main.c admin/admin.h admin/util.c \
	admin/cluster_cmd.c admin/cluster_cmd.h \
	admin/completion.c admin/completion.h \
	admin/config_cmd.c admin/config_cmd.h \
	admin/doctor.c admin/doctor.h \
	admin/files_cmd.c admin/files_cmd.h \
	admin/export_cmd.c admin/export_cmd.h \
	admin/import_cmd.c admin/import_cmd.h admin/import_slack.c admin/import_mm.c \
	admin/import_files.c admin/import_files.h \
	admin/linediff.c admin/linediff.h \
	admin/plugin_cmd.c admin/plugin_cmd.h \
	admin/plugin_catalog.c admin/plugin_catalog.h \
	admin/probe.c admin/probe.h \
	admin/retention_cmd.c admin/retention_cmd.h \
	admin/stats.c admin/stats.h \
	admin/users_io.c admin/users_io.h
# libhandlers.a for handlers/hooks_slack.o (Slack mrkdwn), pure over core/
plexichat_admin_LDADD = libhandlers.a libmodel.a libstorage.a $(PLUGIN_LIBS) $(CORE_LIBS)
# the SQL these commands need (model/ is the only place SQL text appears)
libmodel_a_SOURCES += model/config_versions.c model/config_versions.h \
	model/imports.c model/imports.h \
	model/ops.c model/ops.h \
	model/plugins.c model/plugins.h model/plugin_data.c model/plugin_data.h \
	model/retention.c model/retention.h

# The man page and the bash completion are generated from the command table
# into the build folder (not the source tree) and installed with the
# program: man8/plexichat-admin.8 and bash-completion/completions/.
man8_MANS = plexichat-admin.8
bashcompdir = $(datadir)/bash-completion/completions
bashcomp_DATA = completions/plexichat-admin
man: plexichat-admin.8
plexichat-admin.8: plexichat-admin$(EXEEXT)
	$(AM_V_GEN)./plexichat-admin$(EXEEXT) man > $@.tmp && mv $@.tmp $@
completions/plexichat-admin: plexichat-admin$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) completions && \
	./plexichat-admin$(EXEEXT) completion bash > $@.tmp && mv $@.tmp $@
CLEANFILES += plexichat-admin.8 completions/plexichat-admin
.PHONY: man

# the import report's merge of the Slack import's lanes
check_PROGRAMS += tests/unit/check_import_report
tests_unit_check_import_report_SOURCES = tests/unit/check_import_report.c \
	admin/import_cmd.c admin/import_slack.c admin/import_mm.c admin/import_files.c admin/util.c
tests_unit_check_import_report_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_import_report_LDADD = $(HANDLER_TEST_LIBS)
