"""Metadata out of uploaded photos without decoding a single pixel.

A JPEG or PNG carries its metadata (EXIF with a GPS position and camera serials, XMP, comments, text
chunks, Photoshop/IPTC blocks) in segments or chunks beside the image data.  Copying only the image's own
segments keeps the picture bit for bit, costs one pass over the bytes and no memory beyond the file, so
a web worker never decodes an upload (decoding is what a decompression bomb attacks).  The structure is
checked on the way: a file that does not walk to its end marker is refused.

Only the standard library is used; callers turn ``BrokenImage`` into the product's message.
"""
from __future__ import annotations

import re
import struct
import zlib


class BrokenImage(ValueError):
    """The file is not a well-formed JPEG/PNG."""


# -- JPEG --------------------------------------------------------------------------------------------

_SOI, _EOI, _SOS, _COM = 0xD8, 0xD9, 0xDA, 0xFE
_SCAN_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
# Application segments the picture needs: JFIF (pixel density), an ICC colour profile, Adobe's colour
# transform flag (CMYK and YCCK JPEGs look wrong without it).  Every other APPn is metadata.
_KEPT_APP = ((0xE0, b"JFIF\x00"), (0xE2, b"ICC_PROFILE\x00"), (0xEE, b"Adobe"))


def _kept_app(marker: int, body: bytes) -> bool:
    return any(marker == m and body.startswith(prefix) for m, prefix in _KEPT_APP)


def orientation_exif(orientation: int) -> bytes:
    """An EXIF APP1 segment holding nothing but the orientation tag (so a rotated photo still shows upright)."""
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + b"\x00" * 4
    body = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def clean_jpeg(data: bytes, orientation: int | None = None) -> bytes:
    """The JPEG without APP1 (EXIF, XMP), APP13 (IPTC), other foreign APPn segments, comments or
    anything after its end; with a minimal EXIF orientation when ``orientation`` is not 1."""
    if not data.startswith(b"\xff\xd8"):
        raise BrokenImage("no SOI")
    out = [b"\xff\xd8"]
    extra = orientation_exif(orientation) if orientation and orientation != 1 else b""
    at, size, in_scan = 2, len(data), False
    while True:
        if in_scan:
            # Entropy-coded data: 0xFF is followed by a stuffed 0x00 or a restart marker, else a marker starts.
            start = at
            found = _SCAN_MARKER.search(data, at)
            if found is None:
                raise BrokenImage("no EOI")
            at = found.start()
            out.append(data[start:at])
            in_scan = False
        if at + 1 >= size or data[at] != 0xFF:
            raise BrokenImage("marker expected")
        while at + 1 < size and data[at + 1] == 0xFF:  # fill bytes
            at += 1
        marker = data[at + 1]
        if marker == _EOI:
            out.append(b"\xff\xd9")
            break
        if marker == _SOI or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            raise BrokenImage("unexpected marker")
        if at + 4 > size:
            raise BrokenImage("truncated")
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        end = at + 2 + length
        if length < 2 or end > size:
            raise BrokenImage("truncated segment")
        body = data[at + 4:end]
        if marker == _COM or (0xE0 <= marker <= 0xEF and not _kept_app(marker, body)):
            pass  # metadata: dropped
        else:
            if extra and not (marker == 0xE0 and body.startswith(b"JFIF\x00")):
                out.append(extra)  # after JFIF's APP0 (which must come first), before everything else
                extra = b""
            out.append(data[at:end])
        at = end
        if marker == _SOS:
            in_scan = True
    return b"".join(out)


# -- PNG ---------------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks that draw the picture (critical ones and the colour/transparency/density ancillaries).  Text
# (tEXt, zTXt, iTXt), eXIf, tIME, animation and private chunks are dropped.
_PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"sBIT", b"pHYs", b"bKGD"}


def clean_png(data: bytes) -> bytes:
    """The PNG with only the chunks in _PNG_KEPT; every chunk's CRC is checked."""
    if not data.startswith(_PNG_SIGNATURE):
        raise BrokenImage("no PNG signature")
    out, at, size, seen_data = [_PNG_SIGNATURE], len(_PNG_SIGNATURE), len(data), False
    first = True
    while True:
        if at + 12 > size:
            raise BrokenImage("truncated")
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        end = at + 12 + length
        if end > size:
            raise BrokenImage("truncated chunk")
        if struct.unpack(">I", data[end - 4:end])[0] != zlib.crc32(data[at + 4:end - 4]):
            raise BrokenImage("bad CRC")
        if first and kind != b"IHDR":
            raise BrokenImage("IHDR must come first")
        first = False
        if kind in _PNG_KEPT:
            out.append(data[at:end])
            seen_data = seen_data or kind == b"IDAT"
        at = end
        if kind == b"IEND":
            break
    if not seen_data:
        raise BrokenImage("no image data")
    return b"".join(out)


# -- dimensions from the header ----------------------------------------------------------------------

def dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) as a PNG's IHDR or a JPEG's frame header states them, or None when not found."""
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if not data.startswith(b"\xff\xd8"):
        return None
    at, size = 2, len(data)
    while at + 4 <= size and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:
            at += 1
            continue
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and at + 9 <= size:
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        if marker in (_SOS, _EOI) or length < 2:
            return None
        at += 2 + length
    return None
