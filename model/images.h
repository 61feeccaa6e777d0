/* model/images.h: the SQL of what is derived from uploaded images
 * (file_images: the served copy without metadata, thumbnail, preview) and
 * of avatars (user_avatars), sql/106_images.sql. Rows only; the bytes are
 * objects of the file store (storage/px_st_files.h). */
#ifndef PX_M_IMAGES_H
#define PX_M_IMAGES_H

#include "core/db.h"
#include "core/err.h"

/* The derivatives of one original image (by its SHA-256). */
struct px_m_image {
	char sha256[65];
	int width, height;              /* the original, as displayed */
	char clean[65];                 /* served as the file's content */
	long long clean_size;
	char thumb[65];
	int thumb_width, thumb_height;
	char preview[65];
	int preview_width, preview_height;
};

/* Reads the derivatives of original sha256 into *m. VALIDATION_NOT_FOUND
 * when none were made yet. */
enum px_err px_m_images_get(struct px_db *db, const char *sha256, struct px_m_image *m)
	__attribute__((warn_unused_result));

/* Records (or replaces) the derivatives of m->sha256, and sets width and
 * height on the files rows of that content that have none yet. */
enum px_err px_m_images_put(struct px_db *db, const struct px_m_image *m)
	__attribute__((warn_unused_result));

/* A user's avatar objects: large (256 px) and small (64 px). */
struct px_m_avatar {
	char large[65], small[65];
	long long mtime;                /* updated_at, Unix seconds */
};

/* Reads user's avatar. VALIDATION_NOT_FOUND when the user has none. */
enum px_err px_m_avatars_get(struct px_db *db, long long user, struct px_m_avatar *a)
	__attribute__((warn_unused_result));
/* Sets (replaces) user's avatar. */
enum px_err px_m_avatars_set(struct px_db *db, long long user, const char *large,
			     const char *small) __attribute__((warn_unused_result));
/* Removes user's avatar; VALIDATION_NOT_FOUND when there was none. */
enum px_err px_m_avatars_delete(struct px_db *db, long long user)
	__attribute__((warn_unused_result));

#endif
