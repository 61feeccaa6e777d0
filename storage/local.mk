# storage/: libstorage.a, the object stores both plexichat.fcgi (uploaded
# files) and plexichat-backup (shards, manifests) write to: the store
# interface, a local folder, S3 with SigV4 over libcurl, and the
# content-addressed file store built on them. Builds on core/ only.
noinst_LIBRARIES += libstorage.a
libstorage_a_SOURCES = \
	storage/px_st_store.c storage/px_st_store.h \
	storage/px_st_open.c storage/px_st_open.h \
	storage/px_st_local.c storage/px_st_local.h \
	storage/px_st_s3.c storage/px_st_s3.h \
	storage/px_st_sigv4.c storage/px_st_sigv4.h \
	storage/px_st_files.c storage/px_st_files.h
