"""The README's SDK example runs as written (it starts its own embedded chain)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_sdk_example_runs(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the example saves its manifest in the working directory
    (example,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    exec(compile(example, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "ParticipantUnknown in USD token" in out
    assert "250.50 USD from member-a to member-b" in out and "client-x " in out
    assert (tmp_path / "deployment.json").exists()
