"""What an upload must pass before anything is stored: its kind by magic bytes, its size, an image's pixel
count read from the header (before any pixel is decoded), and a PDF without active content.

Every refusal is an ``UploadRejected`` whose text is a Norwegian message for the person uploading.
Only the standard library and Pillow's header parsing are used here; ``saas.storage`` calls these with
the limits from the configuration.
"""
from __future__ import annotations

import io
import re
import warnings
import zipfile
import zlib

ALLOWED = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {"pdf": "pdf", "png": "png", "jpeg": "jpg", "docx": "docx", "xlsx": "xlsx"}
_NAME_EXT = {"pdf": {"pdf"}, "png": {"png"}, "jpeg": {"jpg", "jpeg"}, "docx": {"docx"}, "xlsx": {"xlsx"}}

# A PDF is refused when any of these names appears, in the file or in any of its (deflated) streams, after
# #xx escapes are decoded: scripts, actions that run on open or on events, launching programs, files
# riding inside, Flash/3D media and XML forms (which carry their own scripts).
ACTIVE_PDF_NAMES = frozenset({
    "JS", "JavaScript", "Launch", "EmbeddedFile", "EmbeddedFiles", "AA", "RichMedia", "RichMediaContent",
    "XFA", "SubmitForm", "ImportData", "GoToE", "Sound", "Movie",
})
# Markers of HTML or script anywhere in a "PDF": a polyglot that a browser would render as a web page.
_HTML_MARKERS = (b"<html", b"<script", b"<!doctype", b"<svg", b"<body", b"<iframe", b"<object", b"<embed",
                 b"javascript:")
# A PDF name: a slash and regular characters (PDF 32000-1 §7.3.5; whitespace and delimiters end it).
_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"(?<!end)stream\r?\n")
# Deflating hidden streams is bounded: a small bomb must not cost more than this much memory or work.
MAX_INFLATED_BYTES = 64 * 1024 * 1024
MAX_STREAMS = 10_000


class UploadRejected(ValueError):
    """The upload is refused; ``str(error)`` is a Norwegian message for the person uploading."""


def sniff(data: bytes) -> str | None:
    """The allowed kind of ``data`` by magic bytes, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return None


def validate(data: bytes, filename: str, max_bytes: int, max_pixels: int) -> str:
    """Return the kind of an acceptable upload or raise UploadRejected with the reason."""
    raw_name = filename or ""
    if "/" in raw_name or "\\" in raw_name or ".." in raw_name or "\x00" in raw_name:
        raise UploadRejected("Filnavnet inneholder ulovlige tegn (som ../ eller /).")
    if len(data) > max_bytes:
        raise UploadRejected(f"Filen er for stor ({len(data) / 1024 / 1024:.1f} MB). Største tillatte størrelse er {max_bytes // (1024 * 1024)} MB.")
    if not data:
        raise UploadRejected("Filen er tom.")
    kind = sniff(data)
    if kind is None:
        raise UploadRejected("Filtypen er ikke tillatt. Last opp PDF, PNG, JPEG, Word (docx) eller Excel (xlsx).")
    extension = raw_name.rsplit(".", 1)[-1].lower() if "." in raw_name else ""
    if extension not in _NAME_EXT[kind]:
        raise UploadRejected(f"Filnavnet (.{extension or '?'}) stemmer ikke med innholdet ({kind.upper()}). Gi filen riktig endelse.")
    if kind == "pdf":
        check_pdf(data)
    elif kind in ("png", "jpeg"):
        check_image_header(data, max_pixels)
    return kind


# -- images ------------------------------------------------------------------------------------------

def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.0f}" if pixels >= 10_000_000 else f"{pixels / 1_000_000:.1f}".replace(".", ",")


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", "\u00a0")


def _refuse_when_too_large(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise UploadRejected(
            f"Bildet er for stort ({_thousands(width)} × {_thousands(height)} piksler). Største tillatte størrelse er "
            f"{_megapixels(max_pixels)} megapiksler; lagre bildet i lavere oppløsning og prøv igjen.")


def check_image_header(data: bytes, max_pixels: int) -> tuple[int, int]:
    """The image's (width, height) from its header, or UploadRejected when it is unreadable or has more
    than ``max_pixels`` pixels.  No pixel is decoded here, so a small file that would expand to gigabytes
    costs only the parse of its header."""
    from PIL import Image

    from saas.image_clean import dimensions

    stated = dimensions(data)  # a few bytes of the header, before Pillow looks at anything
    if stated is not None:
        _refuse_when_too_large(*stated, max_pixels)
    # Pillow's own bomb guard (a warning past the limit, an error past twice it) for every other path.
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: the pixel count is judged below
            with Image.open(io.BytesIO(data)) as image:  # reads the header only
                width, height = image.size
    except Image.DecompressionBombError:
        raise UploadRejected(f"Bildet er for stort. Største tillatte størrelse er {_megapixels(max_pixels)} megapiksler.") from None
    except Exception as error:  # Pillow raises many kinds for a broken header; all mean "not an image"
        raise UploadRejected("Bildet kan ikke leses. Last opp en gyldig PNG- eller JPEG-fil.") from error
    if width <= 0 or height <= 0:
        raise UploadRejected("Bildet kan ikke leses. Last opp en gyldig PNG- eller JPEG-fil.")
    _refuse_when_too_large(width, height, max_pixels)
    return width, height


# -- PDFs --------------------------------------------------------------------------------------------

def _names(data: bytes) -> set[str]:
    """Every PDF name in ``data`` with its #xx escapes decoded."""
    found = set()
    for match in _PDF_NAME.finditer(data):
        raw = match.group(1)
        if b"#" in raw:
            raw = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
        found.add(raw.decode("latin-1"))
    return found


