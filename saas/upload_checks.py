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

# A PDF is refused when any of these names appears in its syntax, its object streams or its text streams,
# after #xx escapes are decoded: scripts, actions that run on open or on events, launching programs, files
# riding inside, Flash/3D media and XML forms (which carry their own scripts).
ACTIVE_PDF_NAMES = frozenset({
    "JS", "JavaScript", "Launch", "EmbeddedFile", "EmbeddedFiles", "AA", "RichMedia", "RichMediaContent",
    "XFA", "SubmitForm", "ImportData", "GoToE", "Sound", "Movie",
})
# Markers of HTML or script anywhere in a "PDF": a polyglot that a browser would render as a web page.
# The long ones are looked for in every byte of the file (random compressed bytes match five or more given
# characters too rarely to matter); "<svg" only in the file's syntax and text streams, where it means HTML.
_HTML_MARKERS = (b"<html", b"<script", b"<!doctype", b"<body", b"<iframe", b"<object", b"<embed", b"javascript:")
_HTML_IN_TEXT = _HTML_MARKERS + (b"<svg",)
# A PDF name: a slash and regular characters (PDF 32000-1 §7.3.5; whitespace and delimiters end it).
# Every scan below is one regular-expression search in C: a 20 MB file is checked in well under a second.
_DELIMITERS = rb"\x00\t\n\x0c\r ()<>\[\]{}/%"
_PDF_NAME = re.compile(rb"/([^" + _DELIMITERS + rb"]+)")
_ACTIVE_NAME = re.compile(rb"/(" + b"|".join(sorted((n.encode() for n in ACTIVE_PDF_NAMES), key=len, reverse=True))
                          + rb")(?=[" + _DELIMITERS + rb"]|\Z)")
_ESCAPED_NAME = re.compile(rb"/([^" + _DELIMITERS + rb"]*?#[0-9A-Fa-f]{2}[^" + _DELIMITERS + rb"]*)")
_TEXT_BYTES = bytes([9, 10, 11, 12, 13]) + bytes(range(32, 127))
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
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
    # Pillow's limit is process-wide, so it is left at its default (shared by every tenant and by the
    # product's own image work); the configured limit is applied below from the header's size.
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

def _unescape(raw: bytes) -> str:
    return _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1")


def _names(data: bytes) -> set[str]:
    """Every PDF name in ``data`` with its #xx escapes decoded (for a small dictionary)."""
    return {_unescape(match.group(1)) for match in _PDF_NAME.finditer(data)}


def _active_name(data: bytes) -> str | None:
    """The first active name in ``data``, spelled plainly or with #xx escapes, or None."""
    plain = _ACTIVE_NAME.search(data)
    if plain:
        return plain.group(1).decode()
    for match in _ESCAPED_NAME.finditer(data):  # rare: only names with a '#' in them
        name = _unescape(match.group(1))
        if name in ACTIVE_PDF_NAMES:
            return name
    return None


def _is_texty(sample: bytes) -> bool:
    """True when ``sample`` reads like PDF syntax or script rather than image or font bytes."""
    if not sample:
        return False
    binary = len(sample.translate(None, _TEXT_BYTES))
    return binary * 10 < len(sample)


def _stream_spans(data: bytes):
    """(start of the ``stream`` keyword, start of the body, end of the body) of every stream, in order.
    A stream's body is skipped whole, so nothing inside it is taken for PDF syntax."""
    at = 0
    while (found := data.find(b"stream", at)) != -1:
        body = found + 6
        if data[found - 3:found] == b"end":
            at = body
            continue
        if data[body:body + 2] == b"\r\n":
            body += 2
        elif data[body:body + 1] in (b"\n", b"\r"):
            body += 1
        else:
            at = body
            continue
        end = data.find(b"endstream", body)
        end = len(data) if end == -1 else end
        yield found, body, end
        at = end + 9


def _has_html(data: bytes, markers) -> str | None:
    lowered = data.lower()
    return next((m.decode().strip("<:") for m in markers if m in lowered), None)


def _inflate(raw: bytes, budget: int) -> bytes | None:
    """The inflated stream, None when it is not zlib data; UploadRejected past the budget."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, budget)
    except zlib.error:
        return None
    if inflater.unconsumed_tail:  # more than the budget left: a bomb, or a file too big to check
        raise UploadRejected("PDF-filen er for kompleks til å kontrolleres og kan ikke lastes opp.")
    return out


def active_pdf_content(data: bytes) -> str | None:
    """What makes ``data`` an active PDF (a name such as ``JavaScript``, ``html``, or ``Encrypt`` when its
    objects are hidden), or None.

    Names are looked for in the file's syntax (everything outside stream bodies) and inside the streams
    that carry syntax or text: object streams (PDF 1.5 hides dictionaries, and so /JavaScript, in them)
    and any stream that inflates to text.  Image and font bytes are not read as syntax: a stray "/JS" in
    compressed pixels means nothing.  Inflating is bounded by MAX_INFLATED_BYTES in total."""
    found = _has_html(data, _HTML_MARKERS)
    if found:
        return found
    spans = []
    for count, span in enumerate(_stream_spans(data)):
        if count >= MAX_STREAMS:
            raise UploadRejected("PDF-filen er for kompleks til å kontrolleres og kan ikke lastes opp.")
        spans.append(span)
    pieces, previous = [], 0
    for keyword, _body, end in spans:
        pieces.append(data[previous:keyword])
        previous = end
    skeleton = b"\n".join(pieces + [data[previous:]])
    found = _active_name(skeleton) or _has_html(skeleton, _HTML_IN_TEXT)
    if found:
        return found
    encrypted = b"/Encrypt" in skeleton or any(_unescape(m.group(1)) == "Encrypt" for m in _ESCAPED_NAME.finditer(skeleton))
    budget, previous = MAX_INFLATED_BYTES, 0
    for keyword, body, end in spans:
        head = data[max(previous, keyword - 4096):keyword]
        previous = end
        dictionary = _names(head[head.rfind(b"obj") + 3:] if b"obj" in head else head)
        object_stream = "ObjStm" in dictionary or {"N", "First"} <= dictionary
        if object_stream and encrypted:
            return "Encrypt"  # its objects cannot be read here: refuse, not guess
        content = _inflate(data[body:end], budget)
        if content is None:
            if "Filter" in dictionary:  # encoded some other way (or broken): only object streams matter
                if object_stream:
                    return "ObjStm"
                continue
            content = data[body:end]  # no filter: the bytes are the content
        else:
            budget -= len(content)
        if object_stream or _is_texty(content[:4096]):
            found = _active_name(content) or _has_html(content, _HTML_IN_TEXT)
            if found:
                return found
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
