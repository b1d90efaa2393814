"""The distributed benchmark's quick run (LeNet-5 on a 1- and a 2-worker
LocalCluster) checks every output bit for bit and writes its report."""

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_distributed", ROOT / "bench" / "distributed.py")
bench = importlib.util.module_from_spec(spec)
sys.modules["bench_distributed"] = bench
spec.loader.exec_module(bench)


def test_quick_run_writes_every_table(tmp_path):
    out = tmp_path / "distributed.md"
    assert bench.main(["--quick", "--group", "2", "--out", str(out)]) == 0
    text = out.read_text()
    for heading in ("## Throughput", "## Overheads", "## CPU time per input",
                    "## The cost model: predicted and measured stage times"):
        assert heading in text
    rows = re.findall(r"^\| (1 worker|2 workers) \| (\d+) \| (\d+) \| ([\d.]+) inputs/s \|", text, re.M)
    assert sorted((w, g) for w, _, g, _ in rows) == [("1 worker", "1"), ("1 worker", "2"),
                                                      ("2 workers", "1"), ("2 workers", "2")]
    assert all(float(t) > 0 for *_, t in rows)
    assert re.search(r"group 2: 2 workers / 1 worker \*\*[\d.]+x\*\*", text)
    assert re.search(r"an empty task's round trip from this process \| [\d.]+ ms", text)
    assert "probed units w0 host" in text and "| part0 | w0 |" in text
    assert re.search(r"own ceiling for 2 processes .*: \*\*[\d.]+x\*\*", text)


def test_bad_options_are_refused(tmp_path, capsys):
    assert bench.main(["--quick", "--rounds", "0", "--out", str(tmp_path / "x.md")]) == 2
    assert "must be >= 1" in capsys.readouterr().err
    assert not (tmp_path / "x.md").exists()
