/* admin/import_files.c: an imported archive's files into the file store
 * and onto their messages (see import_files.h). Each wanted entry is read
 * once, however many messages share it; its rows are written under the
 * object's lock in one transaction, as uploads do (handlers/files_store.c),
 * so the store's clean-up never removes an object between its commit and
 * its row. */
#include "admin/import_files.h"

#include "core/cfg.h"
#include "handlers/files_util.h"
#include "model/files.h"
#include "model/imports.h"
#include "storage/px_st_files.h"
#include "waf/waf_magic.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ENTRY (64L * 1024 * 1024)
#define HEAD (64 * 1024) /* bytes libmagic sees */

const char *import_entry_unsafe(struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e), *p;
	mode_t type = archive_entry_filetype(e);

	if (!name || !*name)
		return "entry without a name";
	if (archive_entry_hardlink(e) || archive_entry_symlink(e) || type == AE_IFLNK)
		return "links are not followed";
	if (type != AE_IFREG && type != AE_IFDIR)
		return "not a regular file";
	if (name[0] == '/' || name[0] == '\\' || strchr(name, '\\') || strchr(name, ':'))
		return "absolute or unsafe path";
	for (p = name; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return "path leaves the archive (\"..\")";
	}
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > MAX_ENTRY)
		return "entry larger than 64 MiB";
	return NULL;
}

struct archive *import_archive_open(const char *path)
{
	struct archive *ar = archive_read_new();

	if (!ar)
		return NULL;
	archive_read_support_format_zip(ar);
	if (archive_read_open_filename(ar, path, 64 * 1024) != ARCHIVE_OK) {
		fprintf(stderr, "plexichat-admin: %s: %s\n", path, archive_error_string(ar));
		archive_read_free(ar);
		return NULL;
	}
	return ar;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void import_files_index(struct import_files *f, const char *name)
{
	char **t, *s;

	if (f->nentries == f->capentries) {
		size_t cap = f->capentries ? f->capentries * 2 : 64;

		if (!(t = realloc(f->entries, cap * sizeof(*t))))
			return;
		f->entries = t;
		f->capentries = cap;
	}
	if (!(s = strdup(name)))
		return;
	f->entries[f->nentries++] = s;
	f->sorted = 0;
}

int import_files_has(struct import_files *f, const char *path)
{
	if (!f->nentries)
		return 0;
	if (!f->sorted) {
		qsort(f->entries, f->nentries, sizeof(*f->entries), str_cmp);
		f->sorted = 1;
	}
	return bsearch(&path, f->entries, f->nentries, sizeof(*f->entries), str_cmp) != NULL;
}

static void att_free(struct import_att *t)
{
	free(t->path);
	free(t->msg_sid);
	free(t->file_sid);
	free(t->name);
}

int import_files_want(struct import_files *f, const char *path, const char *msg_sid,
		      const char *file_sid, const char *name, int position)
{
	struct import_att *t;

	if (f->natts == f->capatts) {
		size_t cap = f->capatts ? f->capatts * 2 : 64;

		if (!(t = realloc(f->atts, cap * sizeof(*t))))
			return -1;
		f->atts = t;
		f->capatts = cap;
	}
	t = &f->atts[f->natts];
	t->path = strdup(path);
	t->msg_sid = strdup(msg_sid);
	t->file_sid = strdup(file_sid);
	t->name = strdup(name);
	t->position = position;
	if (!t->path || !t->msg_sid || !t->file_sid || !t->name) {
		att_free(t);
		return -1;
	}
	f->natts++;
	return 0;
}

void import_files_view(struct import_files *view, struct import_files *f)
{
	(void)import_files_has(f, ""); /* sorted now: the view only reads the names */
	memset(view, 0, sizeof(*view));
	view->entries = f->entries;
	view->nentries = f->nentries;
	view->sorted = 1;
}

int import_files_merge(struct import_files *f, struct import_files *view)
{
	struct import_att *t;
	size_t cap = f->capatts;
	int rc = 0;

	while (cap < f->natts + view->natts)
		cap = cap ? cap * 2 : 64;
	if (cap != f->capatts) {
		if ((t = realloc(f->atts, cap * sizeof(*t)))) {
			f->atts = t;
			f->capatts = cap;
		}
	}
	if (f->capatts >= f->natts + view->natts) {
		if (view->natts)
			memcpy(f->atts + f->natts, view->atts, view->natts * sizeof(*t));
		f->natts += view->natts;
		view->natts = 0;
	} else {
		rc = -1;
	}
	view->entries = NULL; /* f's */
	view->nentries = 0;
	import_files_free(view);
	return rc;
}

void import_files_free(struct import_files *f)
{
	size_t i;

	for (i = 0; i < f->nentries; i++)
		free(f->entries[i]);
	for (i = 0; i < f->natts; i++)
		att_free(&f->atts[i]);
	free(f->entries);
	free(f->atts);
	memset(f, 0, sizeof(*f));
}

static int att_cmp(const void *a, const void *b)
{
	return strcmp(((const struct import_att *)a)->path, ((const struct import_att *)b)->path);
}

/* One entry's bytes in a temporary file of the store. */
struct blob {
	char tmp[PX_ST_FILES_PATH];
	char hex[65];
	char mime[128];
	long long size;
};

/* Streams the current entry into a temporary file (hashing it, libmagic
 * on its head). 0, or -1 with *why (the temporary file is gone then). */
static int blob_read(struct archive *ar, const struct px_st_files *st, long long max,
		     struct blob *b, const char **why)
{
	static const char hexd[] = "0123456789abcdef";
	unsigned char h[EVP_MAX_MD_SIZE], chunk[65536];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct px_buf head = PX_BUF_INIT;
	unsigned int hl = 0, i;
	la_ssize_t got;
	int fd, rc = -1;

