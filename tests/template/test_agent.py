"""Tests of the 20 Questions agent template (template/: main.py, the agent20q
package, agent_settings.json).

Fast tests need nothing but the standard library (fallback moves, settings, the loader
contract).  Tests that load a model request the ``llama_lib`` fixture (a folder holding
``llama_cpp/`` and ``diskcache/``) and use a tiny random-weight GGUF from factories/gguf.py.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from factories.agents import TEMPLATE, import_agent_module, make_submission, obs, run_loader
from factories.gguf import CHATML_TEMPLATE, NO_SYSTEM_TEMPLATE, write_tiny_gguf

CFG = {"actTimeout": 60, "runTimeout": 9600}
QS = ["Is it a place?", "Is it in Europe?"]


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def mod() -> Any:
    return import_agent_module(None)


@pytest.fixture(scope="module")
def lmod(llama_lib: Path) -> Any:
    """agent20q with llama_cpp importable."""
    return import_agent_module(llama_lib)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("tiny")
    return {
        "chatml": write_tiny_gguf(d / "chatml.gguf"),
        "nosystem": write_tiny_gguf(d / "nosystem.gguf", chat_template=NO_SYSTEM_TEMPLATE),
        "none": write_tiny_gguf(d / "none.gguf", chat_template=None),
    }


def make_agent(module: Any, model: Path | None, tmp_path: Path, **settings: Any) -> Any:
    merged = {"model_file": str(model) if model else "", "log": False}
    merged.update(settings)
    return module.Agent(str(tmp_path), merged)


def check_legal(turn: str, move: Any, questions: list[str], guesses: list[str]) -> None:
    assert isinstance(move, str) and move.strip(), f"{turn}: empty move {move!r}"
    if turn == "answer":
        assert move in ("yes", "no")
    elif turn == "ask":
        assert len(move) <= 750
        assert move.strip().lower() not in {q.strip().lower() for q in questions}
    else:
        assert len(move) <= 100
        assert move.strip().lower() not in {g.strip().lower() for g in guesses}


# -------------------------------------------------------------------- no model needed


def test_tiny_gguf_is_deterministic_and_small(tmp_path: Path) -> None:
    a = write_tiny_gguf(tmp_path / "a.gguf")
    b = write_tiny_gguf(tmp_path / "b.gguf")
    assert a.read_bytes()[:4] == b"GGUF"
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    assert 50_000 < a.stat().st_size < 1_000_000
    import gguf

    reader = gguf.GGUFReader(str(a))
    field = reader.fields["tokenizer.chat_template"]
    assert bytes(field.parts[field.data[0]]).decode() == CHATML_TEMPLATE
    assert (
        "tokenizer.chat_template"
        not in gguf.GGUFReader(str(write_tiny_gguf(tmp_path / "c.gguf", chat_template=None))).fields
    )


def test_settings_file_matches_defaults(mod: Any) -> None:
    data = json.loads((TEMPLATE / "agent_settings.json").read_text())
    assert data == mod.DEFAULTS
    assert data["model_file"] == "" and data["n_gpu_layers"] == -1 and data["n_threads"] is None
    for key, value in data.items():
        assert value is None or isinstance(value, (str, int, float, bool)), f"{key} is not flat"


def test_load_settings_overlays_and_ignores_unknown(mod: Any, tmp_path: Path) -> None:
    (tmp_path / "agent_settings.json").write_text(json.dumps({"n_ctx": 1024, "bogus": 1}))
    s = mod.load_settings(str(tmp_path))
    assert s["n_ctx"] == 1024 and "bogus" not in s and s["seed"] == mod.DEFAULTS["seed"]
    (tmp_path / "agent_settings.json").write_text("{not json")
    assert mod.load_settings(str(tmp_path)) == mod.DEFAULTS


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("Question 3: Is it red?", "Is it red?"),
        ("\n\n**Does it fly**\nyes", "Does it fly?"),
        ("no?", ""),
        ("", ""),
        ("Is it " + "very " * 400 + "big", None),
        ("is: no. Now guess the keyword.", ""),
        ("Okay! Is it a place? I think so", "Is it a place?"),
        ("It is a place!", ""),
        ('Is: "What\'s the capital of France?', ""),  # SmolLM2 wrote this: a wh-question under a label
        ('Ask: "Is it a city?"', "Is it a city?"),
        ('Is it a "big" city?', 'Is it a "big" city?'),
    ],
)
def test_clean_question(mod: Any, raw: str, want: str | None) -> None:
    got = mod.clean_question(raw)
    if want is None:
        assert len(got) <= 750 and got.endswith("?")
    else:
        assert got == want


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ('"Paris".', "Paris"),
        ("No, it is a place", "place"),
        ("My guess is: the Eiffel Tower!", "Eiffel Tower"),
        ("yes", ""),
        ("  \n**bicycle**\nmore", "bicycle"),
        ("abcdefghij" * 30, "abcdefghij" * 10),
        ("is: no. Now guess the keyword", ""),
    ],
)
def test_clean_guess(mod: Any, raw: str, want: str) -> None:
    assert mod.clean_guess(raw) == want


def test_fallback_moves_without_model(mod: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No .gguf at all: every turn is still a legal, non-repeating move, one log line each."""
    agent = mod.Agent(str(tmp_path))  # empty folder, default settings (log on)
    q = agent.act(obs("ask", QS, ["yes", "no"], ["France", "Japan"]), CFG)
    check_legal("ask", q, QS, [])
    assert q == "Is it a country?"  # first bank question not asked yet
    assert agent.last["fallback"] == "error" and "no .gguf" in agent.last["error"]
    assert agent.last["decided_by"] == "fallback" and "no .gguf" in agent.load_error
    assert agent.act(obs("answer", [*QS, q], ["yes", "no"], keyword="Paris"), CFG) in ("yes", "no")
    g = agent.act(obs("guess", [*QS, q], ["yes", "no", "no"], ["France", "Japan"]), CFG)
    check_legal("guess", g, [], ["France", "Japan"])
    assert g == "Paris"
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and all(len(ln) < 300 and ln.startswith("[20q]") for ln in lines)


