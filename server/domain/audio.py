"""Spoken answers: a short recording checked from its bytes, never from its name or claimed type.

Browsers' MediaRecorder writes WebM/Opus (Chromium, Firefox), Ogg/Opus (Firefox) or MP4/AAC
(Safari). The container is recognised by its magic bytes and walked far enough to know that it
holds audio only, in an allowed codec, and how long it lasts; anything else is refused. Nothing
is decoded or re-encoded (no ffmpeg): the bytes are kept as sent, served only to those who may
see the card, and played by the browser.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from server.domain.errors import InvalidInput

MAX_AUDIO_BYTES = 1536 * 1024  # 60 s of Opus at 32 kbit/s is ~240 KB; AAC at 128 kbit/s ~1 MB
MAX_RECORDING_SECONDS = 60  # what the page records
MAX_AUDIO_MS = (MAX_RECORDING_SECONDS + 5) * 1000  # slack for the moment "stop" takes
NOT_AUDIO = ("That file is not a voice recording we can use "
             "(WebM or Ogg with Opus, or MP4 with AAC).")
DAMAGED = "That recording seems to be damaged. Record it again."


@dataclass(frozen=True)
class AudioInfo:
    mime: str
    duration_ms: int


def check_audio(data: bytes) -> AudioInfo:
    """What the recording is and how long it lasts; InvalidInput (a plain reason) otherwise."""
    if len(data) > MAX_AUDIO_BYTES:
        raise InvalidInput("Voice answers can be at most 1.5 MB (about one minute).",
                           "audio_too_big")
    if not data:
        raise InvalidInput("The recording is empty.", "audio_empty")
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        mime, seconds = "audio/webm", _webm_seconds(data)
    elif data.startswith(b"OggS"):
        mime, seconds = "audio/ogg", _ogg_seconds(data)
    elif data[4:8] == b"ftyp":
        mime, seconds = "audio/mp4", _mp4_seconds(data)
    else:
        raise InvalidInput(NOT_AUDIO, "audio_not_audio")
    duration_ms = round(seconds * 1000)
    if duration_ms > MAX_AUDIO_MS:
        raise InvalidInput(f"Voice answers can be at most {MAX_RECORDING_SECONDS} seconds long.",
                           "audio_too_long", {"seconds": MAX_RECORDING_SECONDS})
    return AudioInfo(mime, duration_ms)


class _Damaged(Exception):
    pass


# ---- WebM (Matroska) -------------------------------------------------------------------------

EBML, DOC_TYPE = 0x1A45DFA3, 0x4282
SEGMENT, CLUSTER, TRACKS, TRACK_ENTRY, INFO, BLOCK_GROUP = (
    0x18538067, 0x1F43B675, 0x1654AE6B, 0xAE, 0x1549A966, 0xA0)
# Masters are entered (their children read in line), so known and unknown sizes work alike.
WEBM_MASTERS = {SEGMENT, CLUSTER, TRACKS, TRACK_ENTRY, INFO, BLOCK_GROUP}
TIMECODE_SCALE, DURATION, TRACK_TYPE, CODEC_ID, CLUSTER_TIME, SIMPLE_BLOCK, BLOCK = (
    0x2AD7B1, 0x4489, 0x83, 0x86, 0xE7, 0xA3, 0xA1)
UNKNOWN = -1


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at `pos`: (value, next position)."""
    if pos >= len(data):
        raise _Damaged
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise _Damaged
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1:pos + length]:
        value = (value << 8) | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        value = UNKNOWN  # all ones: "size unknown" (a live recording's segment and clusters)
    return value, pos + length


def _webm_seconds(data: bytes) -> float:
    try:
        return _webm_walk(data)
    except _Damaged:
        raise InvalidInput(DAMAGED, "audio_damaged") from None


