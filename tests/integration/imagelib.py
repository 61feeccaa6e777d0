"""imagelib: small valid images made with the standard library, for the
file tests (PNG chunks by hand; no decoder needed)."""
import os
import struct
import zlib


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + \
        struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)


def png(w=3, h=2, text=b"", trailing=b"", noise=False, seed=b""):
    """An RGB PNG of w x h: a pattern shifted by seed, or random pixels
    with noise; text adds a tEXt chunk, trailing bytes after IEND. Different
    seeds give different files: where the pixels have room, the seed's
    length and bytes are their first bytes (two seeds can shift the pattern
    alike, and an image uploaded again reuses the first one's derivatives)."""
    shift = len(seed) + sum(seed)
    rows = [bytearray(os.urandom(w * 3) if noise else
                      bytes((x * 31 + y * 17 + shift) % 256 for x in range(w * 3)))
            for y in range(h)]
    if seed and not noise and len(seed) < w * 3:
        rows[0][0:len(seed) + 1] = bytes([len(seed)]) + seed
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    extra = png_chunk(b"tEXt", b"Comment\0" + text) if text else b""
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + extra + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"") + trailing)