def test_fallback_banks_exhausted(mod: Any, tmp_path: Path) -> None:
    agent = make_agent(mod, None, tmp_path)
    qs = list(mod.QUESTION_BANK)
    q = agent.act(obs("ask", qs, ["no"] * len(qs), ["x"] * len(qs)), CFG)
    check_legal("ask", q, qs, [])
    gs = list(mod.GUESS_BANK)
    g = agent.act(obs("guess", ["q?"] * len(gs), ["no"] * len(gs), gs), CFG)
    check_legal("guess", g, [], gs)


def test_struct_observation_and_missing_cfg(mod: Any, tmp_path: Path) -> None:
    class Struct(dict[str, Any]):  # kaggle_environments.utils.Structure: a dict with attribute access
        def __getattr__(self, name: str) -> Any:
            return self[name]

    class Attrs:
        def __init__(self, d: dict[str, Any]) -> None:
            self.__dict__.update(d)

    agent = make_agent(mod, None, tmp_path)
    assert agent.act(Struct(obs("ask")), None) == mod.QUESTION_BANK[0]
    assert agent.act(Attrs(obs("ask", ["Is it a place?"], ["no"], ["France"])), Attrs(CFG)) == mod.QUESTION_BANK[1]
    assert agent.act(Attrs(obs("answer", ["Is it a place?"], keyword="x")), None) == "no"
    assert agent.act({}, {}) == mod.QUESTION_BANK[0]  # unknown turn type: still a string


def test_main_py_binds_agent_last() -> None:
    """Static check of the loader contract: the last module-level binding is ``def agent``."""
    tree = ast.parse((TEMPLATE / "main.py").read_text())
    last = tree.body[-1]
    assert isinstance(last, ast.FunctionDef) and last.name == "agent"
    assert len(last.args.args) == 2
    src = (TEMPLATE / "main.py").read_text()
    assert "sys.path.append" not in src and "_sys.path.insert(0" in src


