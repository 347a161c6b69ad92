"""What a file is, decided from its bytes alone, and a safe name to keep it under.

The name a browser sends and the Content-Type header it declares are both chosen by the sender, so neither
decides anything here. The formats we accept are recognised by explicit checks (a PDF starts with
``%PDF-``; an Office Open XML document is a zip whose ``[Content_Types].xml`` declares its main part; a text
file decodes as UTF-8 or GB18030 without control characters); anything else is named by puremagic, a
pure-Python signature database, only so that the refusal can say what the file seems to be.

No Django here: the checks are plain functions over a binary stream, testable on their own."""

from __future__ import annotations

import codecs
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import puremagic

__all__ = ["FILE_TYPES", "Detection", "FileType", "clean_filename", "detect"]


@dataclass(frozen=True)
class FileType:
    """A format a use may accept. ``label`` is the format's own name (PDF, DOCX), the same in every language."""

    code: str
    media_type: str
    extensions: tuple[str, ...]
    label: str


FILE_TYPES: dict[str, FileType] = {
    t.code: t
    for t in (
        FileType("pdf", "application/pdf", (".pdf",), "PDF"),
        FileType("png", "image/png", (".png",), "PNG"),
        FileType("jpeg", "image/jpeg", (".jpg", ".jpeg"), "JPEG"),
        FileType(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
            "DOCX",
        ),
        FileType(
            "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), "XLSX"
        ),
        FileType("ofd", "application/ofd", (".ofd",), "OFD"),
        FileType("csv", "text/csv", (".csv",), "CSV"),
        FileType("txt", "text/plain", (".txt",), "TXT"),
    )
}


@dataclass(frozen=True)
class Detection:
    """The outcome of ``detect``: an accepted format (``file_type``), or else the ``family`` of what the
    content seems to be — executable, markup, macros, archive, damaged, other — with puremagic's ``guess``
    (a media type or extension) for "other". The caller words these for the user in the user's language."""

    file_type: FileType | None
    media_type: str
    family: str = ""
    guess: str = ""

    @property
    def code(self) -> str | None:
        return self.file_type.code if self.file_type else None


def _known(code: str) -> Detection:
    file_type = FILE_TYPES[code]
    return Detection(file_type, file_type.media_type, "accepted")


CHUNK = 64 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
ZIP_SIGNATURE = b"PK\x03\x04"
# The main part each Office Open XML format declares in [Content_Types].xml. Macro-enabled variants
# (docm, xlsm) declare other types and are therefore not recognised as DOCX/XLSX.
OOXML_MAIN_PARTS = {
    "docx": (b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "word/"),
    "xlsx": (b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xl/"),
}
# [Content_Types].xml is a few kilobytes; a larger one is not an Office document we want to inflate.
CONTENT_TYPES_MAX_BYTES = 256 * 1024
# Control characters a text file does not contain (tab, line feed, form feed and carriage return are fine).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        yield chunk


def _zip_type(stream: BinaryIO) -> Detection:
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                return Detection(None, "application/vnd.ms-office.vbaProject", "macros")
            if "OFD.xml" in names:
                return _known("ofd")
            info = archive.getinfo("[Content_Types].xml") if "[Content_Types].xml" in names else None
            if info is not None and info.file_size <= CONTENT_TYPES_MAX_BYTES:
                with archive.open(info) as part:
                    declared = part.read(CONTENT_TYPES_MAX_BYTES + 1)
                for code, (main_type, folder) in OOXML_MAIN_PARTS.items():
                    if main_type in declared and any(n.startswith(folder) for n in names):
                        return _known(code)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, OSError, EOFError):
        return Detection(None, "application/zip", "damaged")
    return Detection(None, "application/zip", "archive")


def _decodes(stream: BinaryIO, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        for chunk in _chunks(stream):
            if _CONTROL.search(decoder.decode(chunk)):
                return False
        return not _CONTROL.search(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        return False


def _text_type(stream: BinaryIO, head: bytes, name: str) -> Detection | None:
    if b"\x00" in head:
        return None
    if not (_decodes(stream, "utf-8-sig") or _decodes(stream, "gb18030")):
        return None
    # Markup is text too, but a browser would run it: it is named so that no use accepts it as plain text.
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"<"):
        return Detection(None, "text/html", "markup")
    # CSV and plain text cannot be told apart by content; the content says "text", the name picks which.
    return _known("csv" if name.lower().endswith(".csv") else "txt")


# Programs for Linux (ELF), Windows (MZ), macOS (Mach-O, universal) and scripts (#!), once they are known
# not to be text (a text file may well start with "MZ").
EXECUTABLE_SIGNATURES = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)


def _guess(head: bytes) -> Detection:
    if head.startswith(EXECUTABLE_SIGNATURES):
        return Detection(None, "application/octet-stream", "executable")
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        matches = []
    if matches:
        best = matches[0]
        guess = best.mime_type or best.extension.lstrip(".").upper()
        return Detection(None, best.mime_type or "application/octet-stream", "other", guess)
    return Detection(None, "application/octet-stream", "other")


def detect(stream: BinaryIO, name: str = "") -> Detection:
    """Recognise the content of a seekable binary stream. ``name`` only chooses between CSV and TXT once
    the content is known to be text."""
    stream.seek(0)
    head = stream.read(8192)
    if head.startswith(b"%PDF-"):
        return _known("pdf")
    if head.startswith(PNG_SIGNATURE):
        return _known("png")
    if head.startswith(JPEG_SIGNATURE):
        return _known("jpeg")
    if head.startswith(ZIP_SIGNATURE):
        return _zip_type(stream)
    # Programs hold NUL bytes near their start, so text never claims one; _guess then names them.
    return _text_type(stream, head, name) or _guess(head)


# Characters Windows, macOS or a shell would trip on, and the path separators of every system.
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
NAME_MAX_CHARS = 150


def clean_filename(name: str, file_type: FileType | None = None) -> str:
    """The name a file is offered under on download: no folders, no control or reserved characters, at
    most 150 characters, and an extension that matches the detected format (one is appended otherwise,
    so that the saved file opens with the right program)."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    stem, extension = os.path.splitext(name)
    if file_type is not None and extension.lower() not in file_type.extensions:
        stem, extension = name, file_type.extensions[0]
    stem = stem or "file"
    return stem[: NAME_MAX_CHARS - len(extension)] + extension.lower()
