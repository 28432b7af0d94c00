"""Show-and-tell photos: checked from their content, re-encoded, stripped of all metadata.

Pillow decides what a file is (never its name or the browser's claim); only a short list of
formats is opened; the decompression-bomb guard stays on and a pixel limit below it refuses
huge images before any pixel is decoded. What is kept is a fresh JPEG, at most 1280 px on its
longest side, upright (EXIF orientation applied) and with no EXIF, GPS, XMP or ICC data.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from server.domain.errors import InvalidInput

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo is fine; a 20000 x 20000 bomb is not
MAX_SIDE = 1280
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
JPEG_QUALITY = 82


def process_photo(data: bytes) -> bytes:
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("Photos can be at most 5 MB.", "photo_too_big")
    if not data:
        raise InvalidInput("The photo is empty.", "photo_empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(
                    f"That image is {image.width} x {image.height} pixels: too large. "
                    "Please send a normal photo.", "photo_too_many_pixels")
            # A JPEG can be decoded straight at a fraction of its size: far less work and memory.
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
            image.load()
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput("That image has too many pixels: too large. "
                           "Please send a normal photo.", "photo_too_many_pixels") from None
    except UnidentifiedImageError:
        raise InvalidInput("That file is not a photo we can use (JPEG, PNG, WebP or GIF).",
                           "photo_not_image") from None
    except (OSError, ValueError, SyntaxError):
        raise InvalidInput("That photo seems to be damaged. Try another one.",
                           "photo_damaged") from None
    image = ImageOps.exif_transpose(image)
    if image.mode == "1":
        image = image.convert("L")  # nothing to flatten: a quarter of the memory of RGBA
    elif image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A new image object carries no info dict: no EXIF, GPS, XMP, ICC or comments are written.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
