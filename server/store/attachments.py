"""A card's attachments: photos and voice recordings."""

from __future__ import annotations

import json

from server.domain.records import AttachmentMeta
from server.store.base import StoreBase, dumps
from server.store.keys import ATTACHMENTS, index_key


class AttachmentsRepo(StoreBase):
    def put_attachment(self, kind: str, class_id: str, item_id: str, meta: AttachmentMeta,
                       data_b64: str) -> None:
        key_of, field = ATTACHMENTS[kind]
        key = key_of(class_id, item_id)
        pipe = self.r.pipeline()
        pipe.hset(key, mapping={"meta": dumps(meta), field: data_b64})
        self._track(pipe, class_id, key)
        pipe.execute()

    def attachment_meta(self, kind: str, class_id: str, item_id: str
                        ) -> AttachmentMeta | None:
        raw = self.r.hget(ATTACHMENTS[kind][0](class_id, item_id), "meta")
        return json.loads(raw) if raw else None

    def attachment_data(self, kind: str, class_id: str, item_id: str) -> str | None:
        key_of, field = ATTACHMENTS[kind]
        return self.r.hget(key_of(class_id, item_id), field)

    def set_attachment_meta(self, kind: str, class_id: str, item_id: str,
                            meta: AttachmentMeta) -> None:
        self.r.hset(ATTACHMENTS[kind][0](class_id, item_id), "meta", dumps(meta))

    def delete_attachment(self, kind: str, class_id: str, item_id: str) -> None:
        key = ATTACHMENTS[kind][0](class_id, item_id)
        pipe = self.r.pipeline()
        pipe.delete(key)
        pipe.srem(index_key(class_id), key)
        pipe.execute()
