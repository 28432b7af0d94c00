"""End of term: everything a class holds, for the teacher to keep (journey 8)."""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Any

from server.domain.classes import Identity, require_class, require_teacher
from server.domain.records import CardRecord, HostCard, ReplyRecord
from server.domain.spreadsheet import csv_text, iso_time
from server.store.redis_store import RedisStore

CARD_COLUMNS = ("round_id", "prompt", "card_id", "student_id", "student", "visibility",
                "status", "spotlight_ok", "starred", "flagged", "text", "photo", "audio",
                "reactions", "replies", "created_at")


def export_class(store: RedisStore, identity: Identity) -> dict[str, Any]:
    """The whole class as JSON-ready data: nothing held about it is left out."""
    require_teacher(identity)
    class_id = identity.class_id
    record = require_class(store, class_id)
    rounds_out = []
    for round_id in store.list_round_ids(class_id):
        record_round = store.get_round(class_id, round_id)
        if record_round is None:
            continue  # expired under the retention rule
        cards = store.list_cards(class_id, round_id)
        counts = store.reaction_counts(class_id, round_id)
        threads = store.replies(class_id, round_id, [c["id"] for c in cards])
        rounds_out.append({
            **{k: v for k, v in record_round.items()},
            "answered": store.answered(class_id, round_id),
            "cards": [{**{k: v for k, v in c.items() if k != "client_id"},
                       "reactions": counts.get(c["id"], {}),
                       "replies": threads.get(c["id"], []),
                       **_audio_part(store, class_id, c)} for c in cards],
        })
    students = [{k: v for k, v in s.items() if k not in ("seat_hash", "norm", "rejoin_hash")}
                for s in store.list_students(class_id, include_removed=True)]
    return {
        "class": {k: v for k, v in record.items()},
        "students": students,
        "roster": store.list_roster(class_id),
        "rounds": rounds_out,
        "about_teacher": [{**c, **_audio_part(store, class_id, c)}
                          for c in store.host_cards(class_id, limit=200)],
        "custom_prompts": store.custom_prompts(class_id),
        "used_prompts": sorted(store.used_prompt_ids(class_id)),
        "rotation": store.get_rotation(class_id),
        "pair_history": [list(p) for p in store.pair_history(class_id)],
        "spotlights": store.spotlights(class_id),
        "checkins": {"settings": store.get_checkin_plan(class_id),
                     "log": store.checkin_log(class_id)},
        "notes": store.get_notes(class_id),
        "private_threads": private_threads(store, class_id),
    }


def _audio_part(store: RedisStore, class_id: str, card: CardRecord | HostCard
                ) -> dict[str, Any]:
    """A spoken answer travels inside the export (base64 of the file as recorded): the
    teacher keeps it without a second download, and the file holds no other card's data."""
    audio_id = card.get("audio_id")
    meta = store.attachment_meta("audio", class_id, audio_id) if audio_id else None
    data = store.attachment_data("audio", class_id, audio_id) if audio_id else None
    if meta is None or data is None:
        return {}
    return {"audio": {"id": audio_id, "mime": meta["mime"],
                      "duration_ms": meta["duration_ms"], "bytes": meta["bytes"],
                      "base64": data}}


def private_threads(store: RedisStore, class_id: str) -> list[dict[str, Any]]:
    """Every private thread the class holds, oldest first: those on live cards and those
    whose card was withdrawn (kept for the teacher's record: safeguarding)."""
    threads: dict[tuple[str, str], list[ReplyRecord]] = {}
    for reply in store.all_replies(class_id):
        threads.setdefault((reply["round_id"], reply["card_id"]), []).append(reply)
    out = []
    for (round_id, card_id), replies in threads.items():
        replies.sort(key=lambda r: (r["at"], r["id"]))
        card = store.get_card(class_id, round_id, card_id)
        out.append({"round_id": round_id, "card_id": card_id,
                    "student_id": (card["student_id"] if card else None)
                    or replies[0].get("student_id"),
                    "card_text": card["text"] if card else None,
                    "card_withdrawn": card is None, "replies": replies,
                    "started_at": replies[0]["at"]})
    return sorted(out, key=lambda t: (t["started_at"], t["card_id"]))


def cards_csv(export: dict[str, Any], where: tzinfo = UTC) -> str:
    """Every card of every round, one row each, for a spreadsheet (times in `where`)."""
    names = {s["id"]: s["name"] for s in export["students"]}
    rows = []
    for round_ in export["rounds"]:
        for c in round_["cards"]:
            row = {
                "round_id": round_["id"], "prompt": round_["prompt"]["text"], "card_id": c["id"],
                "student_id": c["student_id"], "student": names.get(c["student_id"], c["author"]),
                "visibility": c["visibility"], "status": c["status"],
                "spotlight_ok": c["spotlight_ok"], "starred": c.get("starred", False),
                "flagged": c.get("flagged", False), "text": c["text"],
                "photo": c.get("photo_id") or "",
                "audio": f"{c['audio']['duration_ms'] / 1000:.0f} s" if "audio" in c else "",
                "reactions": sum(c["reactions"].values()),
                "replies": " | ".join(f"{r['from']}: {r['text']}" for r in c["replies"]),
                "created_at": iso_time(c["created_at"], where),
            }
            rows.append([row[c] for c in CARD_COLUMNS])
    return csv_text(CARD_COLUMNS, rows)