def _is_texty(sample: bytes) -> bool:
    """True when ``sample`` reads like PDF syntax or script rather than image or font bytes."""
    if not sample:
        return False
    binary = sum(1 for byte in sample if byte < 9 or 13 < byte < 32 or byte > 126)
    return binary * 10 < len(sample)


def _streams(data: bytes):
    """(names of the stream's dictionary, the stream's inflated bytes or None) for every stream.

    Object streams (PDF 1.5) hide dictionaries, and so /JavaScript, inside compressed data; inflating is
    bounded by MAX_INFLATED_BYTES in total so that a small zip bomb cannot cost much."""
    budget = MAX_INFLATED_BYTES
    for count, match in enumerate(_STREAM.finditer(data)):
        if count >= MAX_STREAMS or budget <= 0:
            raise UploadRejected("PDF-filen er for kompleks til å kontrolleres og kan ikke lastes opp.")
        head = data[max(0, match.start() - 4096):match.start()]
        dictionary = head[head.rfind(b"obj") + 3:] if b"obj" in head else head
        start = match.end()
        end = data.find(b"endstream", start)
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(data[start:end if end != -1 else len(data)], budget)
        except zlib.error:
            yield _names(dictionary), None
            continue
        if inflater.unconsumed_tail:  # more than the budget left: a bomb, or a file too big to check
            raise UploadRejected("PDF-filen er for kompleks til å kontrolleres og kan ikke lastes opp.")
        budget -= len(out)
        yield _names(dictionary), out


def active_pdf_content(data: bytes) -> str | None:
    """What makes ``data`` an active PDF (a name such as ``JavaScript``, or ``html``), or None."""
    lowered = data.lower()
    for marker in _HTML_MARKERS:
        if marker in lowered:
            return marker.decode().strip("<:")
    names = _names(data)
    hit = names & ACTIVE_PDF_NAMES
    if hit:
        return sorted(hit)[0]
    for dictionary, inflated in _streams(data):
        object_stream = "ObjStm" in dictionary or {"N", "First"} <= dictionary
        if inflated is None:
            if object_stream and ("Filter" in dictionary or "Encrypt" in names):
                # objects behind encryption or an encoding this check does not read: refuse, not guess
                return "Encrypt" if "Encrypt" in names else "ObjStm"
            continue
        # Images and fonts are binary; a stray "/JS" in their bytes means nothing.  Object streams and
        # anything that reads as text (scripts, XML forms, content) are checked.
        if object_stream or _is_texty(inflated[:4096]):
            hit = _names(inflated) & ACTIVE_PDF_NAMES
            if hit:
                return sorted(hit)[0]
            low = inflated.lower()
            if any(marker in low for marker in (b"<script", b"<html", b"javascript:")):
                return "html"
    return None


def check_pdf(data: bytes) -> None:
    """Raise UploadRejected when the PDF carries scripts, actions, embedded files or HTML, or hides its
    objects behind encryption so that this cannot be checked."""
    found = active_pdf_content(data)
    if found == "Encrypt":
        raise UploadRejected("PDF-filen er kryptert (passordbeskyttet) og kan ikke kontrolleres. Lagre den uten "
                             "beskyttelse (for eksempel med «Skriv ut til PDF») og last den opp på nytt.")
    if found is not None:
        raise UploadRejected("PDF-filen inneholder aktivt innhold (skript, handlinger, innebygde filer eller HTML) og kan ikke lastes opp.")