def _webm_walk(data: bytes) -> float:
    pos, end = 0, len(data)
    scale = 1_000_000  # nanoseconds per tick, the default
    declared = 0.0
    last_tick = cluster = 0
    tracks: list[dict[int, object]] = []
    blocks = 0
    seen_header = False
    while pos < end:
        element, pos = _vint(data, pos, keep_marker=True)
        size, pos = _vint(data, pos, keep_marker=False)
        if not seen_header:
            if element != EBML or size == UNKNOWN or pos + size > end:
                raise InvalidInput(NOT_AUDIO, "audio_not_audio")
            doc_type = _ebml_child(data[pos:pos + size], DOC_TYPE)
            if doc_type not in (b"webm", b"matroska"):
                raise InvalidInput(NOT_AUDIO, "audio_not_audio")
            seen_header, pos = True, pos + size
            continue
        if element in WEBM_MASTERS:
            if element == TRACK_ENTRY:
                tracks.append({})
            continue
        if size == UNKNOWN or pos + size > end:
            raise _Damaged
        body = data[pos:pos + size]
        pos += size
        if element == TIMECODE_SCALE:
            scale = int.from_bytes(body, "big") or scale
        elif element == DURATION and size in (4, 8):
            declared = struct.unpack(">f" if size == 4 else ">d", body)[0]
        elif element in (TRACK_TYPE, CODEC_ID) and tracks:
            tracks[-1][element] = body
        elif element == CLUSTER_TIME:
            cluster = int.from_bytes(body, "big")
        elif element in (SIMPLE_BLOCK, BLOCK):
            _track, at = _vint(body, 0, keep_marker=False)
            if at + 3 > len(body):
                raise _Damaged
            relative = struct.unpack(">h", body[at:at + 2])[0]
            last_tick = max(last_tick, cluster + relative)
            blocks += 1
    if not tracks or any(t.get(TRACK_TYPE) != b"\x02" or t.get(CODEC_ID) != b"A_OPUS"
                         for t in tracks):
        raise InvalidInput(NOT_AUDIO, "audio_not_audio")  # video, or a codec we do not accept
    if not blocks:
        raise InvalidInput("The recording is empty.", "audio_empty")
    # Opus frames last 20 ms: the last block's start plus one frame.
    return max(declared, last_tick) * scale / 1e9 + 0.02


def _ebml_child(body: bytes, wanted: int) -> bytes | None:
    pos = 0
    while pos < len(body):
        element, pos = _vint(body, pos, keep_marker=True)
        size, pos = _vint(body, pos, keep_marker=False)
        if size == UNKNOWN or pos + size > len(body):
            raise _Damaged
        if element == wanted:
            return body[pos:pos + size]
        pos += size
    return None


# ---- Ogg -------------------------------------------------------------------------------------

def _ogg_seconds(data: bytes) -> float:
    """Every page in place, one logical stream, Opus: its last granule position is the end."""
    pos, serial, pre_skip, granule, page = 0, None, 0, 0, 0
    while pos < len(data):
        if data[pos:pos + 4] != b"OggS" or pos + 27 > len(data) or data[pos + 4] != 0:
            raise InvalidInput(DAMAGED, "audio_damaged")
        position, page_serial = struct.unpack_from("<qI", data, pos + 6)
        segments = data[pos + 26]
        table = data[pos + 27:pos + 27 + segments]
        body_at = pos + 27 + segments
        body_end = body_at + sum(table)
        if len(table) != segments or body_end > len(data):
            raise InvalidInput(DAMAGED, "audio_damaged")
        body = data[body_at:body_end]
        if serial is None:
            if not body.startswith(b"OpusHead") or len(body) < 19:
                raise InvalidInput(NOT_AUDIO, "audio_not_audio")
            serial, pre_skip = page_serial, struct.unpack_from("<H", body, 10)[0]
        elif page_serial != serial:
            # a second stream (video, or anything else)
            raise InvalidInput(NOT_AUDIO, "audio_not_audio")
        elif page == 1 and not body.startswith(b"OpusTags"):
            raise InvalidInput(DAMAGED, "audio_damaged")
        if position != -1:
            granule = max(granule, position)
        page += 1
        pos = body_end
    if page < 3 or granule <= pre_skip:
        raise InvalidInput("The recording is empty.", "audio_empty")
    return (granule - pre_skip) / 48_000  # Opus granules always count 48 kHz samples


