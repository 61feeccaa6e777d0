/* files_image.h: images through libvips. The process-wide set-up (limits
 * fit for a FastCGI worker: one vips thread per request, no operation
 * cache, only the PNG, JPEG, GIF and WebP loaders), the checks an image
 * upload passes before anything decodes it (structure, pixel limit:
 * files_scan.h), and the derivatives made from it at upload time: the
 * copy that is served (metadata left out), a 400 px thumbnail and a
 * 1280 px preview, all objects of the file store recorded in file_images
 * (model/images.h); avatars are square WebP objects made the same way. */
#ifndef PX_H_FILES_IMAGE_H
#define PX_H_FILES_IMAGE_H

#include <stdint.h>

#include "core/ctx.h"
#include "handlers/files_scan.h"
#include "handlers/files_util.h"
#include "model/images.h"
#include "storage/px_st_files.h"

#define PX_HF_THUMB_BOX 400
#define PX_HF_PREVIEW_BOX 1280

/* Starts libvips once per process (pthread_once; the first image operation
 * calls it, from whichever thread): VIPS_INIT,
 * no operation cache (every image is seen once), one vips worker thread
 * per operation, untrusted loaders blocked and every loader but PNG, JPEG,
 * GIF and WebP blocked. 0, or -1 with the reason logged. Safe to call
 * again (later calls do nothing). */
int px_hf_image_init(const char *argv0);

/* The image format of a type family (png, jpeg, gif, webp), or NONE. */
enum px_hf_img px_hf_image_format(const struct px_hf_family *fam);

/* The checks before decoding: walks the structure of the size bytes in
 * fd (FILES_POLYGLOT, FILES_IMAGE_INVALID) and applies
 * files_image_max_pixels to the header's dimensions
 * (FILES_IMAGE_TOO_LARGE, details width, height and max_pixels). *info
 * gets the header. */
enum px_err px_hf_image_check(struct px_ctx *ctx, int fd, uint64_t size, enum px_hf_img fmt,
			      struct px_hf_img_info *info) __attribute__((warn_unused_result));

/* Makes the derivatives of the checked image at path (format fmt, its
 * content's SHA-256 sha256) as objects of st, records them
 * (px_m_images_put) and fills *m. The pixel limit is applied again to
 * libvips' own reading of the header before any decoding.
 * FILES_IMAGE_INVALID when libvips cannot decode it (logged),
 * FILES_IMAGE_TOO_LARGE, STORAGE_*. Memory: shrink-on-load, one
 * sequential pass per derivative; nothing outlives the call. */
enum px_err px_hf_image_derive(struct px_ctx *ctx, const struct px_st_files *st,
			       const char *path, const char *sha256, enum px_hf_img fmt,
			       struct px_m_image *m) __attribute__((warn_unused_result));

/* A WebP of the image at path fitting in box x box (crop: exactly box x
 * box, cut around the centre; never enlarged otherwise), shrunk on load,
 * without metadata, as an object of st named hex; *w and *h (may be NULL)
 * get its size. rotate: apply the EXIF orientation. FILES_IMAGE_INVALID
 * when libvips cannot decode it, STORAGE_*. */
enum px_err px_hf_image_webp(const char *path, int box, int crop, int rotate,
			     const struct px_st_files *st, char *hex, int *w, int *h)
	__attribute__((warn_unused_result));

#endif
