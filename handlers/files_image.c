/* files_image.c: libvips glue and the derivatives of uploaded images.
 * Invariant: libvips never sees an image that has not passed
 * px_hf_image_check (structure and pixel limit, from the header), and it
 * reads every image with shrink-on-load in one sequential pass, so the
 * memory an image costs is bounded by its output, not its input. */
#include "handlers/files_image.h"
#include "core/cfg.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc = -1;
static const char *init_argv0 = "plexichat";

static void start(void)
{
	static const char *const loaders[] = {
		"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadNsgif",
		"VipsForeignLoadWebp",
	};
	size_t i;

	if (VIPS_INIT(init_argv0) != 0) {
		px_log_error("files", NULL, "libvips: %s", vips_error_buffer());
		vips_error_clear();
		return;
	}
	/* a worker thread's request is its own pipeline: no helper threads,
	 * and no cache (an image is seen once; cached operations only hold
	 * memory) */
	vips_concurrency_set(1);
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_cache_set_max_files(0);
	/* only the four formats the type table admits reach a decoder */
	vips_block_untrusted_set(TRUE);
	vips_operation_block_set("VipsForeignLoad", TRUE);
	for (i = 0; i < sizeof(loaders) / sizeof(loaders[0]); i++)
		vips_operation_block_set(loaders[i], FALSE);
	init_rc = 0;
}

int px_hf_image_init(const char *argv0)
{
	if (argv0)
		init_argv0 = argv0;
	pthread_once(&once, start);
	return init_rc;
}

enum px_hf_img px_hf_image_format(const struct px_hf_family *fam)
{
	if (!fam)
		return PX_HF_IMG_NONE;
	if (strcmp(fam->name, "png") == 0)
		return PX_HF_IMG_PNG;
	if (strcmp(fam->name, "jpeg") == 0)
		return PX_HF_IMG_JPEG;
	if (strcmp(fam->name, "gif") == 0)
		return PX_HF_IMG_GIF;
	if (strcmp(fam->name, "webp") == 0)
		return PX_HF_IMG_WEBP;
	return PX_HF_IMG_NONE;
}

static void too_large(struct px_ctx *ctx, uint64_t w, uint64_t h, uint64_t max)
{
	px_buf_reset(&ctx->details);
	px_buf_printf(&ctx->details, "{\"width\":%llu,\"height\":%llu,\"max_pixels\":%llu}",
		      (unsigned long long)w, (unsigned long long)h, (unsigned long long)max);
}

enum px_err px_hf_image_check(struct px_ctx *ctx, int fd, uint64_t size, enum px_hf_img fmt,
			      struct px_hf_img_info *info)
{
	uint64_t max = (uint64_t)px_cfg_int(ctx->cfg, "files_image_max_pixels");
	enum px_err e = px_hf_img_scan(fd, size, fmt, info);

	if (e == PX_OK && (e = px_hf_img_limit(info, max)) != PX_OK)
		too_large(ctx, info->width, info->height, info->whole ? max / 4 : max);
	return e;
}

/* Logs and clears libvips' error buffer. */
static enum px_err vips_failed(const char *what, const char *cid)
{
	px_log_warn("files", cid, "libvips %s: %s", what, vips_error_buffer());
	vips_error_clear();
	return PX_E_FILES_IMAGE_INVALID;
}

