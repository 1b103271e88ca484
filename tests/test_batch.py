"""`llmspell batch` / `run_batch`: a spell once per input on a real Dask LocalCluster (worker processes), with
the store on the real Redis. One small cluster (2 workers × 1 thread) serves the module."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from llmspell_kernel.batch import run_batch
from llmspell_kernel.runtime.session import Session

REDIS_URL = os.environ.get("LLMSPELL_TEST_REDIS", "redis://127.0.0.1:6379/15")
OFFLINE = {"offline": True}
SPELL = """
local p = Spell.params
if p.slow then Spell.sleep(p.slow) end
if p.bad then
    error("no good: " .. p.id)
end
return {id = p.id, square = p.n * p.n}
"""


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=50) as cluster, Client(cluster) as dask_client:
        yield dask_client


@pytest.fixture
def spell(tmp_path):
    path = tmp_path / "square.lua"
    path.write_text(SPELL, encoding="utf-8")
    return path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_input_has_one_result_in_id_order_and_an_error_names_kind_message_line(client, spell, tmp_path):
    inputs = [{"id": f"q{n}", "n": n, "bad": n == 3} for n in range(1, 7)]
    out = tmp_path / "results.jsonl"
    result = run_batch(spell, inputs, cluster=client, out=out, settings=OFFLINE)
    assert [r["id"] for r in result.records] == [f"q{n}" for n in range(1, 7)]
    assert [r["id"] for r in lines(out)] == [f"q{n}" for n in range(1, 7)]  # the file too: in order, once each
    ok = [r for r in result.records if r["ok"]]
    assert [r["value"] for r in ok] == [{"id": f"q{n}", "square": n * n} for n in (1, 2, 4, 5, 6)]
    (failed,) = result.failed
    assert failed["id"] == "q3" and failed["value"] is None
    assert failed["error"]["kind"] == "RuntimeError" and "no good: q3" in failed["error"]["message"]
    assert failed["error"]["line"] == 5
    assert all(r["duration"] >= 0 and r["tokens"] == 0 and r["attempts"] == 1 for r in result.records)
    assert result.summary()["ok"] == 5 and result.summary()["failed"] == 1 and not result.cancelled


def test_without_a_store_each_input_has_a_session_of_its_own(client, tmp_path):
    spell = tmp_path / "count.lua"
    spell.write_text("State.update('n', function(n) return (n or 0) + 1 end)\nreturn State.get('n')\n",
                     encoding="utf-8")
    # a named session in the workers' environment must not make the inputs share it
    name = f"test-batch-{uuid.uuid4().hex[:8]}"
    client.run(exec, f"import os; os.environ['LLMSPELL_SESSION'] = {name!r}")  # exec: runs in each worker
    try:
        result = run_batch(spell, [{"id": n} for n in range(4)], cluster=client, settings=OFFLINE)
    finally:
        client.run(exec, "import os; os.environ.pop('LLMSPELL_SESSION', None)")
    assert [r["value"] for r in result.records] == [1, 1, 1, 1]


def test_model_calls_report_their_tokens(client, tmp_path):
    spell = tmp_path / "ask.js"
    spell.write_text("return LLM.complete('say ' + Spell.params.word, {model: 'mock/echo'});", encoding="utf-8")
    result = run_batch(spell, [{"word": "one"}, {"word": "two"}], cluster=client, settings=OFFLINE)
    assert [r["id"] for r in result.records] == [1, 2]  # no id field: the position names the input
    assert [r["value"] for r in result.records] == ["say one", "say two"]
    assert all(r["ok"] and r["tokens"] > 0 for r in result.records), result.records
    assert result.progress.tokens == sum(r["tokens"] for r in result.records)


def test_a_resumed_run_skips_the_ids_already_done_and_reruns_the_failed(client, spell, tmp_path):
    out = tmp_path / "results.jsonl"
    first = run_batch(spell, [{"id": n, "n": n, "bad": n == 2} for n in (1, 2, 3)], cluster=client, out=out,
                      settings=OFFLINE)
    assert [r["ok"] for r in first.records] == [True, False, True]
    again = run_batch(spell, [{"id": n, "n": n} for n in (1, 2, 3, 4, 5)], cluster=client, out=out,
                      settings=OFFLINE)
    assert again.progress.skipped == 2 and again.progress.done == 3  # 2 (failed before), 4 and 5 ran
    assert [r["id"] for r in lines(out)] == [1, 2, 3, 4, 5]
    assert all(r["ok"] for r in lines(out))
    assert lines(out)[0] == first.records[0]  # a done id's line is kept as it was


def test_stopping_keeps_what_finished_and_a_rerun_finishes_the_rest(client, spell, tmp_path):
    out, stop = tmp_path / "results.jsonl", threading.Event()
    inputs = [{"id": n, "n": n, "slow": 0 if n == 1 else 1500} for n in range(1, 7)]
    result = run_batch(spell, inputs, cluster=client, out=out, settings=OFFLINE, on_progress=lambda p: stop.set(),
                       stop=stop)
    assert result.cancelled
    kept = [r["id"] for r in lines(out)]
    assert 1 <= len(kept) < 6 and kept == sorted(kept) and all(r["ok"] for r in lines(out))
    rest = run_batch(spell, inputs, cluster=client, out=out, settings=OFFLINE)
    assert rest.progress.skipped == len(kept) and not rest.cancelled
    assert [r["id"] for r in lines(out)] == [1, 2, 3, 4, 5, 6]


@pytest.fixture
def shared():
    """A fresh session name on the test Redis (database 15); its keys are deleted afterwards."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}: start one with `redis-server --daemonize yes`")
    name = f"test-batch-{uuid.uuid4().hex[:10]}"
    yield name
    keys = redis.Redis.from_url(REDIS_URL)
    for key in keys.scan_iter(f"llmspell:{name}:*"):
        keys.delete(key)


