"""The README's Python examples run as written: every ```python block, in order, as one session
(the first starts its own embedded chain, the last closes it), printing what the comments say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.anvil_only("the README's session starts its own embedded chain")

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_python_block_of_the_readme_runs_as_one_session(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example saves its manifest in the working directory
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 3, "the SDK example, the margin example and the reads"
    session: dict[str, object] = {}
    for i, block in enumerate(blocks, 1):
        exec(compile(block, f"README.md python block {i}", "exec"), session)
    out = capsys.readouterr().out
    assert "ParticipantUnknown in USD token" in out
    assert "250.50 USD from member-a to member-b" in out and "client-x " in out
    assert (tmp_path / "deployment.json").exists()
    # the margin example: a call issued on member-a's house account, then met by its deposit
    assert "JPY 4,202,508 = MTM loss 1,000,000 + expected shortfall 3,202,508" in out
    assert "ISSUED member-a house 4,202,508 JPY" in out  # the seeded history fixes the figure
    assert "\nMET\n" in out
    assert "member-a CLEARING_MEMBER ACTIVE" in out
    assert "house account of 0x3C44…93BC: requirement JPY 4,202,508, no open call" in out
    assert "call #1 (regular) on the house account of 0x3C44…93BC: JPY 4,202,508 due" in out
    assert out.rstrip().endswith("client-x []")  # no open call for member-a or the client
    chain = session["chain"]
    assert chain.node is None or not chain.node.running  # the last block closed it