/* Writes len bytes of p to fd: 0, or -1 with errno set. */
static int write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t n = write(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Commits the WebP in p (len bytes) as an object of st named hex, without
 * its metadata chunks: bare() clears the image's fields, but libvips'
 * WebP writer still adds an EXIF chunk of its own (resolution), so the
 * bytes go through the same stripping as uploads (files_scan.h). */
static enum px_err store_webp(const struct px_st_files *st, const void *p, size_t len,
			      char *hex)
{
	char path[PX_ST_FILES_PATH];
	int in = memfd_create("px-webp", MFD_CLOEXEC), out = -1;
	enum px_err e = PX_E_STORAGE_FAILED;

	if (in < 0 || write_all(in, p, len) != 0)
		goto done;
	if ((out = px_st_files_temp(st, path)) < 0)
		goto done;
	e = px_hf_img_strip(in, len, PX_HF_IMG_WEBP, 0, out);
	if (e != PX_OK) {
		close(out);
		unlink(path);
		goto done;
	}
	e = px_st_files_commit_fd(st, out, path, hex, NULL);
done:
	if (in >= 0)
		close(in);
	return e;
}

/* A copy of im without any metadata: libvips 8.14's WebP writer ignores
 * its strip option and would carry EXIF (with GPS) into thumbnails. NULL
 * on failure. */
static VipsImage *bare(VipsImage *im)
{
	VipsImage *c = NULL;
	gchar **names;
	int i;

	if (vips_copy(im, &c, NULL) != 0)
		return NULL;
	names = vips_image_get_fields(c);
	for (i = 0; names && names[i]; i++)
		vips_image_remove(c, names[i]); /* built-in fields stay */
	g_strfreev(names);
	return c;
}

enum px_err px_hf_image_webp(const char *path, int box, int crop, int rotate,
			     const struct px_st_files *st, char *hex, int *w, int *h)
{
	VipsImage *im = NULL, *out = NULL;
	void *buf = NULL;
	size_t len = 0;
	enum px_err e;

	if (px_hf_image_init(NULL) != 0)
		return PX_E_SYSTEM_UNAVAILABLE;
	if (vips_thumbnail(path, &im, box, "height", box,
			   "size", crop ? VIPS_SIZE_BOTH : VIPS_SIZE_DOWN,
			   "crop", crop ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE,
			   "no_rotate", !rotate, "fail_on", VIPS_FAIL_ON_ERROR, NULL) != 0 ||
	    !(out = bare(im)) ||
	    /* effort 2 of 6, not libwebp's default 4: a derivative is made
	     * while the uploader waits, and at 400 or 1280 px the higher
	     * effort cost a busy image ~30% more time (bench/thumb-bench.sh)
	     * for files no smaller */
	    vips_webpsave_buffer(out, &buf, &len, "Q", 80, "effort", 2, "strip", TRUE, NULL) != 0) {
		e = vips_failed("thumbnail", NULL);
		goto out;
	}
	if (w)
		*w = vips_image_get_width(im);
	if (h)
		*h = vips_image_get_height(im);
	e = store_webp(st, buf, len, hex);
out:
	g_free(buf);
	if (out)
		g_object_unref(out);
	if (im)
		g_object_unref(im);
	vips_thread_shutdown(); /* this thread's vips buffers go now */
	return e;
}

/* libvips' own reading of the header (nothing decoded): the size as
 * displayed and the EXIF orientation. */
static enum px_err header(struct px_ctx *ctx, const char *path,
			  const struct px_hf_img_info *info, int *w, int *h, int *orient)
{
	uint64_t max = (uint64_t)px_cfg_int(ctx->cfg, "files_image_max_pixels");
	struct px_hf_img_info v = *info;
	VipsImage *im = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);

	if (!im)
		return vips_failed("header", ctx->req->correlation_id);
	v.width = (uint32_t)vips_image_get_width(im);
	v.height = (uint32_t)vips_image_get_height(im);
	*orient = vips_image_get_orientation(im);
	g_object_unref(im);
	if (px_hf_img_limit(&v, max) != PX_OK) {
		too_large(ctx, v.width, v.height, v.whole ? max / 4 : max);
		return PX_E_FILES_IMAGE_TOO_LARGE;
	}
	*w = (int)v.width;
	*h = (int)v.height;
	if (info->fmt == PX_HF_IMG_JPEG && *orient >= 5 && *orient <= 8) {
		*w = (int)v.height;
		*h = (int)v.width;
	}
	return PX_OK;
}

enum px_err px_hf_image_derive(struct px_ctx *ctx, const struct px_st_files *st,
			       const char *path, const char *sha256, enum px_hf_img fmt,
			       struct px_m_image *m)
{
	char tmp[PX_ST_FILES_PATH];
	struct px_hf_img_info info;
	struct stat sb;
	int in = -1, out = -1, orient = 1, jpeg = fmt == PX_HF_IMG_JPEG;
	enum px_err e;

	memset(m, 0, sizeof(*m));
	snprintf(m->sha256, sizeof(m->sha256), "%s", sha256);
	if (px_hf_image_init(NULL) != 0)
		return PX_E_SYSTEM_UNAVAILABLE;
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &sb) != 0) {
		e = PX_E_STORAGE_FAILED;
		goto out;
	}
	/* the caller checked the upload; a lazily derived old file is checked here */
	if ((e = px_hf_image_check(ctx, in, (uint64_t)sb.st_size, fmt, &info)) != PX_OK ||
	    (e = header(ctx, path, &info, &m->width, &m->height, &orient)) != PX_OK)
		goto out;
	/* the served copy: the same pixels, no metadata; a JPEG keeps its
	 * orientation (browsers turn it), other formats are served as stored
	 * and their thumbnails are not turned either */
	if ((out = px_st_files_temp(st, tmp)) < 0) {
		e = PX_E_STORAGE_FAILED;
		goto out;
	}
	e = px_hf_img_strip(in, (uint64_t)sb.st_size, fmt, jpeg ? orient : 0, out);
	if (e != PX_OK) {
		close(out);
		unlink(tmp);
		goto out;
	}
	e = px_st_files_commit_fd(st, out, tmp, m->clean, &m->clean_size);
	if (e != PX_OK ||
	    (e = px_hf_image_webp(path, PX_HF_THUMB_BOX, 0, jpeg, st, m->thumb, &m->thumb_width,
				  &m->thumb_height)) != PX_OK ||
	    (e = px_hf_image_webp(path, PX_HF_PREVIEW_BOX, 0, jpeg, st, m->preview,
				  &m->preview_width, &m->preview_height)) != PX_OK)
		goto out;
	e = px_m_images_put(ctx->db, m);
out:
	if (in >= 0)
		close(in);
	vips_thread_shutdown(); /* this thread's vips buffers go now */
	return e;
}
