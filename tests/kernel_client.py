"""Run code in a Jupyter kernel over its websocket, as JupyterLab in a browser does."""
from __future__ import annotations

import json
import uuid


def execute(ws_url: str, code: str, headers: list[str] | None = None, timeout: float = 120) -> tuple[str, str | None]:
    """Run `code` on the kernel at `ws_url` (.../api/kernels/<id>/channels); returns (stdout, error name)."""
    import websocket  # websocket-client, which jupyter_server depends on

    ws = websocket.create_connection(ws_url, header=headers or [], timeout=timeout)
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                   "session": uuid.uuid4().hex, "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False}}))
    out, error = "", None
    try:
        while True:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out += msg["content"]["text"]
            elif msg["msg_type"] == "error":
                error = msg["content"]["ename"]
            # iopub "idle" comes after every output of the request (the shell reply may not)
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return out, error
    finally:
        ws.close()
