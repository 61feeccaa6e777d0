/* snap.h: a shared, immutable snapshot that can be replaced while readers
 * hold the old one. Readers acquire a reference for the length of a
 * request; a swap installs a new object and the old one is freed when its
 * last reader releases it. Used for the config and the WAF rules. */
#ifndef PX_SNAP_H
#define PX_SNAP_H

struct px_snap;
struct px_snap_ref;

/* Holds obj (may be NULL), freed later with free_fn. NULL on ENOMEM (obj
 * then still belongs to the caller). The holder is freed with px_snap_free. */
struct px_snap *px_snap_new(void *obj, void (*free_fn)(void *))
	__attribute__((nonnull(2), warn_unused_result));
/* Frees the holder and the current object; no reader may hold a ref.
 * NULL is allowed. */
void px_snap_free(struct px_snap *s);
/* The current object, kept alive until px_snap_release(s, *ref); the
 * reader must not free it. */
void *px_snap_acquire(struct px_snap *s, struct px_snap_ref **ref) __attribute__((nonnull));
void px_snap_release(struct px_snap *s, struct px_snap_ref *ref) __attribute__((nonnull));
/* The current object without a reference: only for the owner thread that
 * also swaps, or for short peeks under the owner's own rules. */
void *px_snap_peek(struct px_snap *s) __attribute__((nonnull));
/* Installs obj, which the snapshot owns from then on; the old object is
 * freed when its last reader releases it. Returns 0, or -1 (obj then
 * still belongs to the caller). */
int px_snap_swap(struct px_snap *s, void *obj)
	__attribute__((nonnull(1), warn_unused_result));

#endif
