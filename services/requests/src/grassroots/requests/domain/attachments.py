"""Photos and documents attached to a request: type known by content, images re-encoded clean."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
# Larger than any phone photo, small enough that decoding one cannot exhaust memory.
MAX_PIXELS = 50_000_000
THUMBNAIL_SIZE = (320, 320)
_JPEG_QUALITY = 85


class Refused(ValueError):
    """The file is not an image or PDF we accept, or is damaged."""


@dataclass(frozen=True)
class Prepared:
    """A file as it will be stored: the cleaned bytes, their type and a thumbnail for images."""

    content_type: str
    data: bytes
    thumbnail: bytes | None = None
    width: int | None = None
    height: int | None = None


def sniff(data: bytes) -> str | None:
    """The type the first bytes show (JPEG, PNG, WebP or PDF); None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def prepare(data: bytes) -> Prepared:
    """Check the file by its content; images come back re-encoded without metadata (EXIF, GPS)."""
    kind = sniff(data)
    if kind is None:
        raise Refused("not a JPEG, PNG or WebP image nor a PDF document")
    if kind == PDF:
        if b"%%EOF" not in data[-2048:]:
            raise Refused("the PDF document is incomplete")
        return Prepared(PDF, data)
    return _clean_image(data)


def _clean_image(data: bytes) -> Prepared:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise Refused(f"the image has more than {MAX_PIXELS} pixels")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            # The camera's orientation is applied to the pixels, since the EXIF that said it goes.
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, Refused):
            raise
        raise Refused("the image cannot be read") from exc
    keeps_alpha = upright.mode in ("RGBA", "LA", "P", "PA") and sniff(data) == PNG
    if keeps_alpha:
        clean, content_type = upright.convert("RGBA"), PNG
    else:
        clean, content_type = upright.convert("RGB"), JPEG
    # A new image built from the pixels alone: nothing of the original's metadata travels.
    stripped = Image.new(clean.mode, clean.size)
    stripped.frombytes(clean.tobytes())
    out = io.BytesIO()
    if content_type == PNG:
        stripped.save(out, format="PNG", optimize=False)
    else:
        stripped.save(out, format="JPEG", quality=_JPEG_QUALITY, optimize=False)
    thumb = stripped.convert("RGB")
    thumb.thumbnail(THUMBNAIL_SIZE)
    small = io.BytesIO()
    thumb.save(small, format="JPEG", quality=80)
    return Prepared(content_type, out.getvalue(), small.getvalue(), clean.width, clean.height)
