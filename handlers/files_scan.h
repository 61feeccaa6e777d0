/* files_scan.h: the structure of uploaded images and ZIP archives, read
 * from a file descriptor without decoding anything. One walker per image
 * format (PNG, JPEG, GIF, WebP) follows the file from its signature to its
 * end marker: it reads the dimensions from the header (so a pixel limit
 * is applied before a decoder allocates anything), refuses bytes after the
 * end marker and structures that are not the format's (the GIF+JS and
 * PNG+ZIP polyglots), and can copy the file leaving out its metadata
 * (EXIF, GPS, XMP, comments, text chunks). The ZIP check reads only the
 * central directory. Memory: one 64 KiB buffer per call, whatever the
 * file's size. No state; thread-safe. */
#ifndef PX_H_FILES_SCAN_H
#define PX_H_FILES_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum px_hf_img { PX_HF_IMG_NONE, PX_HF_IMG_PNG, PX_HF_IMG_JPEG, PX_HF_IMG_GIF, PX_HF_IMG_WEBP };

struct px_hf_img_info {
	enum px_hf_img fmt;
	uint32_t width, height; /* the canvas, from the header */
	uint64_t pixels;        /* the most pixels one decoded frame needs */
	int whole;              /* decoders hold it whole in memory (progressive
				 * JPEG, interlaced PNG, GIF, WebP) */
	uint32_t frames;        /* images in the file (GIF, APNG, animated WebP) */
};

/* Walks image fd (size bytes, read with pread from offset 0) of format
 * fmt to its end marker and fills *info. PX_OK; FILES_POLYGLOT for bytes
 * after the end marker (other than zero padding) or a structure that is
 * not the format's; FILES_IMAGE_INVALID when the file ends before its end
 * marker or its header is unusable (zero or absurd dimensions);
 * STORAGE_FAILED when reading fails. Allocates nothing that outlives it. */
enum px_err px_hf_img_scan(int fd, uint64_t size, enum px_hf_img fmt,
			   struct px_hf_img_info *info) __attribute__((warn_unused_result));

/* Whether *info fits in max_pixels (a quarter of it for images decoded
 * whole): PX_OK or FILES_IMAGE_TOO_LARGE. */
enum px_err px_hf_img_limit(const struct px_hf_img_info *info, uint64_t max_pixels)
	__attribute__((warn_unused_result));

/* Writes to out (a regular file, at its current offset 0) a copy of the
 * scanned image fd of format fmt without its metadata, losslessly: the
 * image data and what rendering needs are kept (JPEG: JFIF, ICC profile
 * and Adobe segments; PNG: critical, colour, transparency, density and
 * APNG chunks; GIF: images, graphic control and loop extensions; WebP:
 * image, alpha, animation and ICC chunks), everything else is left out:
 * EXIF with GPS, XMP, IPTC, comments, text, time and private chunks. A
 * JPEG whose EXIF orientation (1..8; 0 or 1: none) turns it gets a
 * minimal EXIF block holding only that orientation. PX_OK,
 * FILES_POLYGLOT or FILES_IMAGE_INVALID as for px_hf_img_scan,
 * STORAGE_FAILED or STORAGE_FULL when writing fails. */
enum px_err px_hf_img_strip(int fd, uint64_t size, enum px_hf_img fmt, int orientation,
			    int out) __attribute__((warn_unused_result));

/* What px_hf_zip_check read of an archive. */
struct px_hf_zip {
	int found;         /* the file ends with a well-formed archive of at
			    * least one entry (whatever comes before it) */
	uint64_t start;    /* where its first entry is: 0 when nothing comes
			    * before the archive, UINT64_MAX when its offsets
			    * point past its directory */
	unsigned names;    /* PX_HF_ZIP_* for what its entry names show */
};
#define PX_HF_ZIP_OPC 1u  /* "[Content_Types].xml": an OOXML (OPC) package */
#define PX_HF_ZIP_WORD 2u /* entries under "word/" */
#define PX_HF_ZIP_XL 4u   /* entries under "xl/" */
#define PX_HF_ZIP_PPT 8u  /* entries under "ppt/" */

/* Reads the central directory of the ZIP archive that file fd (size
 * bytes) ends with, if any (ZIP64 too; data before the archive allowed,
 * as ZIP readers allow it), without unpacking anything, and refuses a
 * decompression bomb: more than max_unpacked bytes declared in all, more
 * than max_ratio declared bytes per byte of the file, more than 100,000
 * entries, or entries whose data overlap (one compressed stream counted
 * many times): FILES_ARCHIVE_BOMB. *z tells whether an archive was found
 * (nothing judged otherwise), where it starts and what its entry names
 * show. STORAGE_FAILED when reading fails. */
enum px_err px_hf_zip_check(int fd, uint64_t size, uint64_t max_ratio, uint64_t max_unpacked,
			    struct px_hf_zip *z) __attribute__((warn_unused_result));

/* The OOXML type (docx, xlsx or pptx) whose layout the names of a found
 * archive show: "[Content_Types].xml" and parts under exactly one of
 * word/, xl/ and ppt/; NULL otherwise. libmagic names OOXML only when
 * those entries come first, which Microsoft Office's files do and other
 * writers' (LibreOffice, openpyxl) often do not. Static storage. */
const char *px_hf_zip_ooxml(const struct px_hf_zip *z);

#endif
