"""Metadata leaves photos without decoding them: the picture stays bit for bit, the metadata is gone."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, PngImagePlugin

from saas.image_clean import BrokenImage, clean_jpeg, clean_png, dimensions


def photo(**save) -> bytes:
    image = Image.effect_noise((96, 64), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", **save)
    return out.getvalue()


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Kamerafabrikken"
    if orientation:
        exif[0x0112] = orientation
    exif.get_ifd(0x8825).update({1: "N", 2: (59.0, 39.0, 55.0), 3: "E", 4: (9.0, 39.0, 2.0)})
    return exif


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGBA").tobytes()


@pytest.mark.parametrize("progressive", [False, True])
def test_a_jpeg_loses_exif_xmp_and_comments_and_keeps_every_pixel(progressive):
    original = photo(exif=gps_exif(), comment=b"Hjemme hos Hemmelig Person", progressive=progressive,
                     xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">GPSLatitude</x:xmpmeta>')
    cleaned = clean_jpeg(original + b"<html><script>alert(1)</script></html>")  # a polyglot tail goes too
    assert pixels(cleaned) == pixels(original)
    for secret in (b"Exif", b"Kamerafabrikken", b"Hemmelig", b"GPSLatitude", b"<script"):
        assert secret not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert len(image.getexif()) == 0 and "comment" not in image.info and "xmp" not in image.info


def test_a_comment_between_the_scans_of_a_progressive_jpeg_goes_too():
    original = photo(progressive=True)
    second_scan = original.index(b"\xff\xda", original.index(b"\xff\xda") + 2)
    comment = b"\xff\xfe" + struct.pack(">H", 2 + 9) + b"Hemmelig!"
    tampered = original[:second_scan] + comment + original[second_scan:]
    cleaned = clean_jpeg(tampered)
    assert b"Hemmelig" not in cleaned and pixels(cleaned) == pixels(original)


def test_a_sideways_photo_keeps_only_its_orientation():
    cleaned = clean_jpeg(photo(exif=gps_exif(orientation=6)), orientation=6)
    with Image.open(io.BytesIO(cleaned)) as image:
        exif = image.getexif()
        assert dict(exif) == {0x0112: 6} and not exif.get_ifd(0x8825)
    assert b"Kamerafabrikken" not in cleaned


def test_a_png_keeps_transparency_and_palette_and_loses_text_and_exif():
    image = Image.new("P", (12, 8), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Hemmelig kommentar")
    info.add_itxt("Author", "Hemmelig Person", zip=True)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, transparency=0, exif=gps_exif())
    original = out.getvalue()
    cleaned = clean_png(original + b"trailing secrets")
    assert pixels(cleaned) == pixels(original)
    assert b"Hemmelig" not in cleaned and b"eXIf" not in cleaned and b"tEXt" not in cleaned and b"trailing" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as png:
        assert png.info.get("transparency") == 0 and "Comment" not in png.info


def test_broken_files_are_refused():
    good_png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(good_png, format="PNG")
    data = bytearray(good_png.getvalue())
    data[30] ^= 0xFF  # inside IHDR: the CRC no longer matches
    with pytest.raises(BrokenImage):
        clean_png(bytes(data))
    with pytest.raises(BrokenImage):
        clean_png(good_png.getvalue()[:40])
    with pytest.raises(BrokenImage):
        clean_jpeg(photo()[:200])  # no end marker
    with pytest.raises(BrokenImage):
        clean_jpeg(b"\xff\xd8\xff\xe0" + b"\x00" * 50)


def test_dimensions_come_from_the_header():
    png = io.BytesIO()
    Image.new("1", (321, 123)).save(png, format="PNG")
    assert dimensions(png.getvalue()) == (321, 123)
    assert dimensions(photo(exif=gps_exif(), progressive=True)) == (96, 64)
    assert dimensions(b"%PDF-1.4") is None
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 11_000, 11_000, 1, 0, 0, 0, 0)
    assert dimensions(header + struct.pack(">I", zlib.crc32(header[12:]))) == (11_000, 11_000)
