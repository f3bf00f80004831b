"""The floor: a bare Flask route returning a small jsonify, on the same waitress
settings as `python app.py` (REPORTS_THREADS too). Prints its URL once listening."""

import os

from flask import Flask, jsonify
from waitress import create_server

from reports.config import DEFAULTS

app = Flask(__name__)


@app.get("/")
def hello():
    return jsonify(status="ok", service="baseline")


if __name__ == "__main__":
    threads = int(os.environ.get("REPORTS_THREADS", DEFAULTS["THREADS"]))
    server = create_server(app, host=DEFAULTS["HOST"], port=0, threads=threads)
    print(f"Serving at http://{server.effective_host}:{server.effective_port}/", flush=True)
    server.run()
