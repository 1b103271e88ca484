"""Record the model replies notebook 11 replays, against the local fake OpenAI server.

    python tests/support/record_notebook.py

It runs the notebook's `%%spell lua` cells (not those tagged `raises-exception`) in one session recording to
notebooks/observe-and-control.jsonl, so the requests are exactly the notebook's; the server answers with
REPLIES, in order, as a real model might have.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.fake_openai import FakeOpenAI, Reply

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK = NOTEBOOKS / "11-observe-and-control.ipynb"
RECORDING = NOTEBOOKS / "observe-and-control.jsonl"
MODEL = "openai/gpt-4o-mini"
REPLIES = [
    Reply.text("The Moon's gravity pulls the oceans into a bulge that the Earth turns beneath, twice a day.",
               usage=(19, 21)),
    Reply.text("Mercury, Venus, Mars", usage=(16, 5)),
    Reply.tool_call("calculator", {"expression": "48*17"}, id="call_purser_1", usage=(92, 17)),
    Reply.text("17 crates hold 816 bottles.", usage=(121, 9)),
    Reply.tool_call("calculator", {"expression": "12*7"}, id="call_navigator_1", usage=(95, 16)),
    Reply.text("84 nautical miles.", usage=(123, 6)),
]


def main() -> None:
    from llmspell_kernel.runtime.session import Session

    cells = [c.source.split("\n", 1)[1] for c in nbformat.read(NOTEBOOK, as_version=4).cells
             if c.cell_type == "code" and c.source.startswith("%%spell lua")
             and "raises-exception" not in c.metadata.get("tags", [])]
    RECORDING.unlink(missing_ok=True)
    with FakeOpenAI() as server:
        server.push(*REPLIES)
        os.environ.update(OPENAI_API_KEY="sk-recording-only", LLMSPELL_API_BASE=server.url, LLMSPELL_MODEL=MODEL,
                          LLMSPELL_CONFIG=os.devnull, LLMSPELL_OFFLINE="0")
        with Session(root=str(NOTEBOOKS), llm_record=str(RECORDING)) as session:
            for index, cell in enumerate(cells):
                print(session.run(cell, "lua", chunk=f"cell[{index}]"))
        assert server.pending == 0, f"{server.pending} replies were not asked for"


if __name__ == "__main__":
    main()