def state_of(name: str, *keys: str) -> list:
    with Session(store=REDIS_URL, session=name, offline=True) as session:
        return [session.state.get(key) for key in keys]


def test_inputs_share_a_redis_store(client, shared, tmp_path):
    spell = tmp_path / "remember.tengo"
    spell.write_text('State.set("seen_" + Spell.params.id, Spell.params.n)\nexport Spell.params.n\n',
                     encoding="utf-8")
    result = run_batch(spell, [{"id": f"k{n}", "n": n} for n in range(4)], cluster=client, store=REDIS_URL,
                       session=shared, settings=OFFLINE)
    assert all(r["ok"] for r in result.records), result.records
    assert state_of(shared, *(f"seen_k{n}" for n in range(4))) == [0, 1, 2, 3]


def test_retries_run_a_failing_input_again(client, shared, tmp_path):
    spell = tmp_path / "flaky.lua"
    spell.write_text("""
local key = "tries_" .. Spell.params.id
State.update(key, function(n) return (n or 0) + 1 end)
local tries = State.get(key)
if tries < 3 then error("flaky, try " .. tries) end
return tries
""", encoding="utf-8")
    inputs = [{"id": "a"}, {"id": "b"}]
    once = run_batch(spell, inputs, cluster=client, store=REDIS_URL, session=shared, settings=OFFLINE)
    assert [r["error"]["message"] for r in once.records] == ["flaky, try 1", "flaky, try 1"]
    again = run_batch(spell, inputs, cluster=client, store=REDIS_URL, session=shared, settings=OFFLINE, retries=2)
    assert [(r["ok"], r["value"], r["attempts"]) for r in again.records] == [(True, 3, 2), (True, 3, 2)]


def test_a_local_cluster_runs_concurrency_inputs_at_once_per_worker(shared, tmp_path):
    spell = tmp_path / "overlap.lua"
    spell.write_text("""
State.update("running", function(n) return (n or 0) + 1 end)
local now = State.get("running")  -- 2 or more: another input is between its + 1 and its - 1 too
State.update("peak", function(p) return math.max(p or 0, now) end)
Spell.sleep(1500)
State.update("running", function(n) return n - 1 end)
""", encoding="utf-8")
    result = run_batch(spell, [{"id": n} for n in range(3)], cluster="local:1", concurrency=3, store=REDIS_URL,
                       session=shared, settings=OFFLINE)
    assert all(r["ok"] for r in result.records), result.records
    assert len({r["worker"] for r in result.records}) == 1  # one worker process
    assert state_of(shared, "peak", "running")[0] >= 2  # and inputs overlapping in it