def test_kaggle_loader_without_model(tmp_path: Path) -> None:
    """Empty-globals exec from another cwd: ``agent`` is the last callable, moves are legal."""
    main_py = make_submission(tmp_path / "sub", None, None)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    turns = [(obs("ask"), CFG), (obs("answer", ["Is it a place?"], keyword="Paris", category="place"), CFG)]
    res = run_loader(sys.executable, main_py, turns, 2, elsewhere)
    assert res["names"] == ["agent", "agent"] and res["argcount"] == [2, 2]
    # the handshake of the public protocol; "Is it a place?" answered by code (the category)
    assert res["moves"] == [["Is it Agent Alpha?", "yes"]] * 2
    assert res["module_file"] == str(main_py.parent / "agent20q" / "__init__.py")
    assert res["sys_path0"] == str(main_py.parent / "lib")
    assert res["sys_path_added"] == [str(main_py.parent / "lib"), str(main_py.parent)]  # once, for both execs
    assert res["sys_path_kept"]  # the loader's pop() removed its own entry, nothing else
    assert len(res["stderr"].strip().splitlines()) == 4  # one line per turn


def handshake() -> str:
    return str(import_agent_module(None).HANDSHAKE)


def test_template_compiles_and_falls_back_under_target_python(tmp_path: Path) -> None:
    from builder.util.interpreter import find_target_python

    python = str(find_target_python("3.10"))  # TARGET_PYTHON, PATH or pyenv; an error if none
    out = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "(3, 10)"
    main_py = make_submission(tmp_path / "sub", None, None)
    res = run_loader(python, main_py, [(obs("ask"), CFG), (obs("guess", ["q?"], ["no"]), CFG)], 1, tmp_path)
    assert res["names"] == ["agent"] and res["moves"][0][0] == handshake() and res["moves"][0][1]


# ------------------------------------------------------------------- with a tiny model


@pytest.mark.parametrize(("kind", "mode"), [("chatml", "jinja"), ("nosystem", "jinja-fold"), ("none", "plain")])
def test_roles_with_tiny_model(lmod: Any, tiny_models: dict[str, Path], tmp_path: Path, kind: str, mode: str) -> None:
    agent = make_agent(lmod, tiny_models[kind], tmp_path, rules=False, answer_calibration="none")
    q = agent.act(obs("ask", QS, ["yes", "no"], ["France", "Japan"]), CFG)
    check_legal("ask", q, QS, [])
    assert agent.engine is not None and agent.engine.chat.mode == mode
    assert agent.last["prompt_tokens_evaluated"] > 0 and agent.last["fallback"] != "error"
    a = agent.act(obs("answer", [*QS, q], ["yes", "no"], keyword="Paris", category="place"), CFG)
    assert a in ("yes", "no") and agent.last["fallback"] == ""
    scores = agent.last["scores"]
    assert set(scores) == {"yes", "no"} and a == max(scores, key=scores.get)  # constrained choice
    g = agent.act(obs("guess", [*QS, q], ["yes", "no", a], ["France", "Japan"]), CFG)
    check_legal("guess", g, [], ["France", "Japan"])
    rendered = agent.engine.chat.render([{"role": "system", "content": "SYS"}, {"role": "user", "content": "U"}])
    assert "SYS" in rendered and "U" in rendered