	b->size = 0;
	*why = "cannot write a temporary file of the file store";
	fd = px_st_files_temp(st, b->tmp);
	if (fd < 0 || !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	while ((got = archive_read_data(ar, chunk, sizeof(chunk))) > 0) {
		b->size += got;
		if (b->size > max) {
			*why = "larger than files_max_size";
			goto out;
		}
		if (head.len < HEAD)
			px_buf_append(&head, chunk, HEAD - head.len < (size_t)got
					    ? HEAD - head.len : (size_t)got);
		if (EVP_DigestUpdate(md, chunk, (size_t)got) != 1 ||
		    write(fd, chunk, (size_t)got) != got) {
			*why = errno == ENOSPC ? "file store full" : "cannot write to the file store";
			goto out;
		}
	}
	if (got < 0) {
		*why = "damaged entry";
		goto out;
	}
	if (b->size == 0) {
		*why = "empty file";
		goto out;
	}
	if (fsync(fd) != 0 || EVP_DigestFinal_ex(md, h, &hl) != 1 || hl != 32)
		goto out;
	for (i = 0; i < 32; i++) {
		b->hex[2 * i] = hexd[h[i] >> 4];
		b->hex[2 * i + 1] = hexd[h[i] & 15];
	}
	b->hex[64] = '\0';
	if (px_waf_magic_mime(head.data ? head.data : "", head.len, b->mime, sizeof(b->mime)) != 0)
		snprintf(b->mime, sizeof(b->mime), "application/octet-stream");
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && b->tmp[0])
		unlink(b->tmp);
	EVP_MD_CTX_free(md);
	px_buf_free(&head);
	return rc;
}

struct commit_args {
	struct admin *a;
	struct import_report *r;
	const struct px_st_files *st;
	struct blob *b;
	struct import_att *atts; /* those of one entry */
	size_t n;
	long made;               /* files made, counted after commit */
	struct px_buf *why;
};

/* One attachment's row: its name checked as an upload's is. */
static enum px_err one_row(struct px_db *db, struct commit_args *c, struct import_att *t)
{
	const struct px_hf_family *fam = NULL;
	struct px_buf name = PX_BUF_INIT;
	struct px_m_import_file n;
	enum px_err e = PX_OK;
	int rc;

