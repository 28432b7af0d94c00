"""Socket.IO packets that cannot be decoded still get an answer when they carry an ack id."""

from __future__ import annotations

from typing import Any

from socketio import packet

from server.domain.json_input import SocketJSON

# The event an undecodable EVENT packet becomes; its handler answers `invalid` with the reason.
MALFORMED = "\x00malformed"


class AnsweringPacket(packet.Packet):
    """An EVENT whose payload is not JSON, nests too deep, or is not `[name, ...]` is
    dispatched as MALFORMED with the reason, so a client waiting on its ack id hears why
    (python-socketio would raise inside its reader and never answer)."""

    json = SocketJSON

    def decode(self, encoded_packet: Any) -> int:
        try:
            count = super().decode(encoded_packet)
        except (ValueError, RecursionError) as exc:
            if getattr(self, "packet_type", None) != packet.EVENT:
                raise
            self.data = [MALFORMED, str(exc)]
            return 0
        if self.packet_type == packet.EVENT and not (
                isinstance(self.data, list) and self.data and isinstance(self.data[0], str)):
            self.data = [MALFORMED, "Send an event as a JSON array: [name, payload]."]
        return count or 0
