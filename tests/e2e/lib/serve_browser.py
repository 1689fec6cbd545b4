"""serve_browser.py CDP_PORT URL: drive titan serve's page in a real headless
chromium through the DevTools protocol (python3-websocket): type a prompt
and settings with Input.insertText, click Generate with mouse events, watch
the output grow as the streamed tokens arrive, then type a text into the
score panel, click Score and read val_bpb and the baselines. Prints what it
saw as JSON on stdout; the shell test checks it against the API."""
import json
import sys
import time
import urllib.request

import websocket

cdp_port, url = sys.argv[1], sys.argv[2]
targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{cdp_port}/json"))
page = next(t for t in targets if t["type"] == "page")
ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
next_id = 0


def call(method, **params):
    global next_id
    next_id += 1
    ws.send(json.dumps({"id": next_id, "method": method, "params": params}))
    while True:
        msg = json.loads(ws.recv())
        if msg.get("id") == next_id:
            if "error" in msg:
                raise RuntimeError(f"{method}: {msg['error']}")
            return msg.get("result", {})


def js(expr):
    r = call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
    if "exceptionDetails" in r:
        raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
    return r["result"].get("value")


def wait_for(expr, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        v = js(expr)
        if v:
            return v
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {expr}")


def click(element_id):
    box = js(f"(() => {{ const e = document.getElementById('{element_id}'); "
             "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    for kind in ("mousePressed", "mouseReleased"):
        call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left",
             clickCount=1)


def type_into(element_id, text):
    js(f"(() => {{ const e = document.getElementById('{element_id}'); e.focus(); e.select(); }})()")
    call("Input.insertText", text=text)


call("Page.enable")
call("Runtime.enable")
call("Page.navigate", url=url)
wait_for("document.readyState === 'complete' && "
         "document.getElementById('model').textContent.length > 0")
prompt = "def main(argv):"
type_into("prompt", prompt)
type_into("max_tokens", "200")
type_into("temperature", "0")
click("generate")
lengths = []
end = time.time() + 60
while time.time() < end:
    n, busy = js("[document.getElementById('out').textContent.length, "
                 "document.getElementById('generate').disabled]")
    lengths.append(n)
    if not busy and n > 0:
        break
    time.sleep(0.005)
out = js("document.getElementById('out').textContent")
rate = js("document.getElementById('rate').textContent")
text = "def f(x):\n    return x * 2\n"
type_into("text", text)
click("score")
wait_for("document.getElementById('val_bpb').textContent.length > 0")
cells = js("['val_bpb', 'xz_bpb', 'brotli_bpb', 'tokens'].map("
           "id => document.getElementById(id).textContent)")
typed = js("document.getElementById('prompt').value")
try:
    call("Browser.close")
except (RuntimeError, websocket.WebSocketException):
    pass  # the browser may drop the connection as it closes
print(json.dumps({"typed": typed, "out": out, "rate": rate,
                  "partial": sorted({n for n in lengths if 0 < n < len(out)}),
                  "score_text": text, "cells": cells}))
