"""Spoken answers are recognised from their bytes: WebM/Opus, Ogg/Opus, MP4/AAC, audio only,
at most 1.5 MB and about a minute; garbage, video and truncated files are refused."""

from __future__ import annotations

import struct

import pytest

from server.domain.audio import MAX_AUDIO_BYTES, check_audio
from server.domain.errors import InvalidInput

# ---- tiny container writers (the shapes browsers' MediaRecorder produces) --------------------


def ebml(element: int, body: bytes, unknown_size: bool = False) -> bytes:
    ident = element.to_bytes((element.bit_length() + 7) // 8, "big")
    if unknown_size:
        return ident + b"\x01\xff\xff\xff\xff\xff\xff\xff"
    return ident + (0x10000000 | len(body)).to_bytes(4, "big") + body


def webm(seconds: float, codec: bytes = b"A_OPUS", track_type: int = 2) -> bytes:
    """Like Chromium's: segment and clusters of unknown size, no declared duration."""
    header = ebml(0x1A45DFA3, ebml(0x4286, b"\x01") + ebml(0x4282, b"webm"))
    info = ebml(0x1549A966, ebml(0x2AD7B1, (1_000_000).to_bytes(3, "big")))
    tracks = ebml(0x1654AE6B, ebml(0xAE, ebml(0xD7, b"\x01") + ebml(0x83, bytes([track_type]))
                                   + ebml(0x86, codec)))
    clusters = b""
    for start in range(0, int(seconds * 1000), 1000):  # one cluster a second, 20 ms blocks
        blocks = b"".join(ebml(0xA3, b"\x81" + struct.pack(">h", t) + b"\x80" + b"\xfc" * 40)
                          for t in range(0, min(1000, int(seconds * 1000) - start), 20))
        clusters += ebml(0x1F43B675, b"", unknown_size=True) + ebml(0xE7, start.to_bytes(4, "big"))
        clusters += blocks
    return header + ebml(0x18538067, b"", unknown_size=True) + info + tracks + clusters


def ogg_page(body: bytes, granule: int, seq: int, serial: int = 7) -> bytes:
    segments = [255] * (len(body) // 255) + [len(body) % 255]
    return (b"OggS\x00\x00" + struct.pack("<qIII", granule, serial, seq, 0)
            + bytes([len(segments)]) + bytes(segments) + body)


def ogg(seconds: float) -> bytes:
    head = b"OpusHead\x01\x01" + struct.pack("<HIhB", 312, 48000, 0, 0)
    pages = [ogg_page(head, 0, 0), ogg_page(b"OpusTags" + b"\x00" * 8, 0, 1)]
    samples = int(seconds * 48000)
    for seq, end in enumerate(range(48000, samples + 48000, 48000), start=2):
        pages.append(ogg_page(b"\xfc" * 300, min(end, samples) + 312, seq))
    return b"".join(pages)


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def mp4(seconds: float, handler: bytes = b"soun", entry: bytes = b"mp4a",
        fragmented: bool = True) -> bytes:
    """Like Safari's: fragmented, zero durations in the headers, samples in moof/trun."""
    rate = 44100
    declared = 0 if fragmented else int(seconds * rate)
    mvhd = box(b"mvhd", b"\x00" * 12 + struct.pack(">II", 1000, declared // 44) + b"\x00" * 80)
    mdhd = box(b"mdhd", b"\x00" * 12 + struct.pack(">II", rate, declared) + b"\x00" * 4)
    hdlr = box(b"hdlr", b"\x00" * 8 + handler + b"\x00" * 13)
    stsd = box(b"stsd", b"\x00" * 4 + struct.pack(">I", 1) + box(entry, b"\x00" * 28))
    trak = box(b"trak", box(b"tkhd", b"\x00" * 84) + box(b"mdia", mdhd + hdlr + box(
        b"minf", box(b"stbl", stsd))))
    trex = box(b"trex", b"\x00" * 4 + struct.pack(">IIII", 1, 1, 1024, 0) + b"\x00" * 4)
    moov = box(b"moov", mvhd + trak + box(b"mvex", trex))
    fragments = b""
    if fragmented:
        frames = int(seconds * rate / 1024)
        for first in range(0, frames, 43):
            count = min(43, frames - first)
            tfhd = box(b"tfhd", b"\x00\x02\x00\x00" + struct.pack(">I", 1))
            tfdt = box(b"tfdt", b"\x01\x00\x00\x00" + struct.pack(">Q", first * 1024))
            trun = box(b"trun", b"\x00\x00\x02\x01" + struct.pack(">Ii", count, 0)
                       + struct.pack(">I", 20) * count)
            fragments += box(b"moof", box(b"traf", tfhd + tfdt + trun))
            fragments += box(b"mdat", b"\x21" * 20 * count)
    else:
        fragments = box(b"mdat", b"\x21" * 2000)
    return box(b"ftyp", b"iso5\x00\x00\x00\x01iso5mp41") + moov + fragments


# ---- what is accepted ------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "mime", "seconds"), [
    (webm(3), "audio/webm", 3), (webm(59.5), "audio/webm", 59.5),
    (ogg(4), "audio/ogg", 4), (ogg(60), "audio/ogg", 60),
    (mp4(5), "audio/mp4", 5), (mp4(7, fragmented=False), "audio/mp4", 7),
])
def test_browser_recordings_are_recognised_with_their_length(data: bytes, mime: str,
                                                             seconds: float) -> None:
    info = check_audio(data)
    assert info.mime == mime
    assert abs(info.duration_ms - seconds * 1000) <= 60, info.duration_ms


# ---- what is refused -------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty"),
    (b"hello, I am a text file, not a recording", "not a voice recording"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "not a voice recording"),  # a JPEG
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", "not a voice recording"),  # WAV is not on the list
    (webm(3, codec=b"V_VP8", track_type=1), "not a voice recording"),  # a video
    (webm(3, codec=b"A_MPEG/L3"), "not a voice recording"),
    (webm(3)[:-7], "damaged"),  # cut off in the middle of a block
    (b"\x1a\x45\xdf\xa3\x84\x42\x82\x81", "not a voice recording"),  # header cut off
    (webm(0), "empty"),
    (ogg(3)[:-50], "damaged"),
    (ogg(3).replace(b"OggS", b"OggX", 3).replace(b"OggX", b"OggS", 2), "damaged"),
    (ogg(3) + ogg_page(b"\x00" * 10, 99, 9, serial=8), "not a voice recording"),
    (mp4(3, handler=b"vide"), "not a voice recording"),
    (mp4(3, entry=b"avc1"), "not a voice recording"),
    (mp4(3)[:-30], "damaged"),
    (b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00", "damaged"),
    (webm(70), "at most 60 seconds"),
    (ogg(66), "at most 60 seconds"),
    (mp4(90), "at most 60 seconds"),
])
def test_garbage_video_broken_and_long_files_are_refused(data: bytes, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        check_audio(data)


def test_oversized_file_is_refused_before_reading_it() -> None:
    data = ogg(3)
    data += b"\x00" * (MAX_AUDIO_BYTES + 1 - len(data))
    with pytest.raises(InvalidInput, match=r"at most 1\.5 MB"):
        check_audio(data)