def test_the_cli_writes_the_results_file_and_exits_3_when_an_input_failed(client, spell, tmp_path):
    inputs, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inputs.write_text('{"id": "a", "n": 2}\n\n{"id": "b", "n": 3, "bad": true}\n', encoding="utf-8")
    command = [sys.executable, "-m", "llmspell_kernel", "batch", str(spell), "--inputs", str(inputs), "--out",
               str(out), "--cluster", client.scheduler.address, "--offline"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "id b: lua" in done.stderr and "RuntimeError: no good: b" in done.stderr
    assert [(r["id"], r["ok"]) for r in lines(out)] == [("a", True), ("b", False)]
    assert "Traceback" not in done.stderr
    bad = subprocess.run([*command, "--concurrency", "2"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 3 and "--nthreads" in bad.stderr and "Traceback" not in bad.stderr


def test_ctrl_c_stops_the_cli_and_its_local_cluster_and_keeps_what_finished(spell, tmp_path):
    inputs, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inputs.write_text("".join(json.dumps({"id": n, "n": n, "slow": 0 if n == 1 else 3000}) + "\n"
                              for n in range(1, 7)), encoding="utf-8")
    command = [sys.executable, "-m", "llmspell_kernel", "batch", str(spell), "--inputs", str(inputs), "--out",
               str(out), "--cluster", "local:1", "--concurrency", "2", "--offline"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 90
    while not (out.exists() and out.read_text(encoding="utf-8")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the whole process group, workers included
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "cancelled: True" in stderr and "Traceback" not in stderr
    kept = lines(out)
    assert kept and len(kept) < 6 and all(r["ok"] for r in kept)


def test_bad_inputs_are_refused_before_anything_runs(spell, tmp_path):
    from llmspell_kernel.errors import ApiError

    inputs = tmp_path / "in.jsonl"
    inputs.write_text('{"id": 1}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(ApiError, match=r"in.jsonl:2: an input must be a JSON object"):
        run_batch(spell, inputs)
    with pytest.raises(ApiError, match="the id 1 appears twice"):
        run_batch(spell, [{"id": 1}, {"id": 1}])
    with pytest.raises(ApiError, match="local:N takes a number"):
        run_batch(spell, [{"id": 1}], cluster="local:x")


def test_a_killed_workers_items_run_again_elsewhere_and_are_written_once(client, spell, tmp_path):
    out = tmp_path / "results.jsonl"
    inputs = [{"id": n, "n": n, "slow": 4000 if n == 2 else 200} for n in range(1, 7)]
    outcome: dict = {}
    runner = threading.Thread(target=lambda: outcome.update(
        result=run_batch(spell, inputs, cluster=client, out=out, settings=OFFLINE)))
    runner.start()
    killed = None
    deadline = time.monotonic() + 90
    while killed is None and time.monotonic() < deadline:  # the worker running the slow input (the second)
        for address, keys in client.processing().items():
            if any(str(key).endswith("-1") for key in keys):
                pid = client.run(os.getpid, workers=[address])[address]
                time.sleep(0.5)  # well inside its 4 s sleep
                os.kill(pid, signal.SIGKILL)
                killed = address
                break
        time.sleep(0.05)
    runner.join(timeout=120)
    assert killed is not None and not runner.is_alive()
    result = outcome["result"]
    assert [r["id"] for r in result.records] == [1, 2, 3, 4, 5, 6] and all(r["ok"] for r in result.records)
    assert [r["id"] for r in lines(out)] == [1, 2, 3, 4, 5, 6]  # once each
    assert result.records[1]["worker"] != killed  # the slow input finished on another worker


def test_the_magic_shows_a_progress_bar_and_a_summary_table(ip, client, spell, tmp_path, monkeypatch):
    from llmspell_kernel.magics.batch import run_batch_magic

    monkeypatch.chdir(tmp_path)
    Path("in.jsonl").write_text("".join(json.dumps({"id": n, "n": n, "bad": n == 2}) + "\n" for n in (1, 2, 3)),
                                encoding="utf-8")
    ip.llmspell_session.configure({"offline": True})
    result = ip.run_line_magic("spell", f"batch {spell} --inputs in.jsonl "
                                        f"--cluster {client.scheduler.address} --out out.jsonl")
    assert [r["ok"] for r in result.records] == [True, False, True] and "'failed': 1" in repr(result)
    assert [r["id"] for r in lines(Path("out.jsonl"))] == [1, 2, 3]
    shown: list = []
    again = run_batch_magic(ip.llmspell_session, [str(spell), "--inputs", "in.jsonl", "--cluster",
                                                  client.scheduler.address, "--out", "out.jsonl"], shown.append)
    (box,) = shown
    (bar, label), table = box.children[0].children, box.children[1]
    assert again.progress.skipped == 2 and bar.value == bar.max == 3 and bar.bar_style == "danger"
    assert label.value == "done" and "<td>RuntimeError</td>" in table.value and "no good: 2" in table.value
    with pytest.raises(Exception, match="--inputs"):
        ip.run_line_magic("spell", f"batch {spell}")


def test_the_notebooks_stop_button_cancels_a_batch_and_the_kernel_goes_on(spell, tmp_path):
    from jupyter_client.manager import start_new_kernel
    from test_kernel import execute

    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"id": n, "n": n, "slow": 0 if n == 1 else 3000}) + "\n"
                                               for n in range(1, 7)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "LLMSPELL_OFFLINE": "1"}
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env=env)
    try:
        assert execute(kc, "%load_ext llmspell_kernel")[0]["status"] == "ok"
        msg_id = kc.execute(f"result = %spell batch {spell} --inputs in.jsonl --cluster local:1 --concurrency 2 "
                            "--out out.jsonl")
        deadline = time.monotonic() + 90
        while not (out.exists() and out.read_text(encoding="utf-8")) and time.monotonic() < deadline:
            time.sleep(0.05)
        km.interrupt_kernel()  # the stop button: SIGINT to the kernel's process group
        reply = kc.get_shell_msg(timeout=60)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = kc.get_shell_msg(timeout=60)
        assert reply["content"]["status"] == "ok"  # cancelled, not failed: the finished inputs are the result
        reply, outputs = execute(kc, "print(result.cancelled, [r['id'] for r in result.records])")
        printed = "".join(content["text"] for kind, content in outputs if kind == "stream")
        assert printed.startswith("True [1") and "6]" not in printed, outputs
        assert [r["id"] for r in lines(out)] == json.loads(printed.split(" ", 1)[1])
        reply, outputs = execute(kc, "%spell lua return 40 + 2")
        assert reply["status"] == "ok" and "42" in str(outputs)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# a budget for the whole batch ---------------------------------------------------------------------------------------

ASK = """local p = Spell.params
if p.slow then Spell.sleep(p.slow) end
return LLM.complete('say ' .. p.word, {model = 'mock/echo'})
"""  # 4 tokens an input
# the later inputs are slow: those running when the budget is reached are still running when the client stops
ASKS = [{"id": f"w{n}", "word": f"w{n}", "slow": 0 if n <= 4 else 1500} for n in range(1, 9)]


@pytest.fixture
def ask(tmp_path):
    path = tmp_path / "ask.lua"
    path.write_text(ASK, encoding="utf-8")
    return path


def assert_stopped_on_budget(records: list[dict], spent: str, allowed: int) -> list[dict]:
    """One line per input id; the first `allowed` ran (and at most two more, the concurrency of the cluster,
    which were running when the budget was reached); every other input is a BudgetError, none dropped."""
    assert [r["id"] for r in records] == [item["id"] for item in ASKS]
    ok = [r for r in records if r["ok"]]
    stopped = [r for r in records if not r["ok"]]
    assert allowed <= len(ok) <= allowed + 2 and stopped, records
    for record in stopped:
        assert record["error"]["kind"] == "BudgetError", record
        assert record["error"]["message"].startswith(f"batch budget exceeded: spent {spent}"), record
    return ok


def wait_idle(client) -> None:
    """Until the inputs cancelled while running have ended in their workers (Dask cannot stop a running task)."""
    deadline = time.monotonic() + 60
    while any(client.run(lambda dask_worker: dask_worker.state.executing_count).values()):
        assert time.monotonic() < deadline, "the cancelled inputs still run after 60 s"
        time.sleep(0.05)


def test_a_token_budget_stops_the_batch_and_a_resume_with_a_bigger_one_runs_the_rest(client, ask, tmp_path):
    out = tmp_path / "results.jsonl"
    shown: list[str] = []
    result = run_batch(ask, ASKS, cluster=client, out=out, settings=OFFLINE, budget={"tokens": 16},
                       on_progress=lambda p: shown.append(p.line()))
    assert result.over_budget and result.over_budget.endswith(" of 16 tokens") and not result.cancelled
    ok = assert_stopped_on_budget(lines(out), "", 4)  # 4 tokens an input: 4 inputs reach 16
    assert assert_stopped_on_budget(result.records, "", 4) == ok
    assert result.progress.tokens == 4 * len(ok) and all(r["tokens"] == 4 for r in ok)
    assert f"{4 * len(ok)} of 16 tokens" in shown[-1], shown
    assert result.summary()["over_budget"] and result.summary()["failed"] == 8 - len(ok)
    rest = run_batch(ask, ASKS, cluster=client, out=out, settings=OFFLINE, budget={"tokens": 1000})
    assert rest.over_budget is None and rest.progress.skipped == len(ok) and rest.progress.done == 8 - len(ok)
    assert [r["id"] for r in lines(out)] == [item["id"] for item in ASKS] and all(r["ok"] for r in lines(out))
    assert [r for r in lines(out) if r["id"] in {o["id"] for o in ok}] == ok  # the done lines kept as they were


def test_each_input_has_the_batch_budget_as_its_session_budget(client, tmp_path):
    spell = tmp_path / "long.lua"
    spell.write_text("return LLM.complete(string.rep('word ', Spell.params.words), {model = 'mock/echo'})\n",
                     encoding="utf-8")
    result = run_batch(spell, [{"words": 2}, {"words": 400}], cluster=client, settings=OFFLINE,
                       budget={"tokens": 50})
    small, large = result.records
    assert small["ok"] and not large["ok"] and large["tokens"] == 0  # refused before it was sent
    assert large["error"]["kind"] == "BudgetError" and "refused before sending" in large["error"]["message"]
    with pytest.raises(Exception, match="unknown budget key"):
        run_batch(spell, [{"words": 2}], cluster=client, settings=OFFLINE, budget={"dollars": 1})


def test_a_cost_budget_stops_the_batch_on_the_priced_spend(client, tmp_path):
    from support.fake_openai import FakeOpenAI, Reply

    spell = tmp_path / "priced.js"
    with FakeOpenAI() as server:
        spell.write_text(f"return LLM.complete('hi', {{model: 'openai/gpt-4o-mini', api_base: '{server.url}'}});\n",
                         encoding="utf-8")
        # 1000 prompt and 500 completion tokens at gpt-4o-mini's litellm price: $0.00045 an input
        server.push(*[Reply.text(f"r{n}", usage=(1000, 500), delay=0.1 if n < 3 else 1.5) for n in range(8)])
        client.run(exec, "import os; os.environ['OPENAI_API_KEY'] = 'sk-test-fake'")
        try:
            result = run_batch(spell, ASKS, cluster=client, settings={"offline": False}, budget={"cost": 0.001})
            wait_idle(client)  # before the server closes: an input still running there must get its answer
        finally:
            client.run(exec, "import os; os.environ.pop('OPENAI_API_KEY', None)")
    ok = assert_stopped_on_budget(result.records, "$0.00", 3)  # 3 inputs reach $0.001
    assert result.progress.cost == pytest.approx(0.00045 * len(ok))
    assert result.over_budget.endswith(" of $0.001000")


def test_the_cli_budget_exits_6_and_a_resume_finishes(client, ask, tmp_path):
    inputs, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inputs.write_text("".join(json.dumps(item) + "\n" for item in ASKS), encoding="utf-8")
    command = [sys.executable, "-m", "llmspell_kernel", "batch", str(ask), "--inputs", str(inputs), "--out",
               str(out), "--cluster", client.scheduler.address, "--offline"]
    done = subprocess.run([*command, "--budget", "tokens=16"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 6, done.stderr
    assert "of 16 tokens" in done.stderr and "BudgetError: batch budget exceeded: spent" in done.stderr
    assert re.search(r"  id \w+: BudgetError: ", done.stderr)  # no place to name: no gap where it would stand
    assert "Traceback" not in done.stderr
    ok = assert_stopped_on_budget(lines(out), "", 4)
    again = subprocess.run([*command, "--budget", "tokens=1000,cost=1"], capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    assert "8/8 done" in again.stderr and "of $1.00" in again.stderr and f"skipped: {len(ok)}," in again.stderr
    assert all(r["ok"] for r in lines(out)) and len(lines(out)) == 8
    bad = subprocess.run([*command, "--budget", "lots"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "expected tokens=N and/or cost=USD" in bad.stderr


def test_the_magic_takes_a_budget(ip, client, ask, tmp_path, monkeypatch):
    from llmspell_kernel.magics.batch import run_batch_magic

    monkeypatch.chdir(tmp_path)
    Path("in.jsonl").write_text("".join(json.dumps(item) + "\n" for item in ASKS), encoding="utf-8")
    ip.llmspell_session.configure({"offline": True})
    shown: list = []
    words = [str(ask), "--inputs", "in.jsonl", "--cluster", client.scheduler.address, "--out", "out.jsonl"]
    result = run_batch_magic(ip.llmspell_session, [*words, "--budget", "tokens=16"], shown.append)
    assert_stopped_on_budget(result.records, "", 4)
    (bar, label), table = shown[0].children[0].children, shown[0].children[1]
    assert bar.value == bar.max == 8 and bar.bar_style == "danger"
    assert label.value.startswith("stopped: batch budget exceeded") and "<td>BudgetError</td>" in table.value
    with pytest.raises(Exception, match="argument --budget: expected tokens=N and/or cost=USD, got 'lots'"):
        ip.run_line_magic("spell", f"batch {ask} --inputs in.jsonl --budget lots")
