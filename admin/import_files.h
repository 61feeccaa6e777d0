/* admin/import_files.h: the files an imported archive carries (Slack's
 * __uploads/FILE_ID/NAME, Mattermost's attachments[].path), stored
 * through the file store like uploads and attached to their imported
 * message. Reading a zip is a stream, so the readers work in passes: the
 * first lists the archive's entry names (import_files_index), the message
 * pass says which entry each message wants (import_files_want), and a
 * last pass after every message is in reads only the wanted entries
 * (import_files_store). A file already mapped in import_map (kind
 * 'file') is left alone; the same bytes twice are one object of the
 * content-addressed store. Memory: the entry names and one small record
 * per attachment, never a file's bytes. */
#ifndef PX_ADMIN_IMPORT_FILES_H
#define PX_ADMIN_IMPORT_FILES_H

#include "admin/import_cmd.h"

#include <stddef.h>

struct archive;
struct archive_entry;

/* One attachment waiting for its bytes (strings owned). */
struct import_att {
	char *path;     /* entry name in the archive */
	char *msg_sid;  /* the message's source id (import_map kind 'message') */
	char *file_sid; /* this attachment's source id (import_map kind 'file') */
	char *name;     /* the file's name as the source gives it */
	int position;   /* among the message's files, from 0 */
};

struct import_files {
	char **entries; /* regular, safe entry names of the archive */
	size_t nentries, capentries;
	int sorted;
	struct import_att *atts;
	size_t natts, capatts;
};

/* NULL when the entry may be read, else why not: absolute names, "..",
 * links, devices, entries over 64 MiB. */
const char *import_entry_unsafe(struct archive_entry *e);

/* Opens the zip at path for streaming; NULL (reason on stderr). */
struct archive *import_archive_open(const char *path);

/* Remembers that the archive holds a readable entry name. */
void import_files_index(struct import_files *f, const char *name) __attribute__((nonnull));
/* Whether the archive holds entry path (after import_files_index). */
int import_files_has(struct import_files *f, const char *path) __attribute__((nonnull));
/* Asks for entry path to be stored as file_sid and attached to the
 * message msg_sid at position. 0, or -1 when out of memory. */
int import_files_want(struct import_files *f, const char *path, const char *msg_sid,
		      const char *file_sid, const char *name, int position)
	__attribute__((nonnull));

/* The last pass over the zip at archive (NULL: no archive, every wanted
 * file is skipped): each wanted entry streamed into the file store
 * (SHA-256, libmagic type, the upload type rules, files_max_size), a
 * files row made in the message's channel, owned by its author, created
 * when it was, and attached; counted in r (IK_FILE) and skipped with the
 * reason when refused (also every file when the store cannot be opened or,
 * run as root, its owner cannot be acted as). 0, or -1 when the archive
 * cannot be opened again. */
int import_files_store(struct admin *a, struct import_report *r, struct import_files *f,
		       const char *archive) __attribute__((nonnull(1, 2, 3)));

/* A view of f for a thread of its own: the same entry names (f's, sorted
 * here first, then only read), none of f's attachments; its own wanted
 * ones go to import_files_merge. f must outlive the view. */
void import_files_view(struct import_files *view, struct import_files *f) __attribute__((nonnull));
/* Moves view's attachments to f and frees the view (never f's names).
 * 0, or -1 when out of memory (the view's attachments are then lost). */
int import_files_merge(struct import_files *f, struct import_files *view) __attribute__((nonnull));

void import_files_free(struct import_files *f);

#endif