	if (px_hf_name_normalise(t->name, strlen(t->name), &name) != PX_OK ||
	    px_hf_type_check(c->b->mime, name.data, NULL, &fam) != PX_OK) {
		px_buf_printf(c->why, "%s%s\t%s", c->why->len ? "\n" : "", t->file_sid,
			      name.data ? "type not allowed for uploads (or a name of another type)"
					: "file name not allowed");
		goto out;
	}
	memset(&n, 0, sizeof(n));
	n.source = c->r->source;
	n.sid = t->file_sid;
	n.msg_sid = t->msg_sid;
	n.name = name.data;
	n.detected = c->b->mime;
	n.size = c->b->size;
	n.sha256 = c->b->hex;
	n.position = t->position;
	rc = px_m_import_file(db, &n);
	if (rc < 0)
		e = PX_E_SYSTEM_INTERNAL;
	else if (rc == 0)
		px_buf_printf(c->why, "%s%s\tits message was not imported",
			      c->why->len ? "\n" : "", t->file_sid);
	else
		c->made++;
out:
	px_buf_free(&name);
	return e;
}

/* Under the object's lock: the bytes into the store, then the rows. */
static enum px_err commit_tx(struct px_db *db, void *arg)
{
	struct commit_args *c = arg;
	int existed = 0;
	enum px_err e;
	size_t i;

	c->made = 0;
	px_buf_reset(c->why);
	if ((e = px_m_files_object_lock(db, c->b->hex, 0, NULL)) != PX_OK)
		return e;
	e = px_st_files_commit(c->st, c->b->tmp, c->b->hex, &existed);
	c->b->tmp[0] = '\0'; /* renamed or removed */
	if (e != PX_OK)
		return e;
	for (i = 0; i < c->n && e == PX_OK; i++)
		e = one_row(db, c, &c->atts[i]);
	if (e != PX_OK && !existed && px_st_files_remove(c->st, c->b->hex, NULL) != PX_OK)
		fprintf(stderr, "plexichat-admin: object %s left without a row"
			" (files cleanup removes it)\n", c->b->hex);
	return e;
}

/* Lists each "file_sid\treason" line of why as a skip. */
static void skip_lines(struct import_report *r, struct px_buf *why)
{
	char *line = why->data, *tab, *nl;

	while (line && *line) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if ((tab = strchr(line, '\t'))) {
			*tab = '\0';
			import_skip(r, IK_FILE, line, tab + 1);
		}
		line = nl ? nl + 1 : NULL;
	}
}

/* Skips atts[0..n) with reason. */
static void skip_all(struct import_report *r, struct import_att *atts, size_t n,
		     const char *reason)
{
	size_t i;

	for (i = 0; i < n; i++)
		import_skip(r, IK_FILE, atts[i].file_sid, reason);
}

/* The wanted attachments of the entry path: [*first, *first + n). */
static size_t wanted(struct import_files *f, const char *path, size_t *first)
{
	struct import_att key, *hit;
	size_t i, j;

	memset(&key, 0, sizeof(key));
	key.path = (char *)path;
	hit = bsearch(&key, f->atts, f->natts, sizeof(*f->atts), att_cmp);
	if (!hit)
		return 0;
	i = j = (size_t)(hit - f->atts);
	while (i > 0 && strcmp(f->atts[i - 1].path, path) == 0)
		i--;
	while (j + 1 < f->natts && strcmp(f->atts[j + 1].path, path) == 0)
		j++;
	*first = i;
	return j - i + 1;
}

/* Drops the attachments already mapped (a second run), counting them. */
static void drop_existing(struct admin *a, struct import_report *r, struct import_files *f)
{
	size_t i, k = 0;
	long long id;

	for (i = 0; i < f->natts; i++) {
		if (px_m_import_lookup(a->db, r->source, "file", f->atts[i].file_sid, &id) == 1) {
			r->existing[IK_FILE]++;
			att_free(&f->atts[i]);
			continue;
		}
		f->atts[k++] = f->atts[i];
	}
	f->natts = k;
}

