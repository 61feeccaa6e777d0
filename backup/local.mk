# backup/: plexichat-backup, the cron-driven encrypted sharded backup.
BACKUP_SRC = \
	backup/px_bk_bincopy.c backup/px_bk_bincopy.h \
	backup/px_bk_base.c backup/px_bk_base.h \
	backup/px_bk_box.c backup/px_bk_box.h \
	backup/px_bk_cdc.c backup/px_bk_cdc.h \
	backup/px_bk_cli.c backup/px_bk_cli.h \
	backup/px_bk_cmd.c backup/px_bk_cmd.h backup/px_bk_cmd_wal.c \
	backup/px_bk_cmd_base.c backup/px_bk_cmd_pitr.c backup/px_bk_cmd_sched.c backup/px_bk_cmd_copy.c \
	backup/px_bk_crypto.c backup/px_bk_crypto.h \
	backup/px_bk_delta.c backup/px_bk_delta.h \
	backup/px_bk_dump.c backup/px_bk_dump.h \
	backup/px_bk_files.c backup/px_bk_files.h \
	backup/px_bk_keys.c backup/px_bk_keys.h \
	backup/px_bk_known.c backup/px_bk_known.h \
	backup/px_bk_lock.c backup/px_bk_lock.h \
	backup/px_bk_manifest.c backup/px_bk_manifest.h \
	backup/px_bk_pitr.c backup/px_bk_pitr.h \
	backup/px_bk_progress.c backup/px_bk_progress.h \
	backup/px_bk_proc.c backup/px_bk_proc.h \
	backup/px_bk_prune.c backup/px_bk_prune.h \
	backup/px_bk_psql.c backup/px_bk_psql.h \
	backup/px_bk_reader.c backup/px_bk_reader.h \
	backup/px_bk_repo.c backup/px_bk_repo.h \
	backup/px_bk_restore.c backup/px_bk_restore.h \
	backup/px_bk_status.c backup/px_bk_status.h \
	backup/px_bk_verify.c backup/px_bk_verify.h \
	backup/px_bk_wal.c backup/px_bk_wal.h \
	backup/px_bk_writer.c backup/px_bk_writer.h

noinst_LIBRARIES += libpxbackup.a
libpxbackup_a_SOURCES = $(BACKUP_SRC)

bin_PROGRAMS += plexichat-backup
plexichat_backup_SOURCES = backup/main.c
plexichat_backup_LDADD = libpxbackup.a libstorage.a $(CORE_LIBS)

BACKUP_TEST_LIBS = libpxbackup.a libstorage.a $(TEST_LIBS)

check_PROGRAMS += tests/unit/check_backup_cdc tests/unit/check_backup_crypto \
	tests/unit/check_backup_sigv4 tests/unit/check_backup_manifest \
	tests/unit/check_backup_bincopy tests/unit/check_backup_psql \
	tests/unit/check_backup_proc tests/unit/check_backup_s3 \
	tests/unit/check_backup_cli tests/unit/check_backup_delta
tests_unit_check_backup_manifest_SOURCES = tests/unit/check_backup_manifest.c \
	tests/unit/bk_fixture.c tests/unit/bk_fixture.h
tests_unit_check_backup_manifest_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_backup_manifest_LDADD = $(BACKUP_TEST_LIBS)
tests_unit_check_backup_bincopy_SOURCES = tests/unit/check_backup_bincopy.c
tests_unit_check_backup_bincopy_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_backup_bincopy_LDADD = $(BACKUP_TEST_LIBS)
tests_unit_check_backup_cdc_SOURCES = tests/unit/check_backup_cdc.c
tests_unit_check_backup_cdc_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_backup_cdc_LDADD = $(BACKUP_TEST_LIBS)
tests_unit_check_backup_crypto_SOURCES = tests/unit/check_backup_crypto.c \
	tests/unit/bk_fixture.c tests/unit/bk_fixture.h
tests_unit_check_backup_crypto_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_backup_crypto_LDADD = $(BACKUP_TEST_LIBS)
tests_unit_check_backup_sigv4_SOURCES = tests/unit/check_backup_sigv4.c
tests_unit_check_backup_sigv4_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_backup_sigv4_LDADD = $(BACKUP_TEST_LIBS)
tests_unit_check_backup_psql_SOURCES = tests/unit/check_backup_psql.c
tests_unit_check_backup_psql_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_backup_psql_LDADD = $(BACKUP_TEST_LIBS)
tests_unit_check_backup_proc_SOURCES = tests/unit/check_backup_proc.c
tests_unit_check_backup_proc_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_backup_proc_LDADD = $(BACKUP_TEST_LIBS)
tests_unit_check_backup_s3_SOURCES = tests/unit/check_backup_s3.c
tests_unit_check_backup_s3_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_backup_s3_LDADD = $(BACKUP_TEST_LIBS)
tests_unit_check_backup_cli_SOURCES = tests/unit/check_backup_cli.c \
	tests/unit/bk_fixture.c tests/unit/bk_fixture.h
tests_unit_check_backup_cli_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_backup_cli_LDADD = $(BACKUP_TEST_LIBS)
tests_unit_check_backup_delta_SOURCES = tests/unit/check_backup_delta.c
tests_unit_check_backup_delta_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_backup_delta_LDADD = $(BACKUP_TEST_LIBS)
