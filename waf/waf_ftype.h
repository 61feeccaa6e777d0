/* waf_ftype.h: the kind of an uploaded file as the WAF sees it, from its
 * first bytes (a built-in sniffer confirmed by libmagic), its name's last
 * extension and its declared type. Kinds are formats as their signatures
 * tell them apart (png, zip, mp4...), not the finer types the files
 * handlers decide on with the whole file (mp4 covers m4a and mov; zip,
 * ooxml and odf are all ZIP archives). Pure functions of their input but
 * for libmagic's handle pool (waf_magic.h). */
#ifndef PX_WAF_FTYPE_H
#define PX_WAF_FTYPE_H

#include <stddef.h>

/* Upload kinds the policy can allow (etc/waf.rules upload_types names
 * them as px_waf_ftype_name does). */
enum px_waf_ftype {
	PX_WAF_F_NONE, PX_WAF_F_PNG, PX_WAF_F_JPEG, PX_WAF_F_GIF, PX_WAF_F_WEBP,
	PX_WAF_F_PDF, PX_WAF_F_TEXT, PX_WAF_F_ZIP, PX_WAF_F_OOXML, PX_WAF_F_ODF,
	PX_WAF_F_GZIP, PX_WAF_F_7Z, PX_WAF_F_MP3, PX_WAF_F_OGG, PX_WAF_F_WAV,
	PX_WAF_F_FLAC, PX_WAF_F_AAC, PX_WAF_F_MP4, PX_WAF_F_WEBM, PX_WAF_F_OTHER
};

/* What a kind's bytes are made of, for the code-in-upload checks. */
enum px_waf_fclass {
	PX_WAF_FC_NONE,    /* NONE, OTHER */
	PX_WAF_FC_TEXT,    /* judged by its type: libmagic names markup and scripts */
	PX_WAF_FC_BINARY,  /* images, PDF, audio, video: compressed data where
			    * code has no business */
	PX_WAF_FC_ARCHIVE, /* ZIP, OOXML, ODF, gzip, 7z: members are compressed
			    * or are files of their own, never served from it */
};

/* Kind of the bytes by their signature: ZIP archives told apart by their
 * entries (ODF by a stored first "mimetype" entry naming an OpenDocument
 * type, OOXML by an entry "[Content_Types].xml" among the headers in
 * view), an MP3, AAC or FLAC after a leading ID3v2 tag by what follows it
 * (MP3 when the tag reaches past the view), MP4 by an ftyp box of an
 * MP4, M4A or QuickTime brand, WebM by its EBML DocType; TEXT for clean
 * UTF-8 text, OTHER for anything else. */
enum px_waf_ftype px_waf_ftype_sniff(const char *b, size_t n);
/* Kind of the bytes by content: libmagic's MIME type (markup and
 * server-side scripts count as OTHER), which must agree with
 * px_waf_ftype_sniff(), else OTHER; an OOXML document may be a plain ZIP
 * to libmagic (it reads the first entries only), and bytes after an ID3
 * tag are what libmagic judges (nothing when the tag fills the view).
 * Without libmagic, the sniffer alone. */
enum px_waf_ftype px_waf_ftype_content(const char *b, size_t n);
/* Kind named by a file name's last extension (NONE without one, OTHER
 * for an extension outside the known kinds). */
enum px_waf_ftype px_waf_ftype_ext(const char *name, size_t n);
/* Kind of a declared type (parameters ignored): NONE when it says
 * nothing (empty, application/octet-stream), OTHER when it is none of
 * ours or malformed. Also names libmagic's types. */
enum px_waf_ftype px_waf_ftype_ctype(const char *ct, size_t n);
/* Whether a name or declared type of kind `named` fits bytes b[0..n) that
 * sniffed as `sniffed`: the same kind, or OOXML for a ZIP archive whose
 * directory is not in view (a large document whose "[Content_Types].xml"
 * comes last: the files handlers read the whole directory). */
int px_waf_ftype_agree(enum px_waf_ftype named, enum px_waf_ftype sniffed, const char *b,
		       size_t n);
/* Name of a kind as used in the rules file ("png", "text", "ooxml"...). */
const char *px_waf_ftype_name(enum px_waf_ftype t);
/* What the kind's bytes are made of. */
enum px_waf_fclass px_waf_ftype_class(enum px_waf_ftype t);
/* Length of the ID3v2 tag that b[0..n) starts with (header, frames and
 * footer, as its header declares; possibly more than n), or 0 when it
 * does not start with one. */
size_t px_waf_ftype_id3_len(const char *b, size_t n);

#endif