static void store_entry(struct admin *a, struct import_report *r, struct archive *ar,
			const struct px_st_files *st, struct import_att *atts, size_t n)
{
	struct px_buf why = PX_BUF_INIT;
	struct commit_args c;
	struct blob b;
	const char *bad = NULL;

	memset(&b, 0, sizeof(b));
	if (blob_read(ar, st, px_cfg_int(a->cfg, "files_max_size"), &b, &bad) != 0) {
		skip_all(r, atts, n, bad);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.r = r;
	c.st = st;
	c.b = &b;
	c.atts = atts;
	c.n = n;
	c.why = &why;
	if (px_db_tx(a->db, commit_tx, &c) != PX_OK) {
		if (b.tmp[0])
			unlink(b.tmp);
		skip_all(r, atts, n, "database or file store error");
	} else {
		r->imported[IK_FILE] += c.made;
		skip_lines(r, &why);
	}
	px_buf_free(&why);
}

/* Run as root, the store's folders and objects would be root's and the
 * service could not read them: while storing, act as the owner of the
 * store's folder (files_dir, else data_dir: the service account). The
 * saved ids are restored by as_self. 0, or -1 when that fails. */
static int as_store_owner(const struct admin *a, uid_t *uid, gid_t *gid)
{
	const char *dir = px_cfg_str(a->cfg, "files_dir");
	struct stat st;

	*uid = geteuid();
	*gid = getegid();
	if (*uid != 0)
		return 0;
	if ((!*dir || stat(dir, &st) != 0) && stat(px_cfg_str(a->cfg, "data_dir"), &st) != 0)
		return 0;
	if (st.st_uid == 0)
		return 0;
	if (setegid(st.st_gid) != 0 || seteuid(st.st_uid) != 0) {
		fprintf(stderr, "plexichat-admin: cannot act as the owner (uid %u) of the file"
			" store: %s\n", (unsigned)st.st_uid, strerror(errno));
		if (setegid(*gid) != 0)
			return -1;
		return -1;
	}
	return 0;
}

static void as_self(uid_t uid, gid_t gid)
{
	if (seteuid(uid) != 0 || setegid(gid) != 0)
		fprintf(stderr, "plexichat-admin: cannot return to uid %u\n", (unsigned)uid);
}

int import_files_store(struct admin *a, struct import_report *r, struct import_files *f,
		       const char *archive)
{
	struct px_st_files st;
	struct px_buf err = PX_BUF_INIT;
	struct archive *ar = NULL;
	struct archive_entry *e;
	size_t first = 0, n, i;
	uid_t uid;
	gid_t gid;
	int rc = -1, h = ARCHIVE_OK;

	drop_existing(a, r, f);
	if (!f->natts)
		return 0;
	if (!archive) {
		skip_all(r, f->atts, f->natts, "not in the archive");
		return 0;
	}
	qsort(f->atts, f->natts, sizeof(*f->atts), att_cmp);
	memset(&st, 0, sizeof(st));
	/* opened as who runs the command, who may read it */
	if (!(ar = import_archive_open(archive)))
		return -1;
	if (as_store_owner(a, &uid, &gid) != 0) {
		archive_read_free(ar);
		skip_all(r, f->atts, f->natts, "cannot act as the owner of the file store");
		return 0;
	}
	if (px_st_files_open_config(a->cfg, &st, &err) != 0) {
		fprintf(stderr, "plexichat-admin: file store: %s\n", err.data ? err.data : "");
		skip_all(r, f->atts, f->natts, "the file store cannot be opened");
		rc = 0;
		goto out;
	}
	while ((h = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
		if (import_entry_unsafe(e) || archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (!(n = wanted(f, archive_entry_pathname(e), &first)) ||
		    f->atts[first].position < 0) /* an entry name seen before */
			continue;
		store_entry(a, r, ar, &st, &f->atts[first], n);
		for (i = first; i < first + n; i++)
			f->atts[i].position = -1; /* done */
	}
	for (i = 0; i < f->natts; i++)
		if (f->atts[i].position >= 0)
			import_skip(r, IK_FILE, f->atts[i].file_sid, h == ARCHIVE_EOF
				    ? "not in the archive" : "archive damaged before the file");
	rc = 0;
out:
	archive_read_free(ar);
	px_st_files_close(&st);
	as_self(uid, gid);
	px_buf_free(&err);
	return rc;
}
