"""The images a snapshot may hold: raster formats that browsers never run as active
content, recognised by their bytes (never by a name or a Content-Type an answer claims)."""

MAX_IMAGE_BYTES = 20 * 1024 * 1024
EXTENSIONS = (".jpg", ".png", ".gif", ".webp", ".avif")


def image_extension(data: bytes) -> str | None:
    """The file extension of a JPEG, PNG, GIF, WebP or AVIF image; None for anything else
    (SVG, HTML, text, other formats)."""
    if data.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return ".gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"):
        return ".avif"
    return None


def read_image(response) -> tuple[bytes, str]:
    """The body of a streamed HTTP answer that must be an image, and its extension: at most
    MAX_IMAGE_BYTES and a raster format, or ValueError saying what it is instead."""
    data = bytearray()
    for chunk in response.iter_content(1 << 16):
        data += chunk
        if len(data) > MAX_IMAGE_BYTES:
            raise ValueError(f"larger than {MAX_IMAGE_BYTES} bytes")
    extension = image_extension(data)
    if extension is None:
        raise ValueError(f"not a JPEG, PNG, GIF, WebP or AVIF image (got {bytes(data[:40])!r})")
    return bytes(data), extension