def test_answer_follows_likelihoods(
    lmod: Any, tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer is decided by the logits of the yes/no tokens, not by generated text."""
    agent = make_agent(lmod, tiny_models["chatml"], tmp_path, answer_calibration="none")
    o = obs("answer", ["Is it a city?"], keyword="Paris", category="place")
    agent.act(o, CFG)
    eng = agent.engine
    orig = lmod.Engine.logits
    for favour in ("yes", "no"):
        ids = {int(t) for w in (favour, favour.capitalize()) for t in eng.llm.tokenize(w.encode(), add_bos=False)}

        def boosted(self: Any, ids: set[int] = ids) -> Any:
            logits = orig(self)
            for t in ids:
                logits[t] += 1000.0
            return logits

        monkeypatch.setattr(lmod.Engine, "logits", boosted)
        assert agent.act(o, CFG) == favour
    monkeypatch.setattr(lmod.Engine, "generate", lambda *a, **k: pytest.fail("answerer must not generate text"))
    assert agent.act(o, CFG) in ("yes", "no")


@pytest.mark.parametrize(
    ("patch", "fallback", "why"),
    [
        ("raise", "error", "RuntimeError"),
        ("empty", "output", "empty"),
        ("repeat", "output", "repeat"),
        ("garbage", "output", "empty"),
    ],
)
def test_fallbacks_on_bad_model_output(
    lmod: Any,
    tiny_models: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    patch: str,
    fallback: str,
    why: str,
) -> None:
    questions, guesses = ["Is it a place?"], ["France"]

    def fake_generate(self: Any, key: str, tokens: Any, **kw: Any) -> tuple[str, int, int]:
        if patch == "raise":
            raise RuntimeError("boom")
        text = {"empty": "", "repeat": "Is it a PLACE?" if kw["max_tokens"] > 20 else "france", "garbage": "?!?"}
        return text[patch], 1, 1

    def fake_choose(self: Any, *a: Any, **k: Any) -> tuple[str, int, dict[str, float]]:
        if patch == "raise":
            raise RuntimeError("boom")
        return "maybe", 1, {}

    monkeypatch.setattr(lmod.Engine, "generate", fake_generate)
    monkeypatch.setattr(lmod.Engine, "choose", fake_choose)
    agent = make_agent(lmod, tiny_models["chatml"], tmp_path)
    q = agent.act(obs("ask", questions, ["no"], guesses), CFG)
    check_legal("ask", q, questions, [])

    def why_of(last: dict[str, Any]) -> str:
        return str(last["error"] or last["detail"])

    assert q in lmod.QUESTION_BANK and agent.last["fallback"] == fallback and why in why_of(agent.last)
    assert agent.last["decided_by"] == "fallback"
    g = agent.act(obs("guess", [*questions, q], ["no", "yes"], guesses), CFG)
    check_legal("guess", g, [], guesses)
    assert g in lmod.GUESS_BANK and agent.last["fallback"] == fallback and why in why_of(agent.last)
    a = agent.act(obs("answer", [*questions, q], ["no"], keyword="Paris"), CFG)
    assert a == "no" and agent.last["fallback"] in ("error", "output")


def test_model_load_failure_is_sticky_and_legal(lmod: Any, tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    agent = make_agent(lmod, bad, tmp_path)
    for _ in range(2):
        t0 = time.monotonic()
        check_legal("ask", agent.act(obs("ask"), CFG), [], [])
        assert agent.last["fallback"] and time.monotonic() - t0 < 5
    assert agent.act(obs("answer", ["Is it big?"], keyword="x"), CFG) == "no"


def test_time_guard(lmod: Any, tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    agent = make_agent(
        lmod,
        tiny_models["chatml"],
        tmp_path,
        time_margin_s=0.0,
        overage_reserve_s=0.0,
        min_turn_s=0.5,
        attempts_ask=1,
        max_tokens_ask=48,
    )
    # no time left at all: immediate fallback, the model is not even loaded
    t0 = time.monotonic()
    q = agent.act(obs("ask", overage=0.0), {"actTimeout": 0.2})
    assert time.monotonic() - t0 < 0.5 and q == lmod.QUESTION_BANK[0] and agent.last["fallback"] == "time"
    assert agent.engine is None
    # a slow model: generation stops at the deadline and a legal move is returned in time
    orig = lmod.Engine.sample

    def slow_sample(self: Any, *a: Any, **k: Any) -> int:
        time.sleep(0.2)
        return int(orig(self, *a, **k))

    monkeypatch.setattr(lmod.Engine, "sample", slow_sample)
    t0 = time.monotonic()
    q = agent.act(obs("ask", QS, ["no", "no"], ["a", "b"], overage=0.0), {"actTimeout": 1.0})
    assert time.monotonic() - t0 < 1.6
    check_legal("ask", q, QS, [])
    assert agent.last["generated_tokens"] < 10
    t0 = time.monotonic()
    a = agent.act(obs("answer", QS, ["no"], keyword="x", overage=0.0), {"actTimeout": 1.0})
    assert a in ("yes", "no") and time.monotonic() - t0 < 1.6


def test_calibration_by_probes(
    lmod: Any, tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default: the model's yes-vs-no margin minus its bias, measured once per engine on
    questions with known answers: a model biased to "no" still answers "yes"."""
    probes = {q: truth for _k, _c, q, truth in lmod.agent.PROBES}
    calls: list[str] = []

    def fake_choose(self: Any, key: str, text: str, tokens: Any, options: Any, deadline: Any) -> Any:
        calls.append(key)
        question = text.split("Question about ")[-1]
        truth = next((t for q, t in probes.items() if q in question), None)
        margin = {"yes": -2.0, "no": -4.0, None: -2.5}[truth]  # everything leans to "no"
        return ("no", 2, {"yes": margin, "no": 0.0})

    monkeypatch.setattr(lmod.Engine, "choose", fake_choose)
    o = obs("answer", ["Is it a big city?"], keyword="Paris", category="place")
    agent = make_agent(lmod, write_tiny_gguf(tmp_path / "probes.gguf"), tmp_path)  # a new engine
    assert agent.settings["answer_calibration"] == "probes" and not agent.settings["answer_history"]
    assert agent.act(o, CFG) == "yes" and agent.last["decided_by"] == "model"
    assert agent.engine.answer_bias == pytest.approx(-3.0) and agent.last["calibrated_delta"] == pytest.approx(0.5)
    assert calls.count("probes") == len(lmod.agent.PROBES)
    other = make_agent(lmod, tmp_path / "probes.gguf", tmp_path)  # same engine: measured once
    assert other.act(o, CFG) == "yes" and calls.count("probes") == len(lmod.agent.PROBES)
    raw = make_agent(lmod, tmp_path / "probes.gguf", tmp_path, answer_calibration="none")
    assert raw.act(o, CFG) == "no"


def test_calibration_against_a_content_free_keyword(
    lmod: Any, tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """"neutral": the model's yes-vs-no margin minus its margin for the same question about
    ``calibration_keyword``: a model biased to "yes" still answers "no"."""
    margins = {"Paris": 2.0, "N/A": 5.0}  # yes is likelier for both, but less so for the keyword

    def fake_choose(self: Any, key: str, text: str, tokens: Any, options: Any, deadline: Any) -> Any:
        keyword = "N/A" if key.endswith("/neutral") else "Paris"
        assert f'"{keyword}"' in text
        return "yes", 3, {"yes": -1.0, "no": -1.0 - margins[keyword]}

    monkeypatch.setattr(lmod.Engine, "choose", fake_choose)
    o = obs("answer", ["Is it a big city?"], keyword="Paris", category="place")
    raw = make_agent(lmod, tiny_models["chatml"], tmp_path, answer_calibration="none")
    assert raw.act(o, CFG) == "yes" and raw.last["decided_by"] == "model"
    cal = make_agent(lmod, tiny_models["chatml"], tmp_path, answer_calibration="neutral")
    assert cal.act(o, CFG) == "no" and cal.last["calibrated_delta"] == pytest.approx(-3.0)
    assert cal.last["prompt_tokens_evaluated"] == 6 and cal.last["decided_by"] == "model"
    margins["Paris"] = 6.0
    assert cal.act(o, CFG) == "yes"


def test_answers_decided_by_code_never_reach_the_model(
    lmod: Any, tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lmod.Engine, "choose", lambda *a, **k: pytest.fail("the model saw a rule-shaped question"))
    agent = make_agent(lmod, tiny_models["chatml"], tmp_path, answer_history=True, answer_calibration="none")
    cases = [
        ("Does the keyword start with the letter 'p'?", "yes", "rules"),
        ('Does the keyword (in lowercase) precede "laser" in alphabetical order?', "no", "protocol"),
        ("Is it Agent Alpha?", "yes", "protocol"),
        ("Is the keyword one of the following: London, Paris?", "yes", "rules"),
        ("Is it a place?", "yes", "rules"),
    ]
    for q, want, by in cases:
        assert agent.act(obs("answer", [q], keyword="Paris", category="place"), CFG) == want, q
        assert agent.last["decided_by"] == by and agent.last["prompt_tokens"] == 0
    assert agent.engine is None  # never loaded
    # the model's history leaves the rounds decided by code out
    seen: list[str] = []

    def choose(self: Any, key: str, text: str, *a: Any, **k: Any) -> tuple[str, int, dict[str, float]]:
        seen.append(text)
        return "no", 1, {"yes": -2.0, "no": -1.0}

    monkeypatch.setattr(lmod.Engine, "choose", choose)
    qs = [c[0] for c in cases] + ["Is it a big city?"]
    assert agent.act(obs("answer", qs, [c[1] for c in cases], keyword="Paris", category="place"), CFG) == "no"
    assert seen and all("start with the letter" not in t and "Agent Alpha" not in t for t in seen)


def test_guesser_refuses_a_guess_the_answers_ruled_out(
    lmod: Any, tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the protocol the model guesses, but never a listed keyword the answers rule out."""
    outputs = iter(["France", "Japan", "Agave"])
    monkeypatch.setattr(lmod.Engine, "generate", lambda self, *a, **k: (next(outputs), 1, 1))
    lst = str(TEMPLATE / "agent20q" / "keywords.json")
    agent = make_agent(lmod, tiny_models["chatml"], tmp_path, candidates_file=lst, attempts_guess=2)
    o = obs("guess", ["Is it Agent Alpha?", "Is it a place?"], ["no", "no"], ["Binoculars"])
    g = agent.act(o, CFG)  # France, Japan: places, ruled out; then the likeliest candidate left
    assert agent.last["detail"] == "ruled out" and agent.last["decided_by"] == "fallback"
    assert "things" in next(c for c in agent.tracker.candidates if c.keyword == g).categories
    assert agent.act(o, CFG) == "Agave" and agent.last["decided_by"] == "model"


def test_one_model_per_process_and_conversation_swap(lmod: Any, tiny_models: dict[str, Path], tmp_path: Path) -> None:
    """Two agents share one engine; switching conversations restores each KV cache."""
    a1 = make_agent(lmod, tiny_models["chatml"], tmp_path)
    a2 = make_agent(lmod, tiny_models["chatml"], tmp_path, rules=False, answer_calibration="none")
    q = a1.act(obs("ask", QS, ["no", "no"], ["a", "b"]), CFG)
    n1 = a1.last["prompt_tokens"]
    a2.act(obs("answer", [*QS, q], ["no", "no"], keyword="Paris", category="place"), CFG)
    assert a1.engine is a2.engine and a2.last["prompt_tokens_evaluated"] > 0.8 * a2.last["prompt_tokens"]
    # a1 again, one guess turn later: only the new tokens are evaluated despite a2 in between
    a1.act(obs("guess", [*QS, q], ["no", "no", "yes"], ["a", "b"]), CFG)
    assert a1.last["prompt_tokens"] > n1
    assert a1.last["prompt_tokens_evaluated"] < a1.last["prompt_tokens"] - n1 + 60


def test_twenty_rounds_tiny_model_reuses_kv_cache(lmod: Any, tiny_models: dict[str, Path], llama_lib: Path) -> None:
    from bench import agent_game as agent_bench

    short = {"max_tokens_ask": 16, "max_tokens_guess": 8, "attempts_ask": 1, "attempts_guess": 1}
    short.update(agent_bench.MODEL_ONLY)
    game = agent_bench.play_game(tiny_models["chatml"], lib=str(llama_lib), rounds=20, settings=short)
    print(agent_bench.report(game))
    assert all(a in ("yes", "no") for a in game["answers"])
    assert len({q.lower() for q in game["questions"]}) == 20
    assert len({g.lower() for g in game["guesses"]}) == 20
    for turn in agent_bench.ROLES:
        r2, r20 = (game["rounds"][i][turn] for i in (1, 19))
        assert r20["prompt_tokens"] > 3 * r2["prompt_tokens_evaluated"]  # the prompt has grown...
        assert r20["prompt_tokens_evaluated"] < r20["prompt_tokens"] / 4  # ...but little of it is evaluated
        assert r20["fallback"] != "error"


def test_small_context_drops_old_rounds(lmod: Any, tiny_models: dict[str, Path], tmp_path: Path) -> None:
    model = write_tiny_gguf(tmp_path / "ctx512.gguf", chat_template=None)  # a new path: a new engine
    agent = make_agent(lmod, model, tmp_path, n_ctx=512)
    qs = [f"Is it number {i} of the list of things?" for i in range(19)]
    q = agent.act(obs("ask", qs, ["no"] * 19, [f"thing{i}" for i in range(19)]), CFG)
    check_legal("ask", q, qs, [])
    assert agent.last["prompt_tokens"] < 512 and agent.last["prompt_tokens_evaluated"] > 0
    a = agent.act(obs("answer", [*qs, q], ["no"] * 19, keyword="x"), CFG)
    assert a in ("yes", "no") and agent.last["fallback"] == ""


def test_kaggle_loader_with_tiny_model(tiny_models: dict[str, Path], llama_lib: Path, tmp_path: Path) -> None:
    """kaggle-environments' exact exec sequence in a fresh interpreter, lib/ beside main.py."""
    main_py = make_submission(tmp_path / "sub", tiny_models["chatml"], llama_lib, {"protocol": False, "rules": False})
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    turns = [
        (obs("ask"), CFG),
        (obs("answer", ["Is it a place?"], keyword="Paris", category="place"), CFG),
        (obs("guess", ["Is it a place?"], ["yes"]), CFG),
    ]
    res = run_loader(sys.executable, main_py, turns, 2, elsewhere)
    assert res["names"] == ["agent", "agent"]
    assert res["engines"] == 1 and res["load_errors"] == []  # one model for both agents
    for q, a, g in res["moves"]:
        check_legal("ask", q, [], [])
        assert a in ("yes", "no")
        check_legal("guess", g, [], [])
    log = res["stderr"].strip().splitlines()
    assert len(log) == 6 and "load" in log[0] and all(len(ln) < 300 for ln in log)
    assert "fallback" not in log[1] and "fallback" not in log[4]  # the answers came from the model


# ---------------------------------------------------------------- with the real model


@pytest.fixture(scope="session")
def real_model(request: pytest.FixtureRequest) -> Path:
    """$AGENT_TEST_GGUF if set, else the builder's ``default_model`` (SmolLM2-135M Q4_1)."""
    value = os.environ.get("AGENT_TEST_GGUF")
    if value:
        assert Path(value).is_file(), f"AGENT_TEST_GGUF={value} is not a file"
        return Path(value)
    return Path(request.getfixturevalue("default_model"))


@pytest.mark.slow
def test_open_questions_real_model(lmod: Any, real_model: Path, tmp_path: Path) -> None:
    """The labelled set's open rows with the default model and settings: the yes-rate is the
    base rate (``calibration_margin`` was chosen on these rows for that: the setting shipped
    is the one the bench's --calibrate computes), and the answers are no worse than chance
    (balanced accuracy: a constant or random answerer gets 0.5 whatever the share of yes)."""
    from factories.labelled import labelled_rows

    rows = [r for r in labelled_rows() if r[0] == "open"]
    agents: dict[str, Any] = {}
    got: list[tuple[str, str, str]] = []
    for _kind, keyword, category, question, truth in rows:
        agent = agents.setdefault(keyword, make_agent(lmod, real_model, tmp_path))
        answer = agent.act(obs("answer", [question], keyword=keyword, category=category), CFG)
        assert agent.last["decided_by"] == "model" and agent.last["fallback"] == ""
        got.append((category, truth, answer))
    for name, sub in (("all", got), *((c, [g for g in got if g[0] == c]) for c in ("things", "place"))):
        yes = [g for g in sub if g[1] == "yes"]
        no = [g for g in sub if g[1] == "no"]
        recall_yes = sum(g[2] == "yes" for g in yes) / len(yes)
        recall_no = sum(g[2] == "no" for g in no) / len(no)
        print(
            f"open questions ({name}, {len(sub)} rows, {100 * len(yes) / len(sub):.0f} % yes): answered yes "
            f"{100 * sum(g[2] == 'yes' for g in sub) / len(sub):.0f} %, accuracy "
            f"{100 * sum(g[1] == g[2] for g in sub) / len(sub):.1f} % "
            f"(constant 'no': {100 * len(no) / len(sub):.1f} %), "
            f"balanced {100 * (recall_yes + recall_no) / 2:.1f} % (chance 50 %)"
        )
    share = sum(g[2] == "yes" for g in got) / len(got)
    base = sum(g[1] == "yes" for g in got) / len(got)
    balanced = (sum(g[2] == "yes" for g in got if g[1] == "yes") / sum(g[1] == "yes" for g in got)
                + sum(g[2] == "no" for g in got if g[1] == "no") / sum(g[1] == "no" for g in got)) / 2
    assert abs(share - base) <= 0.05, (share, base)  # calibrated to the base rate
    assert balanced >= 0.5, balanced  # no worse than chance


@pytest.mark.slow
def test_twenty_rounds_real_model(lmod: Any, real_model: Path, llama_lib: Path) -> None:
    from bench import agent_game as agent_bench

    game = agent_bench.play_game(real_model, lib=str(llama_lib), rounds=20, settings=agent_bench.MODEL_ONLY)
    print(agent_bench.report(game))
    assert all(a in ("yes", "no") for a in game["answers"])
    assert len({q.strip().lower() for q in game["questions"]}) == 20
    assert len({g.strip().lower() for g in game["guesses"]}) == 20
    assert all(0 < len(q) <= 750 for q in game["questions"]) and all(0 < len(g) <= 100 for g in game["guesses"])
    for turn in agent_bench.ROLES:
        r2, r20 = (game["rounds"][i][turn]["prompt_tokens_evaluated"] for i in (1, 19))
        assert r20 <= 1.2 * r2 + 2, f"{turn}: {r20} tokens evaluated at round 20 vs {r2} at round 2"
    assert all(row["answer"]["fallback"] == "" for row in game["rounds"])


@pytest.mark.slow
@pytest.mark.network
def test_real_engine_episodes(real_model: Path, llama_lib: Path, tmp_path: Path) -> None:
    """kaggle-environments 1.14.15 (the verify runtime venv, built when missing): four copies of
    a submission folder win by the protocol; with the engine's random_answerer as teammate every
    move is still legal and the model or the fallbacks play once the protocol cannot."""
    from bench import agent as bench_agent

    main_py = bench_agent.make_folder(tmp_path / "submission", real_model, llama_lib)
    plan = bench_agent.episodes_plan(3, 2)
    result = bench_agent.run_episodes(main_py, plan, tmp_path)
    for line in bench_agent.summarize(result):
        print(line)
    eps = result["episodes"]
    assert result["kaggle_environments"] == "1.14.15" and len(eps) == 5
    for e in eps:
        assert e["statuses"] == ["DONE"] * 4 and e["violations"] == []
        assert all(t["fallback"] != "time" for t in e["turns"])
    for e in eps[:3]:
        assert e["won_round"][0] is not None and e["won_round"][0] <= 13
        assert {t["decided_by"] for t in e["turns"]} == {"protocol"}
    for e in eps[3:]:
        ours = [t for t in e["turns"] if t["agent"] == e["turns"][0]["agent"]]
        assert {t["decided_by"] for t in ours} & {"model", "fallback"}
