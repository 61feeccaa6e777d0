# storage/: libstorage.a, the object stores both plexichat.fcgi (uploaded
# files) and plexichat-backup (shards, manifests) write to: the store
# interface, a local folder, S3 with SigV4 over libcurl, and the
# content-addressed file store built on them. Builds on core/ only.
noinst_LIBRARIES += libstorage.a
libstorage_a_SOURCES = \
	storage/px_st_store.c storage/px_st_store.h \
	storage/px_st_open.c storage/px_st_open.h \
	storage/px_st_local.c storage/px_st_local.h \
	storage/px_st_s3.c storage/px_st_s3.h storage/px_st_s3_int.h storage/px_st_s3_file.c \
	storage/px_st_sigv4.c storage/px_st_sigv4.h \
	storage/px_st_azure.c storage/px_st_azure.h storage/px_st_azure_int.h \
	storage/px_st_azure_file.c \
	storage/px_st_files.c storage/px_st_files.h

check_PROGRAMS += tests/unit/check_storage_files
tests_unit_check_storage_files_SOURCES = tests/unit/check_storage_files.c
tests_unit_check_storage_files_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_storage_files_LDADD = libstorage.a $(TEST_LIBS)