# ---- MP4 -------------------------------------------------------------------------------------

MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf"}
AUDIO_ENTRIES = {b"mp4a", b"Opus"}


def _mp4_boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, body start, body end) of every box in data[start:end], containers entered."""
    found = []
    pos = start
    while pos < end:
        if pos + 8 > end:
            raise _Damaged
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise _Damaged
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise _Damaged
        found.append((kind, pos + header, pos + size))
        if kind in MP4_CONTAINERS:
            found.extend(_mp4_boxes(data, pos + header, pos + size))
        pos += size
    return found


def _mp4_seconds(data: bytes) -> float:
    try:
        return _mp4_walk(data)
    except (_Damaged, struct.error):
        raise InvalidInput(DAMAGED, "audio_damaged") from None


def _mp4_walk(data: bytes) -> float:
    boxes = _mp4_boxes(data, 0, len(data))
    kinds = [kind for kind, _, _ in boxes]
    if b"moov" not in kinds or b"mdat" not in kinds:
        raise InvalidInput(DAMAGED, "audio_damaged")
    handlers = [data[s + 8:s + 12] for kind, s, _ in boxes if kind == b"hdlr"
                and s + 12 <= len(data)]
    entries = [data[s + 12:s + 16] for kind, s, _ in boxes if kind == b"stsd"]
    traks = kinds.count(b"trak")
    if (not traks or len(handlers) < traks or any(h != b"soun" for h in handlers)
            or len(entries) != traks or any(e not in AUDIO_ENTRIES for e in entries)):
        raise InvalidInput(NOT_AUDIO, "audio_not_audio")
    seconds, timescale, default_duration = 0.0, 0, 0
    fragment_end = fragment_start = 0
    for kind, s, _e in boxes:
        if kind in (b"mvhd", b"mdhd"):
            if data[s] == 1:
                scale, length = struct.unpack_from(">IQ", data, s + 20)
            else:
                scale, length = struct.unpack_from(">II", data, s + 12)
            if kind == b"mdhd" and not timescale:
                timescale = scale
            if scale:
                seconds = max(seconds, length / scale)
        elif kind == b"trex":
            default_duration = struct.unpack_from(">I", data, s + 12)[0]
        elif kind == b"tfhd":
            flags = int.from_bytes(data[s + 1:s + 4], "big")
            at = s + 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
            if flags & 0x08:
                default_duration = struct.unpack_from(">I", data, at)[0]
        elif kind == b"tfdt":
            fragment_start = struct.unpack_from(">Q" if data[s] == 1 else ">I", data, s + 4)[0]
            fragment_end = max(fragment_end, fragment_start)
        elif kind == b"trun":
            flags = int.from_bytes(data[s + 1:s + 4], "big")
            count = struct.unpack_from(">I", data, s + 4)[0]
            at = s + 8 + (4 if flags & 0x01 else 0) + (4 if flags & 0x04 else 0)
            per_sample = 4 * bin(flags & 0xF00).count("1")
            if at + count * per_sample > _e:
                raise _Damaged
            if flags & 0x100:
                total = sum(struct.unpack_from(">I", data, at + i * per_sample)[0]
                            for i in range(count))
            else:
                total = count * default_duration
            fragment_start += total
            fragment_end = max(fragment_end, fragment_start)
    if timescale:
        seconds = max(seconds, fragment_end / timescale)
    if seconds <= 0:
        raise InvalidInput("The recording is empty.", "audio_empty")
    return seconds
